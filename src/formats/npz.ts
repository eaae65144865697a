/**
 * NPZ, DLIO's layout: `x` of shape (d1, d2, samples) with the sample axis last, dtype from
 * `record_element_type`, and `y` labels (int64 zeros), as `np.savez` writes them;
 * `dataset.compression: zip` writes deflated members as `np.savez_compressed` does. A sample
 * read parses the zip and npy headers, checks the CRC-32 (as numpy does) unless told not to,
 * and extracts `x[..., i]`.
 * @module
 */
import { crc32, deflateRawSync } from "node:zlib";
import { type Codec, type FileSpec, FormatError, ITEMSIZE, type OpenedFile } from "./codec.ts";
import { sampleContent } from "./content.ts";
import { concatBytes } from "../util/bytes.ts";
import { arraySamples, locateArraySample, npyHeader, sampleArray } from "./npy.ts";
import {
  firstStoredMember,
  readZipDirectory,
  readZipMember,
  writeZip,
  type ZipMemberSource,
  zipSize,
} from "./zip.ts";

function members(spec: FileSpec): ZipMemberSource[] {
  const x = sampleArray(spec);
  const yHeader = npyHeader("int64", [spec.samples]);
  const yData = spec.samples * 8;
  const xChunks = () =>
    (function* () {
      yield x.header;
      yield* sampleContent(spec, x.dataBytes, ITEMSIZE[spec.dtype]);
    })();
  const out: ZipMemberSource[] = [
    { name: "x.npy", size: x.header.byteLength + x.dataBytes, chunks: xChunks() },
    { name: "y.npy", size: yHeader.byteLength + yData, chunks: [yHeader, new Uint8Array(yData)] },
  ];
  if (spec.compression === "zip") {
    // np.savez_compressed: deflated members (built in memory: compressed sizes are only known
    // after compressing).
    for (const m of out) {
      const raw = concatBytes([...m.chunks].map((c) => c.slice()));
      m.deflated = { data: new Uint8Array(deflateRawSync(raw)), crc: crc32(raw) >>> 0 };
      m.chunks = [];
    }
  }
  return out;
}

/** The NPZ codec. */
export const npzCodec: Codec = {
  format: "npz",
  extension: "npz",
  access: "whole_file",
  encodedSize(spec) {
    return spec.compression === "zip" ? undefined : zipSize(members(spec));
  },
  encode(spec) {
    return writeZip(members(spec));
  },
  open(bytes, opts): OpenedFile {
    const dir = readZipDirectory(bytes);
    if (typeof dir === "string") throw new FormatError(opts.name, dir);
    const entry = dir.find((e) => e.name === "x.npy");
    if (!entry) throw new FormatError(opts.name, "no array 'x' in the npz archive");
    const member = readZipMember(bytes, entry, opts.verifyChecksums);
    if (typeof member === "string") throw new FormatError(opts.name, member);
    return arraySamples(member, `${opts.name}: x.npy`);
  },
  locate(head, size, index, opts) {
    // In place when `x.npy` is stored first with one sample (np.savez and dl-driver write it
    // first): the zip directory and CRC-32 are then checked around the sample as `open` would.
    const m = firstStoredMember(head);
    const loc = m?.name === "x.npy" ? locateArraySample(head, m.start, size, index) : undefined;
    if (!m || !loc) return undefined;
    const member = loc.headerBytes + loc.length;
    const check = (before: Uint8Array, sample: Uint8Array, after: Uint8Array) => {
      const dir = readZipDirectory(after, loc.offset + loc.length);
      if (typeof dir === "string") throw new FormatError(opts.name, dir);
      const e = dir.find((e) => e.name === "x.npy");
      if (!e) throw new FormatError(opts.name, "no array 'x' in the npz archive");
      if (
        e.localOffset !== 0 || e.method !== 0 || e.size !== member || e.compressedSize !== member
      ) {
        throw new FormatError(
          opts.name,
          `member x.npy: the directory says ${e.compressedSize} bytes at offset ${e.localOffset}, ` +
            `its headers ${member} at 0`,
        );
      }
      const crc = crc32(sample, crc32(before.subarray(m.start))) >>> 0;
      if (opts.verifyChecksums && crc !== e.crc) {
        throw new FormatError(opts.name, "member x.npy: CRC-32 mismatch (file is corrupt)");
      }
    };
    return { offset: loc.offset, length: loc.length, check };
  },
};
