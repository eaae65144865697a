// Tests of the NPZ codec: exact sizes, round trips, checksums, numpy's layouts.
import assert from "node:assert/strict";
import { type ElementType, type FileSpec, FormatError } from "./codec.ts";
import { npzCodec } from "./npz.ts";
import { concatBytes } from "../util/bytes.ts";
import { npyHeader, parseNpyHeader } from "./npy.ts";
import { readZipDirectory } from "./zip.ts";

function encode(spec: FileSpec): Uint8Array {
  return concatBytes([...(npzCodec.encode(spec) as Iterable<Uint8Array>)].map((c) => c.slice()));
}

const spec = (over: Partial<FileSpec> = {}): FileSpec => ({
  dims: [33, 17],
  samples: 3,
  dtype: "uint8",
  seed: 5,
  fileIndex: 2,
  ...over,
});

Deno.test("npz: encodedSize is exact and encoding is deterministic from the seed", () => {
  for (
    const dtype of ["uint8", "int16", "float32", "float64", "float16", "int64"] as ElementType[]
  ) {
    const s = spec({ dtype });
    const a = encode(s);
    assert.equal(a.byteLength, npzCodec.encodedSize(s), dtype);
    assert.deepEqual(encode(s), a);
    assert.notDeepEqual(encode({ ...s, seed: 6 }), a);
    assert.notDeepEqual(encode({ ...s, fileIndex: 3 }), a);
  }
});

Deno.test("npz: round trip of samples (sample axis last) with checksum on", () => {
  const s = spec();
  const bytes = encode(s);
  const f = npzCodec.open(bytes, { verifyChecksums: true, name: "t.npz" });
  assert.equal(f.numSamples, 3);
  assert.deepEqual(f.dims, [33, 17]);
  assert.equal(f.dtype, "uint8");
  // Rebuild the raw x array from the zip and check the strided gather.
  const dir = readZipDirectory(bytes);
  assert.ok(Array.isArray(dir));
  assert.deepEqual(dir.map((e) => e.name), ["x.npy", "y.npy"]);
  const x = dir[0]!;
  const hdr = parseNpyHeader(bytes.subarray(x.localOffset + 30 + 5));
  assert.ok(typeof hdr !== "string");
  assert.deepEqual(hdr.shape, [33, 17, 3]);
  const raw = bytes.subarray(x.localOffset + 35 + hdr.dataOffset, x.localOffset + 35 + x.size);
  for (let i = 0; i < 3; i++) {
    const sample = f.sample(i);
    assert.equal(sample.byteLength, 33 * 17);
    for (let k = 0; k < 33 * 17; k += 37) assert.equal(sample[k], raw[k * 3 + i]);
  }
  assert.throws(() => f.sample(3), FormatError);
});

Deno.test("npz: float samples are finite values in [0, 1)", () => {
  for (const dtype of ["float32", "float64"] as const) {
    const f = npzCodec.open(encode(spec({ dtype, samples: 1 })), {
      verifyChecksums: true,
      name: "f",
    });
    const s = f.sample(0);
    const arr = dtype === "float32"
      ? new Float32Array(s.slice().buffer)
      : new Float64Array(s.slice().buffer);
    assert.equal(arr.length, 33 * 17);
    for (const v of arr) assert.ok(Number.isFinite(v) && v >= 0 && v < 1, `${dtype} ${v}`);
    assert.ok(new Set(arr).size > 100);
  }
});

Deno.test("npz: a flipped byte fails the CRC check; skipping the check reads it", () => {
  const bytes = encode(spec({ samples: 1 }));
  const bad = bytes.slice();
  bad[200] = bad[200]! ^ 0xff;
  assert.throws(
    () => npzCodec.open(bad, { verifyChecksums: true, name: "file:///d/x.npz" }),
    (e: unknown) =>
      e instanceof FormatError &&
      /decode file:\/\/\/d\/x\.npz: member x\.npy: CRC-32 mismatch/.test(e.message),
  );
  const f = npzCodec.open(bad, { verifyChecksums: false, name: "x" });
  assert.equal(f.sample(0).byteLength, 33 * 17);
});

Deno.test("npz: truncated and non-zip input give format errors", () => {
  const bytes = encode(spec());
  for (const b of [bytes.subarray(0, 100), new Uint8Array(0), new TextEncoder().encode("hello")]) {
    assert.throws(() => npzCodec.open(b, { verifyChecksums: true, name: "t" }), FormatError);
  }
});

Deno.test("npy header: 64-byte aligned, parses back, rejects junk", () => {
  const h = npyHeader("float32", [4, 5, 6]);
  assert.equal(h.byteLength % 64, 0);
  const info = parseNpyHeader(h);
  assert.ok(typeof info !== "string");
  assert.deepEqual(info.shape, [4, 5, 6]);
  assert.equal(info.dtype, "float32");
  assert.equal(info.dataOffset, h.byteLength);
  const one = parseNpyHeader(npyHeader("int64", [7]));
  assert.ok(typeof one !== "string" && one.shape.length === 1 && one.shape[0] === 7);
  assert.equal(typeof parseNpyHeader(new Uint8Array(20)), "string");
});
