/**
 * Dropping a dataset from this host's page cache before an epoch, as MLPerf Storage v3.0's DLIO
 * does: `posix_fadvise(POSIX_FADV_DONTNEED)` on each file (any user, local file systems), or
 * the whole host's cache through `/proc/sys/vm/drop_caches` (root only; otherwise fadvise).
 * Object stores have no page cache here: nothing to drop.
 * @module
 */
import type { PageCacheDrop } from "../metrics/records.ts";
import type { StorageBackend } from "./backend.ts";
import { cPath, lastError, libc, O_RDONLY, POSIX_FADV_DONTNEED } from "./libc.ts";

/** A split's files by index (the loader's FileKeys). */
interface Keys {
  readonly length: number;
  key(i: number): string;
}

function fadvise(path: string): number {
  const l = libc();
  const fd = l.open(cPath(path), O_RDONLY, 0);
  if (fd < 0) throw new Error(`open ${path}: ${lastError().text}`);
  try {
    const size = Number(l.lseek(fd, 0n, 2));
    const rc = l.posix_fadvise(fd, 0n, 0n, POSIX_FADV_DONTNEED);
    if (rc !== 0) throw new Error(`posix_fadvise ${path}: error ${rc}`);
    return Math.max(0, size);
  } finally {
    l.close(fd);
  }
}

/** Drop `files` of `backend` from the page cache; returns what was done (epoch set by caller). */
export async function dropPageCache(
  backend: StorageBackend,
  files: Keys,
  how: "fadvise" | "drop_caches",
  signal?: AbortSignal,
): Promise<Omit<PageCacheDrop, "epoch">> {
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  if (!backend.localPath) {
    return { method: "none", files: 0, bytes: 0, seconds: 0, note: "object store: no page cache" };
  }
  let note: string | undefined;
  if (how === "drop_caches") {
    try {
      await Deno.writeTextFile("/proc/sys/vm/drop_caches", "3");
      return { method: "drop_caches", files: files.length, bytes: 0, seconds: secs() };
    } catch (e) {
      note = `drop_caches refused (${(e as Error).name}): fadvise instead`;
    }
  }
  let bytes = 0;
  for (let i = 0; i < files.length; i++) {
    if (i % 1024 === 0) signal?.throwIfAborted();
    bytes += fadvise(backend.localPath(files.key(i)));
  }
  return { method: "fadvise", files: files.length, bytes, seconds: secs(), ...(note && { note }) };
}
