/**
 * `direct://` backend: O_DIRECT reads and writes through libc (Deno FFI), bypassing the page
 * cache. Buffers, offsets and lengths are aligned to 4 KiB; the tail of a file whose size is
 * not a multiple of the block is read with an aligned over-read (the kernel returns the short
 * count) and written as a padded block followed by ftruncate. Writes go to a temporary name and
 * are renamed when complete. A file system that refuses O_DIRECT gives an error naming the path;
 * listing, stat and delete use ordinary calls (they do not move data).
 * @module
 */
import { dirname, join } from "node:path";
import {
  type Capabilities,
  chunksOf,
  type GetOptions,
  type ObjectInfo,
  type PutBody,
  type PutOptions,
  type StorageBackend,
  StorageError,
} from "./backend.ts";
import { FileBackend, fsError, syncDir } from "./file.ts";
import {
  alignDown,
  alignedBuffer,
  alignUp,
  cPath,
  DIRECT_ALIGN,
  lastError,
  libc,
  O_CREAT,
  O_DIRECT,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
} from "./libc.ts";
import type { BackendStats } from "../metrics/records.ts";

let tmpCounter = 0;
const STAGE = 8 << 20; // write staging buffer

/** O_DIRECT file backend rooted at a directory. */
export class DirectBackend implements StorageBackend {
  readonly scheme = "direct";
  readonly type = "directio";
  readonly root: string;
  readonly capabilities: Capabilities = {
    rangeRead: true,
    directIO: true,
    alignment: DIRECT_ALIGN,
    multipart: false,
    atomicPut: true,
    reopenable: true,
    chunkReuse: true,
  };
  readonly #meta: FileBackend;

  readonly #stats: BackendStats = { requests: 0, retries: 0 };

  /** Read requests made so far (no retries on local storage). */
  stats(): BackendStats {
    return { ...this.#stats };
  }

  constructor(dir: string) {
    this.#meta = new FileBackend(dir);
    this.root = `direct://${this.#meta.dir}`;
    libc();
  }

  /** The local file path of a key. */
  localPath(key: string): string {
    return this.path(key);
  }

  /** Absolute path of a key. */
  path(key: string): string {
    return this.#meta.path(key);
  }

  #open(op: string, p: string, flags: number): number {
    const fd = libc().open(cPath(p), flags | O_DIRECT, 0o644);
    if (fd < 0) {
      const { errno, text } = lastError();
      if (errno === 22) {
        throw new StorageError(
          "unsupported",
          op,
          `direct://${p}`,
          "the file system refuses O_DIRECT (EINVAL); use a file:// path for buffered I/O",
        );
      }
      const code = errno === 2 ? "not_found" : errno === 13 ? "permission" : "io";
      throw new StorageError(
        code,
        op,
        `direct://${p}`,
        code === "not_found" ? "no such file" : text,
      );
    }
    return fd;
  }

  #size(fd: number): number {
    return Number(libc().lseek(fd, 0n, 2));
  }

  /** Read [start, start+len) aligned into `buf` (aligned, ≥ len); returns bytes read. */
  async #preadAligned(fd: number, buf: Uint8Array, start: number, len: number, p: string) {
    let off = 0;
    while (off < len) {
      const n = Number(
        await libc().pread_async(fd, buf.subarray(off), BigInt(len - off), BigInt(start + off)),
      );
      if (n < 0) throw new StorageError("io", "read", `direct://${p}`, "pread failed");
      if (n === 0) break;
      off += n;
      if (n % DIRECT_ALIGN !== 0) break; // short read at end of file
    }
    return off;
  }

  /** The same, blocking (reader threads). */
  #preadAlignedSync(fd: number, buf: Uint8Array, start: number, len: number, p: string) {
    let off = 0;
    while (off < len) {
      const n = Number(libc().pread(fd, buf.subarray(off), BigInt(len - off), BigInt(start + off)));
      if (n < 0) throw new StorageError("io", "read", `direct://${p}`, lastError().text);
      if (n === 0) break;
      off += n;
      if (n % DIRECT_ALIGN !== 0) break;
    }
    return off;
  }

  allocBuffer(size: number): Uint8Array {
    return alignedBuffer(alignUp(size));
  }

  #buffer(want: number, given?: Uint8Array): Uint8Array {
    const aligned = given && given.byteLength >= want &&
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(given)) % BigInt(DIRECT_ALIGN) === 0n;
    return aligned ? given : alignedBuffer(want + (want >> 3));
  }

  async get(key: string, opts?: GetOptions): Promise<Uint8Array> {
    this.#stats.requests++;
    const p = this.path(key);
    const fd = this.#open("read", p, O_RDONLY);
    try {
      const size = this.#size(fd);
      const buf = this.#buffer(alignUp(size), opts?.buffer);
      const n = await this.#preadAligned(fd, buf, 0, alignUp(size), p);
      return buf.subarray(0, Math.min(n, size));
    } finally {
      libc().close(fd);
    }
  }

  getSync(key: string, opts?: GetOptions): Uint8Array {
    this.#stats.requests++;
    const p = this.path(key);
    const fd = this.#open("read", p, O_RDONLY);
    try {
      const size = this.#size(fd);
      const buf = this.#buffer(alignUp(size), opts?.buffer);
      const n = this.#preadAlignedSync(fd, buf, 0, alignUp(size), p);
      return buf.subarray(0, Math.min(n, size));
    } finally {
      libc().close(fd);
    }
  }

  async getRange(
    key: string,
    offset: number,
    length: number,
    opts?: GetOptions,
  ): Promise<Uint8Array> {
    this.#stats.requests++;
    const p = this.path(key);
    const fd = this.#open("ranged read", p, O_RDONLY);
    try {
      const size = this.#size(fd);
      const end = Math.min(size, offset + length);
      if (offset >= end) return new Uint8Array(0);
      const start = alignDown(offset), stop = alignUp(end);
      const buf = this.#buffer(stop - start, opts?.buffer);
      const n = await this.#preadAligned(fd, buf, start, stop - start, p);
      return buf.subarray(offset - start, Math.min(n, end - start));
    } finally {
      libc().close(fd);
    }
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<number> {
    const p = this.path(key);
    const tmp = join(dirname(p), `.${key.split("/").pop()}.partial-${Deno.pid}-${tmpCounter++}`);
    await Deno.mkdir(dirname(p), { recursive: true }).catch((e) => {
      throw fsError("write", p, e);
    });
    const fd = this.#open("write", tmp, O_WRONLY | O_CREAT | O_TRUNC);
    let ok = false, written = 0;
    try {
      // Two staging buffers: one is written (pwrite on the FFI thread pool) while the next
      // fills, so producing the data overlaps the device write.
      const stages = [alignedBuffer(STAGE), alignedBuffer(STAGE)];
      const inFlight: (Promise<void> | undefined)[] = [undefined, undefined];
      let cur = 0, fill = 0, fileOff = 0;
      const write = async (buf: Uint8Array, len: number, at: number) => {
        let off = 0;
        while (off < len) {
          const n = Number(
            await libc().pwrite_async(fd, buf.subarray(off), BigInt(len - off), BigInt(at + off)),
          );
          if (n <= 0) throw new StorageError("io", "write", `direct://${p}`, "pwrite failed");
          off += n;
        }
      };
      const flush = async (len: number) => {
        const w = write(stages[cur]!, len, fileOff);
        w.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
        inFlight[cur] = w;
        fileOff += len;
        cur ^= 1;
        await inFlight[cur]; // the other buffer must be written before it is refilled
        inFlight[cur] = undefined;
      };
      try {
        for await (const chunk of chunksOf(body)) {
          opts?.signal?.throwIfAborted();
          let c = 0;
          while (c < chunk.byteLength) {
            const n = Math.min(chunk.byteLength - c, STAGE - fill);
            stages[cur]!.set(chunk.subarray(c, c + n), fill);
            fill += n;
            c += n;
            if (fill === STAGE) {
              await flush(STAGE);
              fill = 0;
            }
          }
          written += chunk.byteLength;
        }
        if (fill > 0) {
          stages[cur]!.fill(0, fill, alignUp(fill));
          await flush(alignUp(fill));
        }
      } finally {
        await Promise.allSettled(inFlight.filter((x) => x));
      }
      for (const x of inFlight) if (x) await x;
      if (libc().ftruncate(fd, BigInt(written)) !== 0) {
        throw new StorageError("io", "write", `direct://${p}`, `ftruncate: ${lastError().text}`);
      }
      if (opts?.fsync && libc().fsync(fd) !== 0) {
        throw new StorageError("io", "write", `direct://${p}`, `fsync: ${lastError().text}`);
      }
      ok = true;
    } finally {
      libc().close(fd);
      if (!ok) await Deno.remove(tmp).catch(() => {});
    }
    await Deno.rename(tmp, p).catch((e) => {
      throw fsError("write", p, e);
    });
    if (opts?.fsync) await syncDir(dirname(p));
    return written;
  }

  stat(key: string): Promise<ObjectInfo> {
    return this.#meta.stat(key);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.#meta.list(prefix);
  }

  /** Remove dead writers' partial files under `prefix` (a rerun's clean-up). */
  cleanLeftovers(prefix: string): Promise<number> {
    return this.#meta.cleanLeftovers(prefix);
  }

  delete(key: string): Promise<void> {
    return this.#meta.delete(key);
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.#meta.deletePrefix(prefix);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
