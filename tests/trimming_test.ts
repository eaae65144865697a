/**
 * reader.file_trimming through the CLI, with DLIO's worked example (issue: 16 files × 2 samples,
 * batch 3, one rank → DLIO cuts to 12 files = a multiple of 2 × 3 × 1, so 8 steps; 4 eval files
 * with batch 3 → 0), and resnet50's unit (1251 × 400 × 1 = 500,400 files) that leaves nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, smallWorkload, yamlFile } from "./_helpers.ts";

/** A run of the small workload in `dir` with `args`, results in `dir/<name>`: report, stderr. */
async function runSmall(dir: string, name: string, args: string[]) {
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli(["run", wl, ...args, "--json", "-o", join(dir, name)]);
  assert.equal(r.code, 0, r.stderr);
  return { rep: JSON.parse(r.stdout), stderr: r.stderr };
}

Deno.test("file_trimming dlio: DLIO's step counts, warnings, and nothing-left refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-trim-" });
  const run = (trimming: string) =>
    runSmall(dir, trimming, [
      "dataset.num_files_train=16",
      "dataset.num_files_eval=4",
      "reader.batch_size=3",
      "reader.batch_size_eval=3",
      "train.epochs=1",
      `reader.file_trimming=${trimming}`,
    ]);
  const none = await run("none");
  // No trimming: floor(16 · 2 / 3) = 10 steps; eval floor(4 · 2 / 3) = 2 steps.
  assert.equal(none.rep.steps_completed, 10);
  assert.equal(none.rep.eval_samples, 2 * 3);
  const dlio = await run("dlio");
  // DLIO: 16 → 12 files (unit 2 · 3 · 1 = 6), 12 · 2 / 3 = 8 steps; eval 4 → 0 files.
  assert.equal(dlio.rep.steps_completed, 8);
  assert.equal(dlio.rep.total_samples, 8 * 3);
  assert.equal(dlio.rep.eval_samples, 0);
  assert.match(dlio.stderr, /train files 16 → 12 \(a multiple of .* = 2 × 3 × 1\)/);
  assert.match(dlio.stderr, /valid files 4 → 0/);
  // resnet50: a unit of 1251 × 400 × 1 = 500,400 files leaves none of 1024: refused, exit 2.
  const r = await runCli([
    "run",
    "workload=resnet50_h100",
    `dataset.data_folder=${join(dir, "none-here")}`,
    "storage.skip_listing=True",
    "dataset.listing_validation_interval=0",
    "reader.file_trimming=dlio",
    "-q",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cuts the 1024 training files to a multiple of .* 1251 × 400 × 1: none/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("file_trimming mlperf_v3 deals files r, r+P, … and trims to equal shares", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-rr-" });
  const run = async (sharding: string) =>
    (await runSmall(dir, sharding, [
      "dataset.num_files_train=5",
      "reader.batch_size=1",
      "workflow.evaluation=False",
      `reader.file_trimming=${sharding}`,
      "--accelerators",
      "2",
    ])).rep;
  // 5 files × 2 samples, 2 ranks, batch 1: contiguous ranges give 5 steps per rank; round-robin
  // gives each rank 2 files (file 4 is trimmed), 4 steps.
  const contiguous = await run("none");
  const rr = await run("mlperf_v3");
  assert.equal(contiguous.total_samples, 2 * 2 * 5);
  assert.equal(rr.total_samples, 2 * 2 * 4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fewer than 3 steps per epoch: warned (DLIO's throughput counts steps − 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-trim-" });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli(["run", wl, "reader.batch_size=12", "workflow.evaluation=False"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: reader\.batch_size: epochs have 2 steps: DLIO's throughput/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("0 steps per epoch and an empty metric window: refused before any data is written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-trim-" });
  const wl = await yamlFile(smallWorkload(dir));
  // 12 files × 2 samples = 24 (the small workload); batch 13 on 2 ranks: floor(24/13/2) = 0.
  for (const cmd of ["validate", "run"]) {
    const r = await runCli([cmd, wl, "reader.batch_size=13", "--accelerators", "2"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /batch_size 13 × 2 ranks is more than the 24 training samples .* 0 steps/,
    );
  }
  // floor(24 / 4) = 6 steps; excluding 5 + 1 leaves none: refused (the user set the window).
  const w = await runCli([
    "run",
    wl,
    "output.metric.exclude_start_steps=5",
    "output.metric.exclude_end_steps=1",
  ]);
  assert.equal(w.code, 2, w.stderr);
  assert.match(w.stderr, /excludes 6 of the 6 steps per epoch/);
  // Nothing was generated or written: the checks ran before the dataset and the results.
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});
