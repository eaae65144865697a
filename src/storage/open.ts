/**
 * Open the backend for a URI or plain path through the scheme registry (schemes.ts).
 * @module
 */
import { UserError } from "../errors.ts";
import type { StorageBackend } from "./backend.ts";
import { FileBackend } from "./file.ts";
import { type OpenOptions, SCHEME_REGISTRY, schemeOf, SCHEMES } from "./schemes.ts";

export type { OpenOptions } from "./schemes.ts";

/** Open the backend for a URI or path. Object-store SDKs load only when their scheme is used. */
export async function openBackend(uri: string, opts: OpenOptions = {}): Promise<StorageBackend> {
  const scheme = schemeOf(uri);
  if (!scheme) return new FileBackend(uri);
  const entry = SCHEME_REGISTRY[scheme];
  if (!entry) {
    throw new UserError(
      `storage scheme ${scheme}:// is not implemented (available: ${
        SCHEMES.map((s) => s + "://").join(", ")
      }, plain paths)`,
    );
  }
  return await entry.open(uri.slice(scheme.length + 3), uri, opts);
}
