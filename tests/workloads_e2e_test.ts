/**
 * Every bundled training workload whose format dl-driver implements generates and trains at a
 * reduced scale (file counts, sample sizes and batch sizes overridden), through the CLI.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { listWorkloads, resolveConfig } from "../src/config/resolve.ts";
import { FORMATS_AVAILABLE } from "../src/formats/mod.ts";
import { runCli } from "./_helpers.ts";

const all = listWorkloads().map((name) => ({
  name,
  c: resolveConfig({ args: [`workload=${name}`] }).config,
}));
const training = all.filter((w) => w.c.workflow.train || w.c.workflow.generate_data);

Deno.test("bundled workloads: which train here, which wait for later formats", () => {
  const waiting = training.filter((w) => !FORMATS_AVAILABLE.includes(w.c.dataset.format)).map((w) =>
    w.name
  );
  assert.deepEqual(waiting, []);
});

for (const { name, c } of training.filter((w) => FORMATS_AVAILABLE.includes(w.c.dataset.format))) {
  Deno.test(`bundled workload ${name} generates and trains at reduced scale`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `dl-driver-${name}-` });
    const d = c.dataset;
    const scale = Math.min(1, 65536 / d.record_length_bytes);
    const r = await runCli([
      "run",
      `workload=${name}`,
      `dataset.data_folder=${join(dir, "data")}`,
      "dataset.num_files_train=6",
      `dataset.num_files_eval=${d.num_files_eval > 0 ? 2 : 0}`,
      `dataset.num_samples_per_file=${Math.min(d.num_samples_per_file, 3)}`,
      `dataset.record_length_bytes=${Math.round(d.record_length_bytes * scale)}`,
      `dataset.record_length_bytes_stdev=${Math.round(d.record_length_bytes_stdev * scale)}`,
      `dataset.record_length_bytes_resize=${Math.round(d.record_length_bytes_resize * scale)}`,
      "dataset.num_subfolders_train=0",
      "dataset.num_subfolders_eval=0",
      "reader.batch_size=2",
      "reader.batch_size_eval=1",
      "reader.read_threads=2",
      "train.epochs=2",
      "train.computation_time=0.001",
      "evaluation.eval_time=0.001",
      "workflow.generate_data=True",
      "workflow.train=True",
      "workflow.checkpoint=False",
      "--json",
      "-q",
      "-o",
      join(dir, "out"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.format, d.format);
    assert.equal(rep.epochs_completed, 2);
    assert.ok(rep.total_samples >= 2 * 2, String(rep.total_samples));
    if (d.format !== "synthetic") assert.ok(rep.total_bytes > 0);
  });
}

Deno.test("tfrecord: streamed in transfer_size reads, or one ranged read per record via .idx", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-idx-" });
  const common = [
    "workload=resnet50_h100",
    `dataset.data_folder=${join(dir, "data")}`,
    "dataset.num_files_train=4",
    "dataset.num_samples_per_file=8",
    "reader.file_trimming=none", // every file (DLIO's trimming leaves none of 4 × 8 samples)
    "dataset.record_length_bytes=4096",
    "reader.batch_size=4",
    "reader.read_threads=2",
    "train.epochs=1",
    "train.computation_time=0.001",
    "workflow.generate_data=True",
    "--json",
    "-q",
  ];
  const run = async (args: string[], out: string) => {
    const r = await runCli(["run", ...common, ...args, "-o", join(dir, out)]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const streamed = await run([], "a");
  const idx = await Deno.readTextFile(
    join(dir, "data", "index", "train", "img_0_of_4.tfrecord.idx"),
  );
  const lines = idx.trim().split("\n");
  assert.equal(lines.length, 8);
  const [off1, len] = lines[1]!.split(" ").map(Number);
  assert.equal(off1, len); // records are back to back
  const fileSize = 8 * len!;
  // Streamed (tf.data): each file read once, front to back, in 256 KiB reads: 1 request each.
  assert.equal(streamed.total_samples, 32);
  assert.equal(streamed.total_bytes, 4 * fileSize);
  assert.equal(streamed.storage_requests, 4);
  // A small transfer_size: more, smaller reads of the same bytes.
  const small = await run(["reader.transfer_size=4096"], "b");
  assert.equal(small.total_bytes, 4 * fileSize);
  assert.equal(small.storage_requests, 4 * Math.ceil(fileSize / 4096));
  // Indexed: the .idx once per file, then one ranged read of exactly one record per sample.
  const indexed = await run(["reader.read_index=True"], "c");
  assert.equal(indexed.total_samples, 32);
  assert.equal(indexed.total_bytes, 32 * len!);
  // (each of the 2 readers loads the index of the files it reads from: 4 to 8 index reads)
  assert.ok(indexed.storage_requests >= 32 + 4 && indexed.storage_requests <= 32 + 8);
  // The access order interleaves read_threads files, as tf.data's interleave does: each reader
  // streams one file front to back before taking the next, so the first 8 samples to arrive come
  // from the first two files (which reader arrives first is a race), each in record order.
  const keys: string[] = streamed.access_order_sample;
  const first = keys.slice(0, 8).map((k) => k.replace(/#\d+$/, ""));
  for (const f of first) {
    assert.ok(["train/img_0_of_4.tfrecord", "train/img_1_of_4.tfrecord"].includes(f), f);
  }
  const perFile = new Map<string, number[]>();
  for (const k of keys) {
    const [f, i] = k.split("#");
    perFile.set(f!, [...(perFile.get(f!) ?? []), Number(i)]);
  }
  for (const [f, seq] of perFile) assert.deepEqual(seq, [...seq].sort((a, b) => a - b), f);
});
