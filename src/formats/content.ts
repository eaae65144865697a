/**
 * Seeded sample content: random bits for integer types, finite values in [0, 1) for floats.
 * @module
 */
import { Prng } from "../util/prng.ts";
import type { ElementType, FileSpec } from "./codec.ts";

/** Chunk size for streamed content. */
export const CHUNK_BYTES = 1 << 20;

/** Fill `buf` with random elements of `dtype` (buf length a multiple of the item size). */
export function fillElements(prng: Prng, dtype: ElementType, buf: Uint8Array): void {
  prng.fill(buf);
  if (!dtype.startsWith("float")) return;
  // Clear the top exponent bits so every value is a finite number in [0, 1).
  if (dtype === "float16") {
    for (let i = 1; i < buf.byteLength; i += 2) buf[i]! &= 0x3b;
  } else if (dtype === "float32") {
    for (let i = 3; i < buf.byteLength; i += 4) buf[i]! &= 0x3f;
    for (let i = 2; i < buf.byteLength; i += 4) buf[i]! &= 0x7f;
  } else {
    for (let i = 7; i < buf.byteLength; i += 8) buf[i]! &= 0x3f;
    for (let i = 6; i < buf.byteLength; i += 8) buf[i]! &= 0xef;
  }
}

/**
 * The content of one file's sample array as chunks of at most `CHUNK_BYTES`, deterministic from
 * `spec.seed` and `spec.fileIndex`. A chunk is only valid until the next one is requested.
 */
export function* sampleContent(spec: FileSpec, totalBytes: number, itemsize: number) {
  const prng = new Prng(spec.seed, "content", spec.fileIndex);
  const chunk = Math.max(itemsize, CHUNK_BYTES - (CHUNK_BYTES % itemsize));
  const buf = new Uint8Array(Math.min(chunk, totalBytes));
  for (let off = 0; off < totalBytes; off += chunk) {
    const n = Math.min(chunk, totalBytes - off);
    const view = buf.subarray(0, n);
    fillElements(prng, spec.dtype, view);
    yield view;
  }
}
