/**
 * Codec registry.
 * @module
 */
import { UserError } from "../errors.ts";
import type { Codec } from "./codec.ts";
import { npzCodec } from "./npz.ts";
import { tfrecordCodec } from "./tfrecord.ts";

const CODECS: Record<string, Codec> = { npz: npzCodec, tfrecord: tfrecordCodec };

/** Formats dl-driver reads and writes. */
export const FORMATS_AVAILABLE: string[] = Object.keys(CODECS);

/** The codec for a DLIO format name. */
export function codecFor(format: string): Codec {
  const c = CODECS[format];
  if (!c) {
    throw new UserError(
      `format ${format} is not implemented yet (available: ${Object.keys(CODECS).join(", ")})`,
    );
  }
  return c;
}
