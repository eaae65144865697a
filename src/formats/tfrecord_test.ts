// Tests of the TFRecord codec: CRC-32C, tf.train.Example, streamed and indexed reads.
import assert from "node:assert/strict";
import { encodeToBytes, type FileSpec } from "./codec.ts";
import { decodeExample, encodeExample } from "./example.ts";
import { maskedCrc32c, recordIndex, tfrecordCodec } from "./tfrecord.ts";

const spec: FileSpec = { dims: [20, 30], samples: 4, dtype: "uint8", seed: 3, fileIndex: 1 };
const encode = (s: FileSpec) => encodeToBytes(tfrecordCodec, s);

Deno.test("masked CRC-32C matches TFRecord's definition", () => {
  // crc32c("123456789") = 0xe3069283; mask = rotr15 + 0xa282ead8
  const c = 0xe3069283;
  const want = ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
  assert.equal(maskedCrc32c(new TextEncoder().encode("123456789")), want);
});

Deno.test("tf.train.Example round trip (bytes and int64 features)", () => {
  const img = new Uint8Array(300).map((_, i) => i);
  const ex = encodeExample([["image", { bytes: [img] }], ["size", { int64: [300n, -5n] }]]);
  const f = decodeExample(ex);
  assert.deepEqual(f.get("image"), { bytes: [img] });
  assert.deepEqual(f.get("size"), { int64: [300n, -5n] });
});

Deno.test("tfrecord: exact size, deterministic, samples round trip, CRCs checked", async () => {
  const a = await encode(spec);
  assert.equal(a.byteLength, tfrecordCodec.encodedSize(spec));
  assert.deepEqual(await encode(spec), a);
  assert.notDeepEqual(await encode({ ...spec, seed: 4 }), a);
  const f = tfrecordCodec.open(a, { verifyChecksums: true, name: "t.tfrecord" });
  assert.equal(f.numSamples, 4);
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const s = f.sample(i);
    assert.equal(s.byteLength, 600);
    seen.add(s.join(","));
  }
  assert.equal(seen.size, 4);
  const idx = recordIndex(a, { verifyChecksums: true, name: "t" });
  assert.equal(idx.length, 4);
  assert.equal(idx[0]!.offset, 12);
  for (const where of [3, 12 + 50]) {
    const bad = a.slice();
    bad[where] = bad[where]! ^ 1;
    assert.throws(
      () => tfrecordCodec.open(bad, { verifyChecksums: true, name: "x.tfrecord" }),
      /decode x\.tfrecord: record at byte 0: (length|data) CRC-32C mismatch/,
    );
  }
  assert.throws(
    () =>
      tfrecordCodec.open(a.subarray(0, a.byteLength - 2), { verifyChecksums: false, name: "x" }),
    /truncated/,
  );
});
