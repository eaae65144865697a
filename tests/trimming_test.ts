/**
 * reader.file_trimming through the CLI, with DLIO's worked example (issue: 16 files × 2 samples,
 * batch 3, one rank → DLIO cuts to 12 files = a multiple of 2 × 3 × 1, so 8 steps; 4 eval files
 * with batch 3 → 0), and resnet50's unit (1251 × 400 × 1 = 500,400 files) that leaves nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, smallWorkload, yamlFile } from "./_helpers.ts";

Deno.test("file_trimming dlio: DLIO's step counts, warnings, and nothing-left refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-trim-" });
  const wl = await yamlFile(smallWorkload(dir));
  const run = async (trimming: string) => {
    const r = await runCli([
      "run",
      wl,
      "dataset.num_files_train=16",
      "dataset.num_files_eval=4",
      "reader.batch_size=3",
      "reader.batch_size_eval=3",
      "train.epochs=1",
      `reader.file_trimming=${trimming}`,
      "--json",
      "-o",
      join(dir, trimming),
    ]);
    assert.equal(r.code, 0, r.stderr);
    return { rep: JSON.parse(r.stdout), stderr: r.stderr };
  };
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

Deno.test("fewer than 3 steps per epoch: warned (DLIO's throughput counts steps − 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-trim-" });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli(["run", wl, "reader.batch_size=12", "workflow.evaluation=False"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: epochs have 2 steps: DLIO's throughput/);
  await Deno.remove(dir, { recursive: true });
});
