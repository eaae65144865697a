/**
 * `synthetic`: no I/O at all, to measure the pipeline itself. Generation writes DLIO's tiny
 * text files (the file index); a sample read fetches nothing and hands a zero sample of the
 * configured size to the batch.
 * @module
 */
import { type Codec, FormatError, ITEMSIZE } from "./codec.ts";

const enc = new TextEncoder();

/** The synthetic codec. */
export const syntheticCodec: Codec = {
  format: "synthetic",
  extension: "synthetic",
  access: "none",
  encodedSize(spec) {
    return enc.encode(`${spec.fileIndex}\n`).byteLength;
  },
  *encode(spec) {
    yield enc.encode(`${spec.fileIndex}\n`);
  },
  open(_bytes, opts) {
    throw new FormatError(opts.name, "synthetic data has nothing to decode");
  },
};

/** A zero sample of the configured shape (synthetic reads). */
export function syntheticSample(dims: number[], dtype: keyof typeof ITEMSIZE): Uint8Array {
  return new Uint8Array(dims.reduce((a, b) => a * b, 1) * ITEMSIZE[dtype]);
}
