/**
 * Parquet: pyarrow (in .cache/tf-venv, installed by scripts/ensure_tools.sh) reads what we write
 * (columns, row groups, values); we read what pyarrow writes; a run decodes only `read: true`
 * columns.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesSource, encodeToBytes, type FileSpec } from "../src/formats/codec.ts";
import { codecFor } from "../src/formats/mod.ts";
import { python, runCli } from "./_helpers.ts";

const PY = fileURLToPath(new URL("../.cache/tf-venv/bin/python", import.meta.url));

const py = (script: string, args: string[]) => python(script, args, PY);

Deno.test("pyarrow reads our Parquet; we read pyarrow's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-pq-" });
  const codec = await codecFor("parquet");
  assert.ok(codec.access === "ranged_async");
  const spec: FileSpec = {
    dims: [8, 8],
    samples: 10,
    dtype: "float32",
    seed: 3,
    fileIndex: 0,
    parquet: {
      columns: [
        { name: "t5", dtype: "float32", size: 16, read: true },
        { name: "mean", dtype: "float16", size: 4, read: false },
      ],
      rowGroupSize: 4,
      compression: "snappy",
    },
  };
  const bytes = await encodeToBytes(codec, spec);
  const p = join(dir, "f.parquet");
  await Deno.writeFile(p, bytes);
  const got = JSON.parse(
    await py(
      `
import sys, json, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
print(json.dumps({"rows": t.num_rows, "groups": f.num_row_groups, "names": t.column_names,
  "len": [len(t.column("t5")[0].as_py()), len(t.column("mean")[0].as_py())],
  "first": list(t.column("t5")[3].as_py()[:4])}))
`,
      [p],
    ),
  );
  assert.deepEqual(got.names, ["t5", "mean"]);
  assert.equal(got.rows, 10);
  assert.equal(got.groups, 3);
  assert.deepEqual(got.len, [64, 8]);
  const f = await codec.openRanged(bytesSource(bytes), {
    verifyChecksums: true,
    name: p,
    columns: ["t5"],
  });
  const s3 = await f.sampleAsync(3);
  assert.equal(s3.byteLength, 64); // only the read column
  assert.deepEqual([...s3.subarray(0, 4)], got.first);

  const q = join(dir, "arrow.parquet");
  await py(
    `
import sys, pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({"data": [bytes([i]) * 10 for i in range(6)]}), sys.argv[1], row_group_size=2)
`,
    [q],
  );
  const g = await codec.openRanged(bytesSource(await Deno.readFile(q)), {
    verifyChecksums: true,
    name: q,
  });
  assert.equal(g.numSamples, 6);
  assert.deepEqual(await g.sampleAsync(4), new Uint8Array(10).fill(4));
});

Deno.test("parquet runs: one row per sample, only read columns decoded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-pq-" });
  const r = await runCli([
    "run",
    "workload=demo",
    "dataset.format=parquet",
    `dataset.data_folder=${join(dir, "data")}`,
    "dataset.num_files_train=4",
    "dataset.num_files_eval=0",
    "dataset.num_samples_per_file=16",
    "reader.file_trimming=none", // every file (DLIO's trimming leaves none of 4 × 16 samples)
    "dataset.parquet.row_group_size=4",
    "dataset.parquet.columns=[{name: a, dtype: float32, size: 256}, {name: b, size: 100, read: false}]",
    "train.epochs=1",
    "train.computation_time=0.001",
    "--json",
    "-q",
    "-o",
    join(dir, "out"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.total_samples, 64);
  assert.ok(rep.decode_p50_latency_ms > 0);
  const bad = await runCli([
    "validate",
    "workload=demo",
    "dataset.format=parquet",
    "dataset.parquet.columns=[{name: a, size: 0, colour: red}]",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /dataset\.parquet\.columns\.0\.colour: unknown column key 'colour'/);
  assert.match(bad.stderr, /dataset\.parquet\.columns\.0\.size: expected a positive integer/);
});

Deno.test("parquet by ranges: the footer, only the read columns' chunks, a row-group cache", async () => {
  const codec = await codecFor("parquet");
  assert.ok(codec.access === "ranged_async");
  // 1,000 rows in 10 row groups: a 1 KiB read column and a 16 KiB unread one (~17 MB).
  const bytes = await encodeToBytes(codec, {
    dims: [1],
    samples: 1000,
    dtype: "uint8",
    seed: 1,
    fileIndex: 0,
    parquet: {
      columns: [
        { name: "x", dtype: "float32", size: 256, read: true },
        { name: "big", dtype: "uint8", size: 16384, read: false },
      ],
      rowGroupSize: 100,
      compression: "none",
    },
  });
  const reads: number[] = [];
  const src = bytesSource(bytes);
  const counted = {
    byteLength: src.byteLength,
    read: (o: number, n: number) => (reads.push(n), src.read(o, n)),
  };
  const f = await codec.openRanged(counted, {
    verifyChecksums: true,
    name: "f.parquet",
    columns: ["x"],
    rowGroupCache: 2,
  });
  const read = () => reads.reduce((a, n) => a + n, 0);
  const footer = read();
  assert.equal((await f.sampleAsync(150)).byteLength, 1024);
  const group = read() - footer;
  // One row group of the read column: ~100 KiB, not the 1.6 MiB of the unread one.
  assert.ok(group >= 100 * 1024 && group < 200 * 1024, `${group} bytes for a row group`);
  assert.ok(read() < bytes.byteLength / 8, `${read()} of ${bytes.byteLength} bytes`);
  await f.sampleAsync(199); // the same row group (100..199): cached, no read
  assert.equal(read() - footer, group);
  await f.sampleAsync(0); // row group 0: read
  await f.sampleAsync(999); // row group 9: read, evicts row group 1 (cache of 2)
  await f.sampleAsync(150); // row group 1 again: read again
  assert.equal(read() - footer, 4 * group);
});
