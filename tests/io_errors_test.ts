/**
 * A data file that disappears mid-run is a storage error (exit 3) naming the file and the
 * operation, in every read mode, never an internal error with a stack trace.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_helpers.ts";

for (const format of ["hdf5", "npz"]) {
  Deno.test(`${format}: a file deleted before it is read is exit 3 naming it`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "dl-driver-ioerr-" });
    const common = [
      "workload=demo",
      `dataset.format=${format}`,
      `dataset.data_folder=${join(dir, "data")}`,
      "dataset.num_files_train=4",
      "dataset.num_files_eval=0",
      "dataset.record_length_bytes=4096",
      "-q",
    ];
    assert.equal((await runCli(["generate", ...common])).code, 0);
    await Deno.remove(join(dir, "data", "train", `img_1_of_4.${format}`));
    const r = await runCli([
      "run",
      ...common,
      "workflow.generate_data=False",
      // Derived names, no spot checks: the missing file is met when it is read.
      "storage.skip_listing=True",
      "dataset.listing_validation_interval=0",
      "-o",
      join(dir, "out"),
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`img_1_of_4\\.${format}`));
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    await Deno.remove(dir, { recursive: true });
  });
}
