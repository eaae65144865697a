/**
 * `mem://` backend: objects in process memory. The reference backend for tests.
 * Buckets are shared by name within a process (`mem://name/prefix`).
 * @module
 */
import {
  type Capabilities,
  chunksOf,
  type GetOptions,
  joinKey,
  type ObjectInfo,
  type PutBody,
  type PutOptions,
  type StorageBackend,
  StorageError,
} from "./backend.ts";
import { concatBytes } from "../util/bytes.ts";
import type { BackendStats } from "../metrics/records.ts";

const buckets = new Map<string, Map<string, Uint8Array>>();

/** In-memory backend. */
export class MemBackend implements StorageBackend {
  readonly scheme = "mem";
  readonly type = "mem";
  readonly root: string;
  readonly capabilities: Capabilities = {
    rangeRead: true,
    directIO: false,
    alignment: 1,
    multipart: false,
    atomicPut: true,
    reopenable: false,
    chunkReuse: true,
  };
  readonly #objects: Map<string, Uint8Array>;
  readonly #prefix: string;

  /** `bucket` names a shared store; `prefix` is prepended to every key. */
  readonly #stats: BackendStats = { requests: 0, retries: 0 };

  /** Read requests made so far (no retries on local storage). */
  stats(): BackendStats {
    return { ...this.#stats };
  }

  constructor(bucket: string, prefix = "") {
    let b = buckets.get(bucket);
    if (!b) buckets.set(bucket, b = new Map());
    this.#objects = b;
    this.#prefix = prefix.replace(/^\/+|\/+$/g, "");
    this.root = `mem://${bucket}/${this.#prefix}`;
  }

  /** Drop a named bucket (tests). */
  static reset(bucket: string): void {
    buckets.delete(bucket);
  }

  #k(key: string): string {
    return joinKey(this.#prefix, key);
  }

  #obj(op: string, key: string): Uint8Array {
    const o = this.#objects.get(this.#k(key));
    if (!o) throw new StorageError("not_found", op, `${this.root}/${key}`, "no such object");
    return o;
  }

  // deno-lint-ignore require-await
  async get(key: string, opts?: GetOptions): Promise<Uint8Array> {
    this.#stats.requests++;
    const o = this.#obj("read", key);
    if (opts?.buffer && opts.buffer.byteLength >= o.byteLength) {
      opts.buffer.set(o);
      return opts.buffer.subarray(0, o.byteLength);
    }
    return o.slice();
  }

  // deno-lint-ignore require-await
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    this.#stats.requests++;
    const o = this.#obj("ranged read", key);
    return o.slice(offset, Math.min(o.byteLength, offset + length));
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<number> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of chunksOf(body)) {
      // Like the other backends: an aborted write stores nothing.
      opts?.signal?.throwIfAborted();
      parts.push(c.slice());
      n += c.byteLength;
    }
    const all = concatBytes(parts);
    this.#objects.set(this.#k(key), all);
    return n;
  }

  // deno-lint-ignore require-await
  async stat(key: string): Promise<ObjectInfo> {
    return { key, size: this.#obj("stat", key).byteLength };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const full = this.#k(prefix);
    const strip = this.#prefix ? this.#prefix.length + 1 : 0;
    for (const [k, v] of this.#objects) {
      if (full === "" || k === full || k.startsWith(full + "/")) {
        yield { key: k.slice(strip), size: v.byteLength };
      }
    }
  }

  delete(key: string): Promise<void> {
    this.#objects.delete(this.#k(key));
    return Promise.resolve();
  }

  async deletePrefix(prefix: string): Promise<void> {
    for await (const o of this.list(prefix)) await this.delete(o.key);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
