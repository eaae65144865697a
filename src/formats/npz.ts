/**
 * NPZ, DLIO's layout: `x` of shape (d1, d2, samples) with the sample axis last, dtype from
 * `record_element_type`, and `y` labels (int64 zeros), as `np.savez` writes them.
 * A sample read parses the zip and npy headers, checks the CRC-32 (as numpy does) unless told
 * not to, and extracts `x[..., i]`.
 * @module
 */
import {
  type Codec,
  type FileSpec,
  FormatError,
  ITEMSIZE,
  type OpenedFile,
  type OpenOptions,
} from "./codec.ts";
import { sampleContent } from "./content.ts";
import { npyHeader, parseNpyHeader } from "./npy.ts";
import { readZipDirectory, readZipMember, writeZip, zipSize } from "./zip.ts";

function members(spec: FileSpec) {
  const shape = [...spec.dims, spec.samples];
  const itemsize = ITEMSIZE[spec.dtype];
  const xHeader = npyHeader(spec.dtype, shape);
  const xData = shape.reduce((a, b) => a * b, 1) * itemsize;
  const yHeader = npyHeader("int64", [spec.samples]);
  const yData = spec.samples * 8;
  return [
    {
      name: "x.npy",
      size: xHeader.byteLength + xData,
      chunks: (function* () {
        yield xHeader;
        yield* sampleContent(spec, xData, itemsize);
      })(),
    },
    {
      name: "y.npy",
      size: yHeader.byteLength + yData,
      chunks: [yHeader, new Uint8Array(yData)],
    },
  ];
}

/** The NPZ codec. */
export const npzCodec: Codec = {
  format: "npz",
  extension: "npz",
  access: "whole_file",
  encodedSize(spec) {
    return zipSize(members(spec));
  },
  encode(spec) {
    return writeZip(members(spec));
  },
  open(bytes, opts) {
    return openNpz(bytes, opts);
  },
};

function openNpz(bytes: Uint8Array, opts: OpenOptions): OpenedFile {
  const dir = readZipDirectory(bytes);
  if (typeof dir === "string") throw new FormatError(opts.name, dir);
  const entry = dir.find((e) => e.name === "x.npy");
  if (!entry) throw new FormatError(opts.name, "no array 'x' in the npz archive");
  const member = readZipMember(bytes, entry, opts.verifyChecksums);
  if (typeof member === "string") throw new FormatError(opts.name, member);
  const info = parseNpyHeader(member);
  if (typeof info === "string") throw new FormatError(opts.name, `x.npy: ${info}`);
  if (info.fortranOrder) throw new FormatError(opts.name, "x.npy: Fortran order is not supported");
  if (info.shape.length < 1) throw new FormatError(opts.name, "x.npy: scalar array, no samples");
  const itemsize = ITEMSIZE[info.dtype];
  const n = info.shape[info.shape.length - 1]!;
  const dims = info.shape.slice(0, -1);
  const perSample = dims.reduce((a, b) => a * b, 1);
  const need = info.dataOffset + perSample * n * itemsize;
  if (member.byteLength < need) {
    throw new FormatError(
      opts.name,
      `x.npy: data truncated (${member.byteLength} < ${need} bytes)`,
    );
  }
  const data = member.subarray(info.dataOffset, need);
  return {
    numSamples: n,
    dims,
    dtype: info.dtype,
    sample(i, scratch) {
      if (i < 0 || i >= n) {
        throw new FormatError(opts.name, `sample ${i} out of range (0..${n - 1})`);
      }
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
