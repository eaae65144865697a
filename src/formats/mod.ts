/**
 * Codec registry.
 * @module
 */
import { UserError } from "../errors.ts";
import type { Codec } from "./codec.ts";
import { npzCodec } from "./npz.ts";

const CODECS: Record<string, Codec> = { npz: npzCodec };

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
