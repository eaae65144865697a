/**
 * The one storage interface every backend fills (the fio "ops table" idea): the core never
 * asks which backend it has, only what it can do (`capabilities`). Backends never see formats.
 * @module
 */
import { DataError } from "../errors.ts";
import { concatBytes } from "../util/bytes.ts";
import type { BackendStats } from "../metrics/records.ts";

/** What a backend can do. */
export interface Capabilities {
  /** Ranged reads are cheaper than whole-object reads. */
  rangeRead: boolean;
  /** Reads bypass the page cache. */
  directIO: boolean;
  /** Required alignment of offsets/lengths for direct I/O (1 = none). */
  alignment: number;
  /** Large writes are split into parts (object stores). */
  multipart: boolean;
  /** `put` is atomic: readers see the whole object or nothing. */
  atomicPut: boolean;
  /** Another thread can open the same storage from `root` (reader threads need this). */
  reopenable: boolean;
  /** `put` is done with each body chunk before it asks for the next (callers may reuse it). */
  chunkReuse: boolean;
}

/** An object (file) and its size. */
export interface ObjectInfo {
  /** Key relative to the backend root, `/`-separated. */
  key: string;
  size: number;
}

/** Options for reads. */
export interface GetOptions {
  signal?: AbortSignal;
  /** Read into this buffer when it is large enough (avoids an allocation per read). */
  buffer?: Uint8Array;
}

/** An object open for blocking positional reads (see `StorageBackend.openSync`). */
export interface SyncObject {
  readonly key: string;
  /** Its size when opened. */
  readonly size: number;
  /** Fill `into` from `offset` (fewer bytes at the end of the object); returns bytes read. */
  readAt(into: Uint8Array, offset: number): number;
  close(): void;
}

/** Options for writes. */
export interface PutOptions {
  signal?: AbortSignal;
  /**
   * Make the object durable before `put` returns: file systems fsync the file and its folder
   * before and after the rename; object stores are durable when the PUT completes.
   */
  fsync?: boolean;
}

/** A body for `put`: one buffer or a stream of chunks. */
export type PutBody = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** A storage backend rooted at a URI. Keys are relative, `/`-separated. */
export interface StorageBackend {
  /** URI scheme: `file`, `mem`, ... */
  readonly scheme: string;
  /** Backend type name for reports (`file`, `directio`, `s3`, `azure`, `mem`). */
  readonly type: string;
  /** The root as a URI, for messages and reports. */
  readonly root: string;
  readonly capabilities: Capabilities;
  /** Read a whole object. */
  get(key: string, opts?: GetOptions): Promise<Uint8Array>;
  /** The local file path of a key (file systems), for libraries that open files by path. */
  localPath?(key: string): string;
  /** A buffer suited to this backend's reads (direct I/O: aligned), for reuse via `buffer`. */
  allocBuffer?(size: number): Uint8Array;
  /** Blocking whole-object read, for reader threads (optional). */
  getSync?(key: string, opts?: GetOptions): Uint8Array;
  /** Blocking ranged read, for reader threads (optional). */
  getRangeSync?(key: string, offset: number, length: number, opts?: GetOptions): Uint8Array;
  /**
   * Open an object for blocking positional reads (reader threads reading a sample straight
   * into its batch slot; optional). Every read is a request.
   */
  openSync?(key: string): SyncObject;
  /** Read `length` bytes at `offset` (fewer at the end of the object). */
  getRange(key: string, offset: number, length: number, opts?: GetOptions): Promise<Uint8Array>;
  /** Write an object atomically (complete or absent). Returns bytes written. */
  put(key: string, body: PutBody, opts?: PutOptions): Promise<number>;
  /** Size of an object; throws `StorageError` with code `not_found` if absent. */
  stat(key: string): Promise<ObjectInfo>;
  /** Objects under `prefix` (recursive), streamed; order is unspecified. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Delete one object (absent is fine). */
  delete(key: string): Promise<void>;
  /** Delete everything under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /** The SDK used, with its version (object stores), for provenance. */
  readonly sdk?: string;
  /** Request and retry counts so far (backends that make requests). */
  stats?(): BackendStats;
  /**
   * Remove what dead writers left under `prefix` (file systems: temporary partial files of
   * processes that no longer exist; S3: multipart uploads begun before this backend was opened);
   * returns how many. A rerun calls it on the folders it writes.
   */
  cleanLeftovers?(prefix: string): Promise<number>;
  /** Release resources. */
  close(): Promise<void>;
}

/** Why a storage operation failed. */
export type StorageErrorCode = "not_found" | "permission" | "io" | "invalid" | "unsupported";

/** A storage failure naming the operation and object. */
export class StorageError extends DataError {
  readonly code: StorageErrorCode;
  readonly op: string;
  readonly uri: string;
  /** Whether retrying may help. */
  readonly retryable: boolean;
  constructor(
    code: StorageErrorCode,
    op: string,
    uri: string,
    detail: string,
    options?: ErrorOptions & { retryable?: boolean },
  ) {
    super(`${op} ${uri}: ${detail}`, options);
    this.name = "StorageError";
    this.code = code;
    this.op = op;
    this.uri = uri;
    this.retryable = options?.retryable ?? false;
  }
}

/** Join a key onto a prefix with exactly one `/`. */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== "").map((p) => p.replace(/^\/+|\/+$/g, "")).filter((p) => p)
    .join("/");
}

/** Collect a put body into chunks (sync or async). */
export async function* chunksOf(body: PutBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (Symbol.asyncIterator in body) {
    for await (const c of body as AsyncIterable<Uint8Array>) yield c;
  } else for (const c of body as Iterable<Uint8Array>) yield c;
}

/** A put body split for object stores: small bodies whole, large ones as a stream. */
export type SplitBody =
  | { whole: Uint8Array }
  | { stream: AsyncGenerator<Uint8Array>; bytes: () => number };

/**
 * Buffer a body up to `threshold` bytes: below it, the whole body (one request); at or above
 * it, a stream of owned chunk copies (multipart/block upload) that counts what it yields.
 */
export async function splitBody(body: PutBody, threshold: number): Promise<SplitBody> {
  const head: Uint8Array[] = [];
  let n = 0;
  const it = chunksOf(body)[Symbol.asyncIterator]();
  for (;;) {
    const r = await it.next();
    if (r.done) {
      return { whole: concatBytes(head) };
    }
    head.push(r.value.slice());
    n += r.value.byteLength;
    if (n >= threshold) break;
  }
  let total = 0;
  const stream = (async function* () {
    for (const c of head) {
      total += c.byteLength;
      yield c;
    }
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      total += r.value.byteLength;
      yield r.value.slice();
    }
  })();
  return { stream, bytes: () => total };
}

/** Pass chunks through, failing with the signal's reason once it is aborted. */
export async function* abortable(
  chunks: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    signal?.throwIfAborted();
    yield c;
  }
}
