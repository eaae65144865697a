/**
 * `file://` backend: buffered POSIX I/O through Deno. Puts write to a temporary name in the
 * same directory and rename, so a file at its final name is always complete.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import {
  type Capabilities,
  chunksOf,
  type GetOptions,
  type ObjectInfo,
  type PutBody,
  type PutOptions,
  type StorageBackend,
  StorageError,
  type StorageErrorCode,
  type SyncObject,
} from "./backend.ts";
import type { BackendStats } from "../metrics/records.ts";
import { removeDeadPartials } from "./leftovers.ts";
import { openSyncFile } from "./sync_file.ts";

/** What `join` would normalise in a key: a `.` or `..` segment, an empty one, a leading `/`. */
const UNPLAIN_KEY = /(^|\/)\.\.?(\/|$)|\/\/|^\/|\/$|^$/;

let tmpCounter = 0;

/** Map a Deno error to a storage error naming the operation and path. */
export function fsError(op: string, path: string, e: unknown): Error {
  // Missing Deno permissions are a usage problem, reported as such by the CLI.
  if (e instanceof Deno.errors.NotCapable) return e;
  let code: StorageErrorCode = "io";
  if (e instanceof Deno.errors.NotFound) code = "not_found";
  else if (e instanceof Deno.errors.PermissionDenied) code = "permission";
  else if (e instanceof Deno.errors.IsADirectory || e instanceof Deno.errors.NotADirectory) {
    code = "invalid";
  }
  const detail = code === "not_found" ? "no such file" : (e as Error).message;
  return new StorageError(code, op, `file://${path}`, detail, { cause: e });
}

/** `buffer` when it holds `size` bytes, else a new buffer with `headroom` extra bytes. */
function sized(buffer: Uint8Array | undefined, size: number, headroom: number): Uint8Array {
  return buffer && buffer.byteLength >= size ? buffer : new Uint8Array(size + headroom);
}

/** fsync a folder, so a rename in it is durable (best effort where folders cannot be opened). */
export async function syncDir(dir: string): Promise<void> {
  let f: Deno.FsFile | undefined;
  try {
    f = await Deno.open(dir, { read: true });
    await f.sync();
  } catch {
    // Some file systems refuse to open or fsync a folder; the file itself was synced.
  } finally {
    f?.close();
  }
}

/** Buffered file-system backend rooted at a directory. */
export class FileBackend implements StorageBackend {
  readonly scheme = "file";
  readonly type = "file";
  readonly root: string;
  readonly capabilities: Capabilities = {
    rangeRead: true,
    directIO: false,
    alignment: 1,
    multipart: false,
    atomicPut: true,
    reopenable: true,
    chunkReuse: true,
  };
  /** Absolute root directory. */
  readonly dir: string;

  readonly #stats: BackendStats = { requests: 0, retries: 0 };

  /** Read requests made so far (no retries on local storage). */
  stats(): BackendStats {
    return { ...this.#stats };
  }

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.root = `file://${this.dir}`;
  }

  /** The local file path of a key. */
  localPath(key: string): string {
    return this.path(key);
  }

  /** Absolute path of a key. */
  path(key: string): string {
    // Keys listed or planned here are plain relative names: joined without normalising them.
    return UNPLAIN_KEY.test(key) || this.dir === "/" ? join(this.dir, key) : `${this.dir}/${key}`;
  }

  async get(key: string, opts?: GetOptions): Promise<Uint8Array> {
    this.#stats.requests++;
    const p = this.path(key);
    if (!opts?.buffer) {
      return await Deno.readFile(p, { signal: opts?.signal }).catch((e) => {
        throw fsError("read", p, e);
      });
    }
    return await this.#read("read", p, async (f) => (await f.stat()).size, 0, opts.buffer);
  }

  getSync(key: string, opts?: GetOptions): Uint8Array {
    this.#stats.requests++;
    const p = this.path(key);
    let f: Deno.FsFile | undefined;
    try {
      f = Deno.openSync(p);
      const size = f.statSync().size;
      const buf = sized(opts?.buffer, size, size >> 3);
      let off = 0;
      while (off < size) {
        const n = f.readSync(buf.subarray(off, size));
        if (n === null || n === 0) break;
        off += n;
      }
      return buf.subarray(0, off);
    } catch (e) {
      throw fsError("read", p, e);
    } finally {
      f?.close();
    }
  }

  openSync(key: string): SyncObject {
    const p = this.path(key);
    return openSyncFile(key, p, this.#stats, (op, e) => fsError(op, p, e));
  }

  getRangeSync(key: string, offset: number, length: number, opts?: GetOptions): Uint8Array {
    this.#stats.requests++;
    const p = this.path(key);
    let f: Deno.FsFile | undefined;
    try {
      f = Deno.openSync(p);
      if (offset > 0) f.seekSync(offset, Deno.SeekMode.Start);
      const buf = sized(opts?.buffer, length, 0);
      let off = 0;
      while (off < length) {
        const n = f.readSync(buf.subarray(off, length));
        if (n === null || n === 0) break;
        off += n;
      }
      return buf.subarray(0, off);
    } catch (e) {
      throw fsError("ranged read", p, e);
    } finally {
      f?.close();
    }
  }

  getRange(key: string, offset: number, length: number, opts?: GetOptions): Promise<Uint8Array> {
    this.#stats.requests++;
    return this.#read("ranged read", this.path(key), () => length, offset, opts?.buffer);
  }

  /** Open `p`, read `size(f)` bytes from `offset` into a (reused) buffer, close. */
  async #read(
    op: string,
    p: string,
    size: (f: Deno.FsFile) => number | Promise<number>,
    offset: number,
    buffer?: Uint8Array,
  ): Promise<Uint8Array> {
    let f: Deno.FsFile | undefined;
    try {
      f = await Deno.open(p);
      const n = await size(f);
      if (offset > 0) await f.seek(offset, Deno.SeekMode.Start);
      const buf = sized(buffer, n, 0);
      let off = 0;
      while (off < n) {
        const got = await f.read(buf.subarray(off, n));
        if (got === null || got === 0) break;
        off += got;
      }
      return buf.subarray(0, off);
    } catch (e) {
      throw fsError(op, p, e);
    } finally {
      f?.close();
    }
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<number> {
    const p = this.path(key);
    const tmp = join(dirname(p), `.${key.split("/").pop()}.partial-${Deno.pid}-${tmpCounter++}`);
    let written = 0;
    try {
      await Deno.mkdir(dirname(p), { recursive: true });
      const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
      try {
        for await (const chunk of chunksOf(body)) {
          opts?.signal?.throwIfAborted();
          let off = 0;
          while (off < chunk.byteLength) off += await f.write(chunk.subarray(off));
          written += chunk.byteLength;
        }
        if (opts?.fsync) await f.sync();
      } finally {
        f.close();
      }
      await Deno.rename(tmp, p);
      if (opts?.fsync) await syncDir(dirname(p));
      return written;
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      if (e instanceof StorageError || (e as Error)?.name === "AbortError") throw e;
      throw fsError("write", p, e);
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const p = this.path(key);
    try {
      const s = await Deno.stat(p);
      if (!s.isFile) throw new StorageError("invalid", "stat", `file://${p}`, "not a regular file");
      return { key, size: s.size };
    } catch (e) {
      if (e instanceof StorageError) throw e;
      throw fsError("stat", p, e);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const base = this.path(prefix);
    const walk = async function* (dir: string, rel: string): AsyncIterable<ObjectInfo> {
      let entries: AsyncIterable<Deno.DirEntry>;
      try {
        entries = Deno.readDir(dir);
        for await (const e of entries) {
          const k = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory) yield* walk(join(dir, e.name), k);
          else if (e.isFile) {
            if (e.name.startsWith(".") && e.name.includes(".partial-")) continue;
            const s = await Deno.stat(join(dir, e.name));
            yield { key: k, size: s.size };
          }
        }
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return;
        throw fsError("list", dir, err);
      }
    };
    yield* walk(base, prefix.replace(/\/+$/, ""));
  }

  /** Remove dead writers' partial files under `prefix` (a rerun's clean-up). */
  cleanLeftovers(prefix: string): Promise<number> {
    return removeDeadPartials(this.path(prefix));
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    try {
      await Deno.remove(p);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw fsError("delete", p, e);
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    const p = this.path(prefix);
    try {
      await Deno.remove(p, { recursive: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw fsError("delete", p, e);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
