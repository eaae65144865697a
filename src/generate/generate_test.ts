// Tests of dataset planning and generation: DLIO names, sizes, determinism, resume.
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfig } from "../config/resolve.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import { yamlFile } from "../../tests/_helpers.ts";
import { generateDataset, MANIFEST } from "./generate.ts";
import { fileKey, pad, planDataset } from "./plan.ts";

async function config(dir: string, extra: string[] = []): Promise<WorkloadConfig> {
  const p = await yamlFile(`dataset:
  data_folder: ${dir}
  format: npz
  num_files_train: 12
  num_files_eval: 3
  record_length_bytes: 10000
  record_length_bytes_stdev: 2000
train:
  seed: 11
`);
  return resolveConfig({ file: p, args: extra }).config;
}

async function readAll(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      const k = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(join(d, e.name), k);
      else out.set(k, await Deno.readFile(join(d, e.name)));
    }
  };
  await walk(dir, "");
  return out;
}

Deno.test("plan: DLIO names, zero padding, sub-folders", () => {
  assert.equal(pad(3, 168), "003");
  assert.equal(pad(12, 12), "12");
  assert.equal(fileKey("train", "img", 7, 168, "npz", 0), "train/img_007_of_168.npz");
  assert.equal(fileKey("valid", "img", 7, 8, "npz", 1), "valid/img_7_of_8.npz");
  assert.equal(fileKey("train", "part", 13, 64, "npz", 12), "train/01/part_13_of_64.npz");
});

Deno.test("plan: sizes follow DLIO's distribution (dimension ± stdev, floored at 1)", async () => {
  const c = await config("/tmp/unused", [
    "dataset.num_files_train=4000",
    "dataset.num_files_eval=0",
  ]);
  const plan = planDataset(c, "npz");
  assert.equal(plan.length, 4000);
  const sizes = plan.map((f) => f.dims[0]! * f.dims[1]!);
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const sd = Math.sqrt(sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / sizes.length);
  assert.ok(Math.abs(mean - 10000) / 10000 < 0.02, `mean ${mean}`);
  // DLIO draws both dims from N(D, stdev/2/sqrt(L)), so the size stdev is stdev/sqrt(2).
  assert.ok(Math.abs(sd - 2000 / Math.SQRT2) / 1414 < 0.1, `stdev ${sd}`);
  const fixed = planDataset(
    await config("/tmp/unused", ["dataset.record_length_bytes_stdev=0"]),
    "npz",
  );
  assert.deepEqual(fixed[0]!.dims, [100, 100]);
  const dims = planDataset(
    await config("/tmp/unused", [
      "dataset.record_length_bytes_stdev=0",
      "dataset.record_dims=[3, 5, 7]",
    ]),
    "npz",
  );
  assert.deepEqual(dims[0]!.dims, [3, 5, 7]);
});

Deno.test("generate: same seed → byte-identical files; different seed → different bytes", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir(), d = await Deno.makeTempDir();
  const ra = await generateDataset(await config(a), { quiet: true, log: () => {} });
  assert.equal(ra.written, 15);
  assert.equal(ra.skipped, 0);
  await generateDataset(await config(b), { quiet: true, threads: 1, log: () => {} });
  await generateDataset(await config(d, ["train.seed=12"]), { quiet: true, log: () => {} });
  const fa = await readAll(a), fb = await readAll(b), fd = await readAll(d);
  assert.equal([...fa.keys()].filter((k) => k.startsWith("train/")).length, 12);
  assert.equal([...fa.keys()].filter((k) => k.startsWith("valid/")).length, 3);
  for (const [k, v] of fa) {
    if (k === MANIFEST) continue;
    assert.deepEqual(fb.get(k), v, k);
    assert.notDeepEqual(fd.get(k), v, k);
  }
});

Deno.test("generate: resumable; partial and foreign files are rewritten", async () => {
  const dir = await Deno.makeTempDir();
  const c = await config(dir);
  await generateDataset(c, { quiet: true, log: () => {} });
  const before = await readAll(dir);
  // A truncated file at a final name, a missing file and a stale temp file.
  const victim = "train/img_03_of_12.npz";
  await Deno.writeFile(join(dir, victim), before.get(victim)!.subarray(0, 100));
  await Deno.remove(join(dir, "train/img_07_of_12.npz"));
  await Deno.writeFile(join(dir, "train/.img_05_of_12.npz.partial-1-1"), new Uint8Array(10));
  const r = await generateDataset(c, { quiet: true, log: () => {} });
  assert.equal(r.written, 2);
  assert.equal(r.skipped, 13);
  const after = await readAll(dir);
  for (const [k, v] of before) assert.deepEqual(after.get(k), v, k);
  // Another seed rewrites everything (the manifest records what the files were made from).
  const lines: string[] = [];
  const r2 = await generateDataset(await config(dir, ["train.seed=99"]), {
    quiet: true,
    log: (s) => lines.push(s),
  });
  assert.equal(r2.written, 15);
  assert.match(lines.join("\n"), /generated with other settings; rewriting/);
});

Deno.test("generate: ranks split the files round-robin", async () => {
  const dir = await Deno.makeTempDir();
  const c = await config(dir);
  const r0 = await generateDataset(c, { rank: 0, size: 2, quiet: true, log: () => {} });
  const r1 = await generateDataset(c, { rank: 1, size: 2, quiet: true, log: () => {} });
  assert.equal(r0.files + r1.files, 15);
  assert.equal(r0.written, 8);
  assert.equal(r1.written, 7);
});

Deno.test("generate: DLIO's tree, valid/ included when there are no eval files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-tree-" });
  await generateDataset(await config(dir, ["dataset.num_files_eval=0"]), { quiet: true });
  assert.ok(Deno.statSync(join(dir, "valid")).isDirectory, "valid/ exists (DLIO reads it)");
  assert.deepEqual([...Deno.readDirSync(join(dir, "valid"))], []);
  assert.equal([...Deno.readDirSync(join(dir, "train"))].length, 12);
  await Deno.remove(dir, { recursive: true });
});
