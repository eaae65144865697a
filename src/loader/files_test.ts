// Tests of a split's file keys: derived names, num_files_generated, skip_listing spot checks.
import assert from "node:assert/strict";
import { resolveConfig } from "../config/resolve.ts";
import { DataError } from "../errors.ts";
import { MemBackend } from "../storage/mem.ts";
import { defaultValidationInterval, splitFiles } from "./files.ts";

async function dataset(files: number) {
  const mem = new MemBackend(`files-${crypto.randomUUID()}`);
  const pad = String(files).length;
  for (let i = 0; i < files; i++) {
    await mem.put(`train/img_${String(i).padStart(pad, "0")}_of_${files}.npz`, new Uint8Array(1));
  }
  return mem;
}

const config = (args: string[]) =>
  resolveConfig({ args: ["workload=demo", "dataset.format=npz", ...args] }).config;

Deno.test("num_files_generated: the first num_files_train files of a bigger dataset", async () => {
  const mem = await dataset(12);
  for (const skip of ["True", "False"]) {
    const c = config([
      "dataset.num_files_train=5",
      "dataset.num_files_generated=12",
      `dataset.skip_listing=${skip}`,
    ]);
    const f = await splitFiles(mem, "train", 5, "npz", c);
    assert.equal(f.length, 5);
    assert.equal(f.key(0), "train/img_00_of_12.npz");
    assert.equal(f.key(4), "train/img_04_of_12.npz");
  }
});

Deno.test("skip_listing spot checks: first, last and every interval-th file, the missing one named", async () => {
  const mem = await dataset(10);
  await mem.delete("train/img_07_of_10.npz");
  const c = (interval: string) =>
    config(["dataset.num_files_train=10", "storage.skip_listing=True", interval]);
  // Every file (the default below 10 k files): the gap is found and named.
  const e = await splitFiles(mem, "train", 10, "npz", c("dataset.num_files_eval=0")).then(
    () => undefined,
    (x) => x,
  );
  assert.ok(e instanceof DataError);
  assert.match(e.message, /img_07_of_10\.npz \(file 8 of 10\) is not there/);
  // Every 3rd (0, 3, 6, 9): file 7 is not looked at; 0 turns the checks off.
  await splitFiles(mem, "train", 10, "npz", c("dataset.listing_validation_interval=3"));
  await splitFiles(mem, "train", 10, "npz", c("dataset.listing_validation_interval=0"));
  // The last file is always checked; only rank 0 checks (verify).
  await mem.delete("train/img_09_of_10.npz");
  await assert.rejects(
    splitFiles(mem, "train", 10, "npz", c("dataset.listing_validation_interval=4")),
    /img_09_of_10/,
  );
  await splitFiles(mem, "train", 10, "npz", c("dataset.num_files_eval=0"), false);
  assert.deepEqual(
    [9_999, 10_000, 99_999, 100_000, 1e6, 1e7].map(defaultValidationInterval),
    [1, 10, 10, 100, 1000, 10000],
  );
});

Deno.test("files of two generations in one folder are refused, not mixed", async () => {
  const mem = await dataset(20);
  for (let i = 0; i < 10; i++) {
    await mem.put(`train/img_${String(i).padStart(2, "0")}_of_10.npz`, new Uint8Array(1));
  }
  const c = config(["dataset.num_files_train=10"]);
  await assert.rejects(
    splitFiles(mem, "train", 10, "npz", c),
    /datasets of 10 and 20 files .* would mix them/,
  );
  // One generation bigger than asked for is DLIO's subset: the first files of the listing.
  const big = await dataset(20);
  const f = await splitFiles(big, "train", 10, "npz", c);
  assert.deepEqual([f.key(0), f.key(9)], ["train/img_00_of_20.npz", "train/img_09_of_20.npz"]);
});
