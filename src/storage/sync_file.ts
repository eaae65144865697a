/**
 * Local files open for blocking positional reads (`StorageBackend.openSync`, reader threads).
 * Where FFI is allowed, libc's open/lseek/pread/close: Deno's file ops check permissions on every
 * call, which costs ~40 µs per small file under `--allow-read` (not under `-A`), most of the CPU
 * of reading 100 k small files (retinanet). Otherwise Deno's own file ops.
 * @module
 */
import type { BackendStats } from "../metrics/records.ts";
import { StorageError, type StorageErrorCode, type SyncObject } from "./backend.ts";
import { cPath, lastError, libc, O_RDONLY } from "./libc.ts";

/** Whether this thread may call libc (queried once; never prompts). */
let ffi: boolean | undefined;

/** Open `path` (the object `key`) for positional reads; every read counts a request. */
export function openSyncFile(
  key: string,
  path: string,
  stats: BackendStats,
  onError: (op: string, e: unknown) => Error,
): SyncObject {
  ffi ??= Deno.permissions.querySync?.({ name: "ffi" }).state === "granted";
  if (ffi) return LibcFile.open(key, path, stats);
  let f: Deno.FsFile | undefined;
  try {
    f = Deno.openSync(path);
    return new DenoFile(key, f, f.statSync().size, stats, onError);
  } catch (e) {
    f?.close();
    throw onError("open", e);
  }
}

/** Through Deno's file ops. */
class DenoFile implements SyncObject {
  #pos = 0;
  constructor(
    readonly key: string,
    readonly file: Deno.FsFile,
    readonly size: number,
    readonly stats: BackendStats,
    readonly onError: (op: string, e: unknown) => Error,
  ) {}

  readAt(into: Uint8Array, offset: number): number {
    this.stats.requests++;
    try {
      if (offset !== this.#pos) this.file.seekSync(offset, Deno.SeekMode.Start);
      let off = 0;
      while (off < into.byteLength) {
        const n = this.file.readSync(into.subarray(off));
        if (n === null || n === 0) break;
        off += n;
      }
      this.#pos = offset + off;
      return off;
    } catch (e) {
      throw this.onError("read", e);
    }
  }

  close(): void {
    this.file.close();
  }
}

const SEEK_END = 2;

/** Through libc (FFI). */
class LibcFile implements SyncObject {
  #fd: number;
  private constructor(
    readonly key: string,
    readonly path: string,
    fd: number,
    readonly size: number,
    readonly stats: BackendStats,
  ) {
    this.#fd = fd;
  }

  static open(key: string, path: string, stats: BackendStats): LibcFile {
    const c = libc();
    const fd = c.open(cPath(path), O_RDONLY, 0);
    if (fd < 0) throw libcError("open", path);
    const size = Number(c.lseek(fd, 0n, SEEK_END));
    if (size < 0) {
      const e = libcError("open", path);
      c.close(fd);
      throw e;
    }
    return new LibcFile(key, path, fd, size, stats);
  }

  readAt(into: Uint8Array, offset: number): number {
    this.stats.requests++;
    const c = libc();
    let off = 0;
    while (off < into.byteLength) {
      const rest = into.subarray(off);
      const n = Number(c.pread(this.#fd, rest, BigInt(rest.byteLength), BigInt(offset + off)));
      if (n < 0) throw libcError("read", this.path);
      if (n === 0) break;
      off += n;
    }
    return off;
  }

  close(): void {
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
  }
}

/** The failed call's errno as a storage error naming the file (as Deno's ops map them). */
function libcError(op: string, path: string): StorageError {
  const { errno, text } = lastError();
  const code: StorageErrorCode = errno === 2
    ? "not_found"
    : errno === 13
    ? "permission"
    : errno === 21 || errno === 20
    ? "invalid"
    : "io";
  return new StorageError(code, op, `file://${path}`, code === "not_found" ? "no such file" : text);
}
