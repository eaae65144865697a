/**
 * Golden tests of every output file, from a run in fake time (deterministic values): the real
 * lifecycle (src/run/) runs on a mem:// dataset with injected dependencies (a FakeClock per
 * rank, a fixed host, no CPU or RSS), two in-process ranks, step checkpoints; each file it
 * writes is compared byte for byte with tests/fixtures/golden/.
 * `UPDATE_GOLDEN=1 deno test -A src/metrics/golden_test.ts` rewrites them after a deliberate
 * change (review the diff).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveConfig } from "../config/resolve.ts";
import { npzCodec } from "../formats/npz.ts";
import { realDeps } from "../run/deps.ts";
import { runLifecycle } from "../run/lifecycle.ts";
import { MemBackend } from "../storage/mem.ts";
import { FakeClock } from "../util/clock.ts";
import type { HostInfo } from "./host.ts";

const GOLDEN = fileURLToPath(new URL("../../tests/fixtures/golden/", import.meta.url));

const HOST: HostInfo = {
  hostname: "golden-host",
  cpuCount: 2,
  processorName: "Golden CPU",
  memoryGB: 8,
  cpuinfo: {},
  meminfo: {},
};

async function outputs(): Promise<Record<string, string>> {
  const id = crypto.randomUUID();
  const rc = resolveConfig({
    args: [
      "workload=demo",
      `dataset.data_folder=mem://golden-${id}`,
      `checkpoint.uri=mem://golden-ck-${id}`,
      "dataset.num_files_train=16",
      "dataset.num_files_eval=4",
      "dataset.record_length_bytes=4096",
      "dataset.record_length_bytes_stdev=0",
      "dataset.record_length_bytes_resize=1024",
      "reader.batch_size=2",
      "reader.batch_size_eval=2",
      "train.epochs=2",
      "train.computation_time=0.1",
      "evaluation.eval_time=0.05",
      "workflow.generate_data=False",
      "workflow.checkpoint=True",
      "checkpoint.steps_between_checkpoints=2",
      "model.model_size_bytes=65536",
    ],
  });
  const data = new MemBackend(`golden-${id}`);
  for (const [split, n] of [["train", 16], ["valid", 4]] as const) {
    for (let i = 0; i < n; i++) {
      await data.put(
        `${split}/img_${String(i).padStart(2, "0")}_of_${n}.npz`,
        npzCodec.encode({ dims: [32, 128], samples: 1, dtype: "uint8", seed: 42, fileIndex: i }),
      );
    }
  }
  // One fake clock per rank: each rank's timeline advances by its own sleeps only.
  const clocks = [new FakeClock(1000), new FakeClock(1000)];
  const out = await Deno.makeTempDir({ prefix: "golden-" });
  await runLifecycle(
    rc,
    { accelerators: 2, output: out, trace: true, quiet: true },
    realDeps({
      clock: (rank) => clocks[rank]!,
      stopwatch: () => () => 0,
      host: () => HOST,
      meminfo: () => ({ MemTotal: "8388608 kB", MemFree: "4194304 kB" }),
      usage: () => ({ peakRssBytes: 0, cpuSeconds: 0 }),
      provenance: () => ({ dl_driver_version: "golden" }),
      log: () => {},
    }),
  );
  const files: Record<string, string> = {};
  for await (const e of Deno.readDir(GOLDEN)) {
    files[e.name] = (await Deno.readTextFile(join(out, e.name)))
      .replaceAll(`golden-${id}`, "golden").replaceAll(out, "out");
  }
  await Deno.remove(out, { recursive: true });
  return files;
}

/** Local-time stamps depend on the machine's time zone: compare them only under UTC. */
const normalize = (s: string) =>
  new Date(0).getTimezoneOffset() === 0 ? s : s.replace(/\d{4}-\d\d-\d\dT[\d:.]+/g, "<ts>");

Deno.test("golden: every output file of a fake-time run is exactly as recorded", async () => {
  const files = await outputs();
  if (Deno.env.get("UPDATE_GOLDEN")) {
    await Deno.mkdir(GOLDEN, { recursive: true });
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(GOLDEN + name, text);
  }
  for (const [name, text] of Object.entries(files)) {
    const want = await Deno.readTextFile(GOLDEN + name);
    assert.equal(normalize(text), normalize(want), `${name} differs from tests/fixtures/golden/`);
  }
  // Fake time makes the numbers exact: 2 ranks × 2 epochs × 4 steps, 0.1 s compute per step,
  // reads take no fake time, so every step is compute only: AU 100 %.
  const rep = JSON.parse(files["report.json"]!);
  assert.equal(rep.train_au_mean_percentage, 100);
  assert.equal(rep.steps_completed, 8);
  assert.equal(rep.checkpoints_written, 4);
});
