/**
 * Malformed inputs: random corruptions of valid files (flipped bytes, truncation, lying length
 * fields, garbage) must give a FormatError naming the file, never another exception, a hang or a
 * giant allocation. Seeded, so failures reproduce.
 */
import assert from "node:assert/strict";
import { Prng } from "../util/prng.ts";
import { bytesSource, encodeToBytes, type FileSpec, FormatError } from "./codec.ts";
import { codecFor, FORMATS_AVAILABLE } from "./mod.ts";

function corrupt(valid: Uint8Array, prng: Prng, kinds = 5): Uint8Array {
  const b = valid.slice();
  switch (prng.nextInt(kinds)) {
    case 0: // flip a few bytes
      for (let k = 0; k < 1 + prng.nextInt(4); k++) {
        b[prng.nextInt(b.length)] ^= 1 + prng.nextInt(255);
      }
      return b;
    case 1: // truncate
      return b.subarray(0, prng.nextInt(b.length));
    case 2: { // lying length fields: 0xFF runs (huge values in any little/big-endian field)
      const at = prng.nextInt(Math.max(1, b.length - 8));
      b.fill(0xff, at, at + 4 + prng.nextInt(5));
      return b;
    }
    case 3: // garbage appended or prepended
      return prng.nextInt(2)
        ? new Uint8Array([...b, ...prng.fill(new Uint8Array(1 + prng.nextInt(64)))])
        : new Uint8Array([...prng.fill(new Uint8Array(1 + prng.nextInt(64))), ...b]);
    default: // entirely random
      return prng.fill(new Uint8Array(prng.nextInt(4096)));
  }
}

/** HDF5 and Parquet decoders are libraries: only truncations and signature damage are fuzzed. */
function libraryCorrupt(valid: Uint8Array, prng: Prng): Uint8Array {
  if (prng.nextInt(2)) return valid.subarray(0, prng.nextInt(valid.length));
  const b = valid.slice();
  const at = prng.nextInt(2) ? prng.nextInt(4) : b.length - 1 - prng.nextInt(4); // head/tail magic
  b[at] ^= 1 + prng.nextInt(255);
  return b;
}

for (const format of FORMATS_AVAILABLE) {
  Deno.test(`fuzz: corrupt ${format} files give FormatErrors naming the file`, async () => {
    const codec = await codecFor(format);
    if (codec.access === "none") return;
    const spec: FileSpec = { dims: [20, 24], samples: 3, dtype: "uint8", seed: 1, fileIndex: 0 };
    const valid = await encodeToBytes(codec, spec);
    const side = codec.sidecars?.(spec, "train/f")?.map((s) => s.data) ?? [];
    const prng = new Prng(2026, format);
    let errors = 0;
    const library = format === "hdf5" || format === "parquet";
    for (let n = 0; n < (library ? 60 : 300); n++) {
      const name = `fuzz-${n}.${codec.extension}`;
      const opts = { verifyChecksums: prng.nextInt(4) > 0, name };
      const t0 = performance.now();
      try {
        const index = codec.access === "indexed" || codec.access === "stream"
          ? codec.index
          : undefined;
        if (index && (codec.access === "indexed" || n % 2)) {
          // Corrupt the index files and the data, through the ranged path.
          const parts = side.map((s) => (prng.nextInt(2) ? corrupt(s, prng) : s));
          const ranges = index.parse(parts, opts);
          const data = corrupt(valid, prng);
          for (const r of ranges) {
            if (r.offset + r.length > data.byteLength) continue; // the reader checks this
            index.decode(data.subarray(r.offset, r.offset + r.length), opts);
          }
        } else {
          // HDF5 (h5wasm) and Parquet (hyparquet) can loop on corrupted internal metadata; only
          // truncations and damaged magic numbers are fuzzed there (docs/formats.md says so).
          const bad = format === "hdf5" || format === "parquet"
            ? libraryCorrupt(valid, prng)
            : corrupt(valid, prng);
          if (codec.access === "ranged_async") {
            const f = await codec.openRanged(bytesSource(bad), opts);
            for (let i = 0; i < f.numSamples && i < 8; i++) await f.sampleAsync(i);
          } else {
            const f = codec.open(bad, opts);
            for (let i = 0; i < f.numSamples && i < 8; i++) f.sample(i);
          }
        }
      } catch (e) {
        errors++;
        assert.ok(e instanceof FormatError, `${format} case ${n}: ${(e as Error)?.stack ?? e}`);
        assert.ok((e as Error).message.includes(name) || (e as Error).message.includes("idx"));
      }
      assert.ok(performance.now() - t0 < 2000, `${format} case ${n} took too long`);
    }
    assert.ok(errors > (library ? 10 : 30), `${format}: only ${errors} detected`);
  });
}
