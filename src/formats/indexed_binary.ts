/**
 * indexed_binary and mmap_indexed_binary, DLIO's layout: a data file of contiguous equal-sized
 * samples plus `<file>.off.idx` and `<file>.sz.idx` (little-endian uint64 offset and size per
 * sample). Reading loads both index files once per file, then reads each sample with one ranged
 * read (DLIO: seek + readinto). DLIO's mmap reader only slices an `np.memmap`, so almost no pages
 * are touched; dl-driver reads the bytes for real in both formats (docs/formats.md).
 * @module
 */
import {
  type Codec,
  type FileSpec,
  FormatError,
  ITEMSIZE,
  type OpenOptions,
  type SampleRange,
} from "./codec.ts";
import { sampleContent } from "./content.ts";

/** Most samples an index may declare (guards against lying index files). */
const MAX_SAMPLES = 1 << 28;

function sampleBytes(spec: FileSpec): number {
  return spec.dims.reduce((a, b) => a * b, 1) * ITEMSIZE[spec.dtype];
}

function u64s(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setBigUint64(i * 8, BigInt(v), true));
  return out;
}

function makeCodec(format: "indexed_binary" | "mmap_indexed_binary"): Codec {
  return {
    format,
    extension: format,
    access: "indexed",
    encodedSize(spec) {
      return sampleBytes(spec) * spec.samples;
    },
    encode(spec) {
      return sampleContent(spec, sampleBytes(spec) * spec.samples, ITEMSIZE[spec.dtype]);
    },
    sidecars(spec, key) {
      const size = sampleBytes(spec);
      const offsets = Array.from({ length: spec.samples }, (_, i) => i * size);
      return [
        { key: `${key}.off.idx`, data: u64s(offsets) },
        { key: `${key}.sz.idx`, data: u64s(offsets.map(() => size)) },
      ];
    },
    index: {
      keys(key) {
        return [`${key}.off.idx`, `${key}.sz.idx`];
      },
      parse: parseIndex,
      decode: (bytes) => bytes,
    },
    open(_bytes, opts) {
      throw new FormatError(opts.name, `${format} is read through its index files (ranged reads)`);
    },
  };
}

/** The .off.idx and .sz.idx objects (uint64 LE) as sample ranges. */
function parseIndex(parts: Uint8Array[], opts: OpenOptions): SampleRange[] {
  const [off, sz] = parts;
  if (
    !off || !sz || off.byteLength % 8 || sz.byteLength % 8 || off.byteLength !== sz.byteLength
  ) {
    throw new FormatError(
      opts.name,
      `index files disagree or are truncated (.off.idx ${off?.byteLength} bytes, .sz.idx ${sz?.byteLength} bytes)`,
    );
  }
  const n = off.byteLength / 8;
  if (n > MAX_SAMPLES) throw new FormatError(opts.name, `index declares ${n} samples`);
  const o = new DataView(off.buffer, off.byteOffset, off.byteLength);
  const s = new DataView(sz.buffer, sz.byteOffset, sz.byteLength);
  return Array.from({ length: n }, (_, i) => {
    const offset = Number(o.getBigUint64(i * 8, true));
    const length = Number(s.getBigUint64(i * 8, true));
    if (!Number.isSafeInteger(offset + length) || length > 2 ** 31) {
      throw new FormatError(
        opts.name,
        `index entry ${i} at byte ${i * 8}: offset ${offset}, size ${length} is not plausible`,
      );
    }
    return { offset, length };
  });
}

/** indexed_binary. */
export const indexedBinaryCodec: Codec = makeCodec("indexed_binary");
/** mmap_indexed_binary (read for real, unlike DLIO's memmap). */
export const mmapIndexedBinaryCodec: Codec = makeCodec("mmap_indexed_binary");
