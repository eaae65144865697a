/**
 * The numpy `.npy` header (format versions 1.0 and 2.0).
 * @module
 */
import {
  type Codec,
  type ElementType,
  type FileSpec,
  FormatError,
  ITEMSIZE,
  type OpenedFile,
} from "./codec.ts";
import { sampleContent } from "./content.ts";

const DESCR: Record<ElementType, string> = {
  uint8: "|u1",
  int8: "|i1",
  uint16: "<u2",
  int16: "<i2",
  uint32: "<u4",
  int32: "<i4",
  uint64: "<u8",
  int64: "<i8",
  float16: "<f2",
  float32: "<f4",
  float64: "<f8",
};
const BY_DESCR = new Map(Object.entries(DESCR).map(([k, v]) => [v, k as ElementType]));

/** Encode an `.npy` header for a C-order array, padded to a multiple of 64 bytes. */
export function npyHeader(dtype: ElementType, shape: number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const v1 = dict.length + 11 < 65536;
  const pre = v1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, " ") + "\n";
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, v1 ? 1 : 2, 0]);
  const dv = new DataView(out.buffer);
  if (v1) dv.setUint16(8, dict.length, true);
  else dv.setUint32(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), pre);
  return out;
}

/** A parsed `.npy` header. */
export interface NpyInfo {
  dtype: ElementType;
  shape: number[];
  fortranOrder: boolean;
  /** Offset of the array data from the start of the `.npy` bytes. */
  dataOffset: number;
}

/** Parse an `.npy` header; returns an error string on malformed input. */
export function parseNpyHeader(b: Uint8Array): NpyInfo | string {
  if (b.byteLength < 10 || b[0] !== 0x93 || String.fromCharCode(...b.subarray(1, 6)) !== "NUMPY") {
    return "not an .npy array (bad magic)";
  }
  const major = b[6]!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pre = major === 1 ? 10 : 12;
  if (major < 1 || major > 3) return `unsupported .npy version ${major}`;
  const len = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (pre + len > b.byteLength) return "truncated .npy header";
  const text = new TextDecoder().decode(b.subarray(pre, pre + len));
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !fortran || shapeText === undefined) return `malformed .npy header: ${text.trim()}`;
  const dtype = BY_DESCR.get(descr);
  if (!dtype) return `unsupported dtype ${descr}`;
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) return `malformed shape (${shapeText})`;
  return { dtype, shape, fortranOrder: fortran === "True", dataOffset: pre + len };
}

/** Samples of a C-order array whose last axis is the sample axis (DLIO's npy/npz layout). */
export function arraySamples(npy: Uint8Array, name: string): OpenedFile {
  const info = parseNpyHeader(npy);
  if (typeof info === "string") throw new FormatError(name, info);
  if (info.fortranOrder) throw new FormatError(name, "Fortran order is not supported");
  if (info.shape.length < 1) throw new FormatError(name, "scalar array, no samples");
  const itemsize = ITEMSIZE[info.dtype];
  const n = info.shape[info.shape.length - 1]!;
  const dims = info.shape.slice(0, -1);
  const perSample = dims.reduce((a, b) => a * b, 1);
  const need = info.dataOffset + perSample * n * itemsize;
  if (npy.byteLength < need) {
    throw new FormatError(
      name,
      `array data truncated at byte ${npy.byteLength} (header says ${need} bytes)`,
    );
  }
  const data = npy.subarray(info.dataOffset, need);
  return {
    numSamples: n,
    dims,
    dtype: info.dtype,
    sample(i, scratch) {
      if (i < 0 || i >= n) throw new FormatError(name, `sample ${i} out of range (0..${n - 1})`);
      const bytes = perSample * itemsize;
      if (n === 1) return data.subarray(0, bytes);
      // Sample axis last: element k of sample i is at (k * n + i); gather it.
      const out = scratch && scratch.byteLength >= bytes
        ? scratch.subarray(0, bytes)
        : new Uint8Array(bytes);
      for (let k = 0; k < perSample; k++) {
        const src = (k * n + i) * itemsize, dst = k * itemsize;
        for (let b = 0; b < itemsize; b++) out[dst + b] = data[src + b]!;
      }
      return out;
    },
  };
}

/**
 * Where sample `index` of the `.npy` array at byte `at` of a file (of `size` bytes, first bytes
 * in `head`) lies, when it is one contiguous range: one sample per array, C order (the sample
 * axis is last). `headerBytes`: the `.npy` header's length.
 */
export function locateArraySample(
  head: Uint8Array,
  at: number,
  size: number,
  index: number,
): { offset: number; length: number; headerBytes: number } | undefined {
  if (index !== 0) return undefined;
  const info = parseNpyHeader(head.subarray(at));
  if (typeof info === "string" || info.fortranOrder || info.shape.at(-1) !== 1) return undefined;
  const length = info.shape.reduce((a, b) => a * b, 1) * ITEMSIZE[info.dtype];
  const offset = at + info.dataOffset;
  return offset + length <= size ? { offset, length, headerBytes: info.dataOffset } : undefined;
}

/** The header and content of DLIO's sample array for a file: shape (d1, d2, samples). */
export function sampleArray(spec: FileSpec): { header: Uint8Array; dataBytes: number } {
  const shape = [...spec.dims, spec.samples];
  return {
    header: npyHeader(spec.dtype, shape),
    dataBytes: shape.reduce((a, b) => a * b, 1) * ITEMSIZE[spec.dtype],
  };
}

/** NPY: one `np.save` array of shape (d1, d2, samples), read whole per sample (DLIO). */
export const npyCodec: Codec = {
  format: "npy",
  extension: "npy",
  access: "whole_file",
  encodedSize(spec) {
    const a = sampleArray(spec);
    return a.header.byteLength + a.dataBytes;
  },
  *encode(spec) {
    const a = sampleArray(spec);
    yield a.header;
    yield* sampleContent(spec, a.dataBytes, ITEMSIZE[spec.dtype]);
  },
  open(bytes, opts) {
    return arraySamples(bytes, opts.name);
  },
  locate: (head, size, index) => locateArraySample(head, 0, size, index),
};
