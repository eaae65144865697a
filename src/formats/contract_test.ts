/**
 * The codec contract: every codec round-trips its samples, reports its sample count and
 * shapes, sizes exactly when it says it can, and is deterministic from the seed.
 */
import assert from "node:assert/strict";
import { bytesSource, type Codec, encodeToBytes, type FileSpec, ITEMSIZE } from "./codec.ts";
import { codecFor, FORMATS_AVAILABLE } from "./mod.ts";

const bytes = encodeToBytes;

/** Open with the codec's sync or async decoder; `sampleAny` awaits either. */
async function openAny(codec: Codec, data: Uint8Array, name: string) {
  const opts = { verifyChecksums: true, name };
  if (codec.access === "ranged_async") {
    const f = await codec.openRanged(bytesSource(data), opts);
    return { ...f, dims: [] as number[], sampleAny: (i: number) => f.sampleAsync(i) };
  }
  const f = codec.open(data, opts);
  return Object.assign(f, { sampleAny: (i: number) => Promise.resolve(f.sample(i)) });
}

const specs: FileSpec[] = [
  { dims: [24, 40], samples: 3, dtype: "uint8", seed: 9, fileIndex: 4 },
  { dims: [7, 5], samples: 1, dtype: "float32", seed: 2, fileIndex: 0 },
  { dims: [16, 16], samples: 5, dtype: "int16", seed: 2, fileIndex: 1, compression: "zip" },
];

for (const format of FORMATS_AVAILABLE) {
  Deno.test(`codec contract: ${format}`, async () => {
    const codec = await codecFor(format);
    assert.equal(codec.format, format);
    for (const spec0 of specs) {
      const image = format === "png" || format === "jpeg";
      const spec0b = format === "hdf5" && spec0.compression
        ? { ...spec0, compression: "gzip" }
        : spec0;
      const spec = image || format === "csv" ? { ...spec0b, dtype: "uint8" as const } : spec0b;
      const a = await bytes(codec, spec);
      const size = codec.encodedSize(spec);
      if (size !== undefined) assert.equal(a.byteLength, size, `${format} encodedSize`);
      const again = await bytes(codec, spec);
      if (format === "hdf5") {
        // HDF5 object headers carry modification times (h5wasm cannot switch them off), so two
        // encodings a second apart differ there: the same size and the same samples is the promise.
        assert.equal(again.byteLength, a.byteLength, "hdf5 is deterministic in size");
        const x = await openAny(codec, a, "a.h5"), y = await openAny(codec, again, "b.h5");
        for (let i = 0; i < spec.samples; i++) {
          assert.deepEqual(await y.sampleAny(i), await x.sampleAny(i), `hdf5 sample ${i}`);
        }
      } else assert.deepEqual(again, a, `${format} is deterministic`);
      if (codec.access === "none") continue; // synthetic files hold only their index
      assert.notDeepEqual(
        await bytes(codec, { ...spec, seed: spec.seed + 1 }),
        a,
        `${format} seed`,
      );
      if (codec.access === "stream") {
        // Framing: records cut one after another from the file decode to the samples.
        const fr = codec.framing, opts = { verifyChecksums: true, name: "s" };
        const got: string[] = [];
        for (let at = 0; at < a.byteLength;) {
          const len = fr.recordLength(a.subarray(at, at + fr.headerBytes), opts);
          got.push(fr.decode(a.subarray(at, at + len), opts).join(","));
          at += len;
        }
        assert.equal(got.length, spec.samples);
        assert.equal(new Set(got).size, spec.samples);
      }
      if (codec.access === "indexed" || codec.access === "stream") {
        // Index files: written beside the data, parsed back, and each range decodes to a sample.
        const side = codec.sidecars?.(spec, "train/f.x") ?? [];
        assert.deepEqual(side.map((s) => s.key), codec.index.keys("train/f.x"));
        const ranges = codec.index.parse(side.map((s) => s.data), {
          verifyChecksums: true,
          name: "idx",
        });
        assert.equal(ranges.length, spec.samples);
        const per = spec.dims.reduce((x, y) => x * y, 1) * ITEMSIZE[spec.dtype];
        const seen = new Set<string>();
        for (const r of ranges) {
          const s = codec.index.decode(a.subarray(r.offset, r.offset + r.length), {
            verifyChecksums: true,
            name: "r",
          });
          assert.equal(s.byteLength, per);
          seen.add(s.join(","));
        }
        assert.equal(seen.size, spec.samples);
        if (codec.access === "indexed") continue;
      }
      const f = await openAny(codec, a, `t.${codec.extension}`);
      assert.equal(f.numSamples, image ? 1 : spec.samples, `${format} sample count`);
      const per = spec.dims.reduce((x, y) => x * y, 1);
      const itemsize = { uint8: 1, float32: 4, int16: 2 }[spec.dtype as "uint8"];
      const seen = new Set<string>();
      for (let i = 0; i < spec.samples; i++) {
        const s = await f.sampleAny(i);
        if (image) {
          assert.deepEqual(f.dims, spec.dims);
          assert.ok(s.byteLength >= per, `${format} decoded pixels`);
        } else {
          assert.equal(s.byteLength, per * itemsize, `${format} sample ${i} size`);
          seen.add(s.join(","));
        }
      }
      if (!image) assert.equal(seen.size, spec.samples, `${format}: samples differ`);
      // Images: every sample index returns the file's one image (DLIO ignores samples per file).
      if (!image) await assert.rejects(async () => await f.sampleAny(spec.samples));
    }
  });
}

Deno.test("codec contract: every format's files are byte-identical for a seed, a second later too", async () => {
  // Formats whose writers stamp the time (HDF5 object headers) would differ across seconds.
  const encodeAll = () =>
    Promise.all(
      FORMATS_AVAILABLE.map(async (f) =>
        encodeToBytes(await codecFor(f), { ...specs[0]!, compression: undefined })
      ),
    );
  const first = await encodeAll();
  await new Promise((r) => setTimeout(r, 1100));
  const again = await encodeAll();
  FORMATS_AVAILABLE.forEach((f, i) => assert.deepEqual(again[i], first[i], f));
});
