/**
 * Every warning tells the truth: each key that dl-driver accepts and ignores (status planned or
 * noop) warns "accepted and ignored" when set, and setting it changes nothing dl-driver writes or
 * reads: the same data bytes, the same samples, bytes and access order (fake time, mem://).
 */
import assert from "node:assert/strict";
import { resolveConfig } from "../src/config/resolve.ts";
import { SCHEMA } from "../src/config/schema.ts";
import type { SchemaNode } from "../src/config/schema_dsl.ts";
import { realDeps } from "../src/run/deps.ts";
import { runLifecycle } from "../src/run/lifecycle.ts";
import { MemBackend } from "../src/storage/mem.ts";
import { FakeClock } from "../src/util/clock.ts";

/** Every ignored leaf key: path and a value other than its default. */
function ignoredKeys(): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (node: SchemaNode, path: string) => {
    if (node.node === "section") {
      for (const [k, child] of Object.entries(node.keys as Record<string, SchemaNode>)) {
        walk(child, path ? `${path}.${k}` : k);
      }
      return;
    }
    if (node.status === "implemented") return;
    const d = node.default;
    const value = node.kind === "bool" || node.kind === "boolish"
      ? !d
      : node.kind === "int" || node.kind === "number"
      ? (typeof d === "number" ? d : node.min ?? 0) + 1
      : node.kind === "enum"
      ? node.values!.find((v) => v !== d)
      : node.kind === "int_list"
      ? [3]
      : node.kind === "list"
      ? ["x"]
      : node.kind === "dict"
      ? { a: 1 }
      : "x";
    out.push([path, value]);
  };
  walk(SCHEMA, "");
  return out;
}

/** Keys that are only valid beside another (a plug-in class needs its sampler; ksm fixed tensors). */
const COMPANIONS: Record<string, string[]> = {
  "reader.data_loader_classname": ["reader.data_loader_sampler=index"],
  "checkpoint.ksm": ["checkpoint.randomize_tensor=False"],
};

const BASE = [
  "workload=demo",
  "dataset.num_files_train=4",
  "dataset.num_files_eval=0",
  "dataset.record_length_bytes=4096",
  "dataset.record_length_bytes_stdev=0",
  "reader.batch_size=2",
  "train.epochs=1",
  "train.computation_time=0.01",
  "workflow.generate_data=True",
];

/** What a run wrote and read: data bytes by key, samples, bytes, access order. */
async function fingerprint(extra: string[]): Promise<string> {
  const bucket = `ignored-${crypto.randomUUID()}`;
  const rc = resolveConfig({ args: [...BASE, `dataset.data_folder=mem://${bucket}`, ...extra] });
  const out = await Deno.makeTempDir({ prefix: "dl-driver-ign-" });
  const r = await runLifecycle(
    rc,
    { output: out, quiet: true },
    realDeps({
      clock: () => new FakeClock(1000),
      stopwatch: () => () => 0,
      usage: () => ({ peakRssBytes: 0, cpuSeconds: 0 }),
      log: () => {},
    }),
  );
  const data: string[] = [];
  const mem = new MemBackend(bucket);
  for await (const o of mem.list("")) {
    const bytes = await mem.get(o.key);
    if (o.key.endsWith(".npz")) {
      data.push(`${o.key}:${bytes.reduce((a, b) => (a * 31 + b) >>> 0, 7)}`);
    }
  }
  await Deno.remove(out, { recursive: true });
  MemBackend.reset(bucket);
  const rep = r.report;
  return JSON.stringify([
    data.sort(),
    rep.total_samples,
    rep.total_bytes,
    rep.steps_completed,
    rep.access_order_sample,
  ]);
}

Deno.test("ignored keys warn, and change nothing that is written or read", async () => {
  const base = await fingerprint([]);
  const keys = ignoredKeys();
  assert.ok(keys.length >= 20, `${keys.length} ignored keys`);
  const problems: string[] = [];
  for (const [path, value] of keys) {
    const arg = `${path}=${JSON.stringify(value)}`;
    let rc;
    try {
      rc = resolveConfig({ args: [...BASE, arg, ...(COMPANIONS[path] ?? [])] });
    } catch (e) {
      problems.push(`${arg}: ${(e as Error).message}`);
      continue;
    }
    const leaf = path.slice(path.lastIndexOf(".") + 1);
    assert.ok(
      rc.warnings.some((w) => w.path.includes(leaf) && /accepted and ignored/.test(w.message)),
      `${arg}: no "accepted and ignored" warning`,
    );
    const got = await fingerprint([arg, ...(COMPANIONS[path] ?? [])]);
    if (got !== base) problems.push(`${arg} changed the output`);
  }
  assert.deepEqual(problems, []);
});
