/**
 * The library API end to end on the in-memory backend (the inline read engine), and DLIO's
 * sub-folder layout on files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MemBackend, resolveConfig, runWorkload } from "../mod.ts";
import { readLists, smallWorkload, yamlFile } from "./_helpers.ts";

Deno.test("library: generate + run on mem:// in one process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-lib-" });
  const rc = resolveConfig({
    file: await yamlFile(smallWorkload(dir)),
    args: ["dataset.data_folder=mem://libtest/ds", "train.epochs=1"],
    requireRunnable: true,
  });
  const logs: string[] = [];
  const r = await runWorkload(rc, {
    quiet: true,
    log: (s) => logs.push(s),
    output: join(dir, "o"),
  });
  assert.equal(r.report.backend_type, "mem");
  assert.equal(r.report.data_folder, "mem://libtest/ds");
  assert.equal(r.report.total_samples, 24);
  assert.equal(r.generated?.written, 16);
  const keys: string[] = [];
  for await (const o of new MemBackend("libtest", "ds").list("train")) keys.push(o.key);
  assert.equal(keys.length, 12);
  assert.match(logs.join("\n"), /16 written/);
});

Deno.test("library: DLIO sub-folders are generated, listed and read; read_threads 0 loads inline", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-lib-" });
  const rc = resolveConfig({
    file: await yamlFile(smallWorkload(dir)),
    args: [
      "dataset.num_subfolders_train=3",
      "dataset.num_subfolders_eval=2",
      "reader.read_threads=0",
    ],
    requireRunnable: true,
  });
  const r = await runWorkload(rc, { quiet: true, log: () => {}, visitedItems: true });
  const sub = [...Deno.readDirSync(join(dir, "data", "train"))].map((e) => e.name).sort();
  assert.deepEqual(sub, ["0", "1", "2"]);
  assert.ok(Deno.statSync(join(dir, "data", "train", "1", "img_04_of_12.npz")).isFile);
  assert.ok(Deno.statSync(join(dir, "data", "valid", "1", "img_3_of_4.npz")).isFile);
  const visited = readLists(
    r.report as { output_folder: string },
    "visited_items_files",
  ) as unknown as { key: string }[];
  assert.equal(new Set(visited.map((v) => v.key)).size, 12);
  assert.ok(visited.every((v) => /^train\/[012]\/img_\d\d_of_12\.npz$/.test(v.key)));
  assert.equal(r.report.eval_samples, 2 * 4 * 2); // 2 epochs × 4 files × 2 samples
});
