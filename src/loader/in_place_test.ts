// Tests of reading a sample straight into its batch slot: same bytes as parsing the whole file,
// every byte of the file read once, the zip directory and CRC-32 checked in place, and the
// fallbacks (multi-sample files, samples longer than a slot) read whole without claiming a slot.
import assert from "node:assert/strict";
import { npzCodec } from "../formats/npz.ts";
import { npyCodec } from "../formats/npy.ts";
import { jpegCodec } from "../formats/image.ts";
import type { Codec, FileSpec } from "../formats/codec.ts";
import { concatBytes } from "../util/bytes.ts";
import { FileBackend } from "../storage/file.ts";
import { FormatError } from "../formats/codec.ts";
import { HEAD_BYTES, type InPlaceContext, readInPlace } from "./in_place.ts";

type WholeFile = Extract<Codec, { access: "whole_file" }>;

async function write(
  codec: Codec,
  spec: FileSpec,
): Promise<{ file: FileBackend; bytes: Uint8Array }> {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-in-place-" });
  const file = new FileBackend(dir);
  const chunks: Uint8Array[] = [];
  for await (const c of codec.encode(spec)) chunks.push(c.slice());
  const bytes = concatBytes(chunks);
  await file.put("f", bytes);
  return { file, bytes };
}

function context(codec: WholeFile, slotBytes: number, decodeImages = true) {
  const ring = new Uint8Array(new SharedArrayBuffer(slotBytes * 2)).fill(7);
  const bufs = [new Uint8Array(0), new Uint8Array(0)];
  let claims = 0;
  const opts = { verifyChecksums: true, name: "file:///f", decodeImages };
  const cx: InPlaceContext = {
    now: () => performance.now(),
    name: opts.name,
    slotBytes,
    buffer: (w, n) => (bufs[w]!.byteLength >= n ? bufs[w]! : (bufs[w] = new Uint8Array(n))),
    claim: () => {
      claims++;
      return { slot: 1, bytes: ring.subarray(slotBytes, 2 * slotBytes) };
    },
    locate: (head, size) => codec.locate!(head, size, 0, opts),
  };
  return { cx, ring, claims: () => claims, opts };
}

const spec = (samples: number, dims = [300, 301]): FileSpec => ({
  dims,
  samples,
  dtype: "uint8",
  seed: 3,
  fileIndex: 0,
});

Deno.test("in place: an NPZ sample lands in its slot, the file read once, as open reads it", async () => {
  for (const codec of [npzCodec, npyCodec] as WholeFile[]) {
    const { file, bytes } = await write(codec, spec(1));
    const slotBytes = 300 * 301 + 5;
    const { cx, ring, claims, opts } = context(codec, slotBytes);
    const f = file.openSync("f");
    const out = readInPlace(f, cx);
    f.close();
    assert.equal(out.kind, "placed", codec.format);
    assert.equal(claims(), 1);
    assert.equal(out.kind === "placed" && out.bytes, bytes.byteLength);
    const want = codec.open(bytes, opts).sample(0);
    assert.deepEqual(ring.slice(slotBytes, slotBytes + want.byteLength), want);
    assert.deepEqual([...ring.slice(slotBytes + want.byteLength, 2 * slotBytes)], [0, 0, 0, 0, 0]);
    assert.ok(ring.subarray(0, slotBytes).every((b) => b === 7), "the other slot is untouched");
    // Reads: the head, the sample, the rest (NPZ: the y member and the directory; NPY: none).
    assert.equal(file.stats().requests, codec === npzCodec ? 3 : 2, codec.format);
  }
});

Deno.test("in place: a corrupt NPZ is refused as open refuses it", async () => {
  const { file, bytes } = await write(npzCodec, spec(1));
  // A byte of the array data, of the .npy header (both under the CRC), of the directory end.
  const cases: [number, RegExp][] = [
    [HEAD_BYTES + 1000, /CRC-32 mismatch/],
    [150, /CRC-32 mismatch/],
    [bytes.byteLength - 22, /not a zip archive/],
  ];
  for (const [at, re] of cases) {
    const bad = bytes.slice();
    bad[at] = bad[at]! ^ 0x55;
    await file.put("f", bad);
    const { cx } = context(npzCodec as WholeFile, 300 * 301);
    const f = file.openSync("f");
    assert.throws(
      () => readInPlace(f, cx),
      (e) => e instanceof FormatError && re.test(e.message),
      `byte ${at}`,
    );
    f.close();
    assert.throws(() => npzCodec.open(bad, { verifyChecksums: true, name: "f" }), FormatError);
  }
});

Deno.test("in place: multi-sample files and long samples are read whole, no slot claimed", async () => {
  for (const [samples, slotBytes] of [[2, 300 * 301], [1, 1000]]) {
    const { file, bytes } = await write(npzCodec, spec(samples!));
    const { cx, claims } = context(npzCodec as WholeFile, slotBytes!);
    const f = file.openSync("f");
    const out = readInPlace(f, cx);
    f.close();
    assert.equal(out.kind, "object");
    assert.deepEqual(out.kind === "object" && out.data, bytes);
    assert.equal(claims(), 0);
  }
});

Deno.test("in place: a JPEG read as bytes is its whole file; decoded, it is read whole", async () => {
  const { file, bytes } = await write(jpegCodec, spec(1, [64, 64]));
  for (const decode of [false, true]) {
    const { cx, ring } = context(jpegCodec as WholeFile, 64 * 64 * 4, decode);
    const f = file.openSync("f");
    const out = readInPlace(f, cx);
    f.close();
    assert.equal(out.kind, decode ? "object" : "placed");
    if (!decode) assert.deepEqual(ring.slice(64 * 64 * 4, 64 * 64 * 4 + bytes.byteLength), bytes);
  }
});
