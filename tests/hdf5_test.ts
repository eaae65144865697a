/**
 * HDF5: h5py (installed by scripts/ensure_tools.sh) reads what we write (DLIO's records_k /
 * labels layout, gzip, chunks, several datasets per record), we read what h5py writes, an lzf
 * file is refused clearly, a run reads per-sample slices rather than whole files, and the direct
 * reads of contiguous datasets (hdf5_layout.ts) return the library's bytes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeToBytes, type FileSpec } from "../src/formats/codec.ts";
import { codecFor } from "../src/formats/mod.ts";
import { python, runCli } from "./_helpers.ts";
import { contiguousLayout } from "../src/formats/hdf5_layout.ts";

const sha = async (b: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", b.slice()))]
    .map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("h5py reads our HDF5 (plain, gzip + chunks, two datasets per record)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-h5-" });
  const codec = await codecFor("hdf5");
  const cases: FileSpec[] = [
    { dims: [16, 12], samples: 4, dtype: "uint8", seed: 1, fileIndex: 0 },
    {
      dims: [16, 12],
      samples: 4,
      dtype: "float32",
      seed: 1,
      fileIndex: 1,
      compression: "gzip",
      compressionLevel: 6,
      hdf5: { datasets: 1, chunkDims: [2, 16, 12] },
    },
    {
      dims: [16, 12, 3],
      samples: 3,
      dtype: "int16",
      seed: 2,
      fileIndex: 2,
      hdf5: { datasets: 2, chunkDims: [] },
    },
  ];
  for (const [n, spec] of cases.entries()) {
    const p = join(dir, `f${n}.hdf5`);
    const bytes = await encodeToBytes(codec, spec);
    await Deno.writeFile(p, bytes);
    const ours = codec.open(bytes, { verifyChecksums: true, name: p });
    const want = [];
    for (let i = 0; i < spec.samples; i++) want.push(await sha(ours.sample(i)));
    ours.close?.();
    const got = JSON.parse(
      await python(
        `
import sys, json, hashlib, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
keys = sorted(k for k in f.keys() if k.startswith("records_"))
d0 = f[keys[0]]
assert f["labels"].shape == (d0.shape[0],) and (f["labels"][:] == 0).all()
out = {"keys": keys, "shape": list(d0.shape), "dtype": str(d0.dtype), "compression": d0.compression,
       "chunks": list(d0.chunks) if d0.chunks else None, "samples": []}
for i in range(d0.shape[0]):
    b = b"".join(np.ascontiguousarray(f[k][i]).tobytes() for k in keys)
    out["samples"].append(hashlib.sha256(b).hexdigest())
print(json.dumps(out))
`,
        [p],
      ),
    );
    assert.deepEqual(got.samples, want, `case ${n}`);
    assert.equal(got.shape[0], spec.samples);
    if (n === 1) {
      assert.equal(got.compression, "gzip");
      assert.deepEqual(got.chunks, [2, 16, 12]);
      assert.equal(got.dtype, "float32");
    }
    if (n === 2) {
      assert.deepEqual(got.keys, ["records_0", "records_1"]);
      assert.deepEqual(got.shape, [3, 8, 12, 3]); // record_dims[0] split over 2 datasets
    }
  }
});

Deno.test("we read h5py's HDF5 (gzip, chunked); lzf is refused with a clear error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-h5-" });
  await python(
    `
import sys, h5py, numpy as np
x = np.arange(5 * 6 * 7, dtype=np.uint16).reshape(5, 6, 7)
with h5py.File(sys.argv[1] + "/gz.h5", "w") as f:
    f.create_dataset("records_0", data=x, chunks=(1, 6, 7), compression="gzip")
    f.create_dataset("labels", data=np.zeros(5, dtype=np.int64))
with h5py.File(sys.argv[1] + "/lzf.h5", "w") as f:
    f.create_dataset("records_0", data=x, chunks=(1, 6, 7), compression="lzf")
`,
    [dir],
  );
  const codec = await codecFor("hdf5");
  assert.ok(codec.access === "path");
  const f = await codec.openPath(join(dir, "gz.h5"), { verifyChecksums: true, name: "gz.h5" });
  assert.equal(f.numSamples, 5);
  assert.deepEqual(f.dims, [6, 7]);
  const s3 = new Uint16Array(f.sample(3).slice().buffer);
  assert.deepEqual([...s3.slice(0, 3)], [126, 127, 128]);
  f.close();
  await assert.rejects(
    () => codec.openPath(join(dir, "lzf.h5"), { verifyChecksums: true, name: "lzf.h5" }),
    /decode lzf\.h5: dataset uses the lzf filter, which dl-driver cannot decode \(h5wasm has no LZF filter/,
  );
});

Deno.test("hdf5 runs read per-sample slices, not whole files (on_demand and memory)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-h5-" });
  const run = (readType: string) =>
    runCli([
      "run",
      "workload=demo",
      "dataset.format=hdf5",
      `dataset.data_folder=${join(dir, "data")}`,
      "dataset.num_files_train=4",
      "dataset.num_files_eval=0",
      "dataset.num_samples_per_file=8",
      "reader.file_trimming=none", // every file (DLIO's trimming leaves none of 4 × 8 samples)
      "dataset.record_length_bytes=10000",
      "dataset.record_length_bytes_stdev=0",
      "train.epochs=1",
      "train.computation_time=0.001",
      `reader.read_type=${readType}`,
      "--json",
      "-q",
      "-o",
      join(dir, `out-${readType}`),
    ]);
  // on_demand opens and closes the file for every sample, as DLIO does; memory keeps it open
  // (DLIO's open_file_map) and still reads one slice per sample.
  for (const readType of ["on_demand", "memory"]) {
    const r = await run(readType);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.total_samples, 32, readType);
    // One 100×100 slice per sample, and each file's metadata once per reader thread (the
    // offsets of its datasets, read directly: hdf5_layout.ts).
    const meta = rep.total_bytes - 32 * 100 * 100;
    assert.ok(meta > 0 && meta <= 4 * 2 * 4096, `${readType}: ${meta} bytes of metadata`);
  }
  const fileSize = Deno.statSync(join(dir, "data", "train", "img_0_of_4.hdf5")).size;
  assert.ok(fileSize > 8 * 100 * 100);
});

Deno.test("hdf5 layouts: direct reads of contiguous datasets are the library's samples", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-h5-" });
  await python(
    `
import sys, h5py, numpy as np
d = sys.argv[1]
x = (np.arange(5 * 6 * 7) % 251).astype(np.uint16).reshape(5, 6, 7)
with h5py.File(d + "/v0.h5", "w") as f:  # superblock v0, symbol-table group
    f.create_dataset("records_0", data=x)
    f.create_dataset("records_1", data=x + 1)
    f.create_dataset("labels", data=np.zeros(5, dtype=np.int64))
with h5py.File(d + "/latest.h5", "w", libver="latest") as f:  # superblock v3, link messages
    f.create_dataset("records_0", data=x.astype(np.float32))
with h5py.File(d + "/many.h5", "w") as f:  # a group B-tree of several nodes
    for i in range(40):
        f.create_dataset("a%02d" % i, data=np.zeros(3))
    f.create_dataset("records_0", data=x)
with h5py.File(d + "/chunked.h5", "w") as f:
    f.create_dataset("records_0", data=x, chunks=(1, 6, 7))
with h5py.File(d + "/gzip.h5", "w") as f:
    f.create_dataset("records_0", data=x, chunks=(1, 6, 7), compression="gzip")
with h5py.File(d + "/dense.h5", "w", libver="latest") as f:  # links in a fractal heap
    for i in range(40):
        f.create_dataset("a%02d" % i, data=np.zeros(3))
    f.create_dataset("records_0", data=x)
`,
    [dir],
  );
  const codec = await codecFor("hdf5");
  assert.ok(codec.access === "path");
  for (const [n, spec] of [[16, 12], [16, 12, 3]].entries()) {
    const hdf5 = { datasets: n + 1, chunkDims: [] };
    const s: FileSpec = { dims: spec, samples: 4, dtype: "int16", seed: 2, fileIndex: n, hdf5 };
    await Deno.writeFile(join(dir, `ours${n}.h5`), await encodeToBytes(codec, s));
  }
  const direct = ["v0", "latest", "many", "ours0", "ours1"];
  for (const name of [...direct, "chunked", "gzip", "dense"]) {
    const path = join(dir, `${name}.h5`);
    const bytes = await Deno.readFile(path);
    const reads: number[] = [];
    const layout = contiguousLayout((offset, length) => {
      reads.push(length);
      return bytes.subarray(offset, offset + length);
    }, bytes.byteLength);
    if (!direct.includes(name)) {
      assert.equal(layout, undefined, name);
      continue;
    }
    assert.ok(layout, name);
    assert.ok(reads.reduce((a, b) => a + b, 0) < 8192, `${name}: metadata read once, small`);
    const lib = await codec.openPath(path, { verifyChecksums: true, name: path });
    assert.equal(layout.numSamples, lib.numSamples);
    for (let i = 0; i < lib.numSamples; i++) {
      const got = concatRanges(bytes, layout.ranges(i));
      assert.equal(got.byteLength, layout.sampleBytes);
      assert.deepEqual(got, lib.sample(i).slice(), `${name} sample ${i}`);
    }
    lib.close();
  }
});

function concatRanges(bytes: Uint8Array, ranges: { offset: number; length: number }[]) {
  const out = new Uint8Array(ranges.reduce((a, r) => a + r.length, 0));
  let at = 0;
  for (const r of ranges) {
    out.set(bytes.subarray(r.offset, r.offset + r.length), at);
    at += r.length;
  }
  return out;
}
