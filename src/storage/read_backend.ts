/**
 * The backend samples are read through: `reader.odirect` on local files reads them with O_DIRECT;
 * a file system that refuses O_DIRECT is an error unless buffered reads are allowed as a
 * fallback. Asks capabilities (`directIO`, `localPath`) and error codes, never backend types.
 * @module
 */
import { StorageError } from "./backend.ts";
import type { StorageBackend } from "./backend.ts";
import { DirectBackend } from "./direct.ts";
import { FileBackend } from "./file.ts";

/** How samples are to be read. */
export interface ReadChoice {
  /** Read with O_DIRECT (DLIO's `reader.odirect`). */
  odirect: boolean;
  /** Read buffered when the file system refuses O_DIRECT (`reader.odirect_fallback`). */
  fallback: boolean;
  /** An object to probe direct reads with (the first data file). */
  probeKey: string;
  log: (line: string) => void;
}

/** The read backend, and whether O_DIRECT fell back to buffered reads. */
export async function readBackend(
  backend: StorageBackend,
  o: ReadChoice,
): Promise<{ backend: StorageBackend; fallback: boolean }> {
  const local = backend.localPath?.("");
  const reader = o.odirect && !backend.capabilities.directIO && local !== undefined
    ? new DirectBackend(local)
    : backend;
  if (!reader.capabilities.directIO) return { backend: reader, fallback: false };
  try {
    await reader.getRange(o.probeKey, 0, 1);
    return { backend: reader, fallback: false };
  } catch (e) {
    const refused = e instanceof StorageError && e.code === "unsupported";
    const dir = reader.localPath?.("");
    if (!refused || !o.fallback || dir === undefined) throw e;
    o.log(`warning: ${e.message}; reading buffered instead (reader.odirect_fallback is True)`);
    return { backend: new FileBackend(dir), fallback: true };
  }
}
