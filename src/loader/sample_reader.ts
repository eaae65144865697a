/**
 * Reading one sample: fetch the object's bytes (io), parse the format and extract the sample
 * (decode), copy it into its slot of the batch buffer (h2d). Runs on the main thread (inline
 * engine) or inside a reader thread (thread engine); timings use the local clock.
 * @module
 */
import {
  type AsyncOpenedFile,
  type Codec,
  type FileLayout,
  FormatError,
  type OpenedFile,
  type OpenOptions,
  type RangedSource,
  type SampleIndex,
  type SampleRange,
} from "../formats/codec.ts";
import { type StorageBackend, StorageError, type SyncObject } from "../storage/backend.ts";
import { isOsError } from "../errors.ts";
import { loggedReads, RequestLog, type RequestRecord } from "../storage/request_log.ts";
import { copyInto } from "../util/copy.ts";
import type { DistributionValue } from "../util/distribution.ts";
import { type Draw, makeDraw } from "../util/distribution.ts";
import { Prng } from "../util/prng.ts";
import { RecordStream } from "./record_stream.ts";
import { type Placed, readInPlace, readRangesInPlace } from "./in_place.ts";

/** Per-epoch settings shared by every reader. */
export interface EpochSetup {
  /** Batch buffers, used round-robin: batch b goes to ring[b % ring.length]. */
  ring: Uint8Array[];
  /** Arrival counter (shared memory): the n-th completed sample takes slot n. */
  counter: Int32Array;
  batchSize: number;
  slotBytes: number;
  verifyChecksums: boolean;
  readType: "on_demand" | "memory";
  /** Read single samples through the format's index files (TFRecord `.idx`). */
  readIndex?: boolean;
  /** Read size for streamed formats (DLIO's `reader.transfer_size`; TF's default 256 KiB). */
  transferSize?: number | null;
  /** Columns to decode (Parquet). */
  readColumns?: string[];
  /** Row groups kept per open Parquet file (`dataset.parquet.row_group_cache_size`). */
  rowGroupCache?: number;
  /** Decode images (false: read them as bytes). */
  decodeImages?: boolean;
  /** Seconds of preprocessing per sample (DLIO's preprocess_time), drawn per reader. */
  preprocess?: { value: DistributionValue; stdev: number; seed: number };
}

/** One sample to read. */
export interface SampleJob {
  key: string;
  index: number;
  /** Run on this reader (streamed formats: a file's records stay with one reader). */
  reader?: number;
  /** The loader session (epoch of one rank) it belongs to. */
  session?: number;
  /** Its slot in the session's batch buffers (else the next by arrival). */
  slot?: number;
}

/** What reading it took. */
export interface SampleResult {
  slot: number;
  ioMs: number;
  decodeMs: number;
  h2dMs: number;
  bytes: number;
  /** Emulated preprocessing (reader.preprocess_time), measured. */
  preprocessMs?: number;
  /** Storage requests made since the reader's previous result (`--trace` only). */
  requests?: RequestRecord[];
}

/** An object's bytes as fetched, with the time it took. */
export type Fetched =
  /** The whole object, to parse with the codec's `open`. */
  | { kind: "object"; key: string; data: Uint8Array; ioMs: number }
  /** One sample's bytes (a range or a record), to decode with `decode`. */
  | {
    kind: "range";
    key: string;
    data: Uint8Array;
    ioMs: number;
    /** Bytes read from storage for it (streamed access reads in transfer_size chunks). */
    bytes?: number;
    decode(bytes: Uint8Array, opts: OpenOptions): Uint8Array;
  }
  /** The decoded sample already (a library read it by path, or decoded it asynchronously). */
  | {
    kind: "sample";
    key: string;
    data: Uint8Array;
    ioMs: number;
    bytes?: number;
    /** Time spent decoding, when the fetch decoded already. */
    decodeMs?: number;
  }
  /** The sample read straight into its batch slot (in_place.ts). */
  | Placed;

/** Index caches kept per reader (files whose index is loaded). */
const INDEX_CACHE = 4096;
/** A codec whose records are streamed (TFRecord). */
type StreamCodec = Extract<Codec, { access: "stream" }>;
/** A codec that opens local files by path (HDF5). */
type PathCodec = Extract<Codec, { access: "path" }>;
/** A codec that reads by ranges (Parquet). */
type RangedCodec = Extract<Codec, { access: "ranged_async" }>;

/** Files read by ranges kept open per reader (their footers and row-group caches). */
const RANGED_FILES = 8;

/**
 * A reader with two reusable file buffers, so a reader thread can fetch the next object while it
 * decodes the current one (one read in flight either way).
 */
export class SampleReader {
  #bufs: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  #lastKey: string | undefined;
  #lastFile: (OpenedFile & { close?(): void }) | undefined;
  #index = new Map<string, SampleRange[]>();
  #stream: RecordStream | undefined;

  /** Where reads go: the backend, or (tracing) the backend with its requests logged. */
  readonly io: StorageBackend;
  /** The storage requests of traced runs (`--trace`'s POSIX layer). */
  readonly requests: RequestLog | undefined;

  constructor(
    readonly backend: StorageBackend,
    readonly codec: Codec,
    readonly now: () => number,
    /** Use the backend's blocking read when it has one (reader threads only). */
    readonly preferSync = false,
    /** Log every storage request, returned with each result (`--trace`). */
    traceRequests = false,
  ) {
    this.requests = traceRequests ? new RequestLog(now) : undefined;
    this.io = this.requests ? loggedReads(backend, this.requests) : backend;
  }

  /** Whether the next job needs no fetch: synthetic data, or `read_type: memory` on the same file. */
  cached(job: SampleJob, e: EpochSetup): boolean {
    if (this.codec.access === "none") return true;
    if (this.codec.access !== "whole_file") return false;
    return e.readType === "memory" && job.key === this.#lastKey && this.#lastFile !== undefined;
  }

  #opts(e: EpochSetup, key: string): OpenOptions {
    return {
      verifyChecksums: e.verifyChecksums,
      name: `${this.backend.root}/${key}`,
      decodeImages: e.decodeImages,
    };
  }

  /** The byte range of a sample; loads the file's index objects on first use. */
  async #range(
    index: SampleIndex,
    job: SampleJob,
    e: EpochSetup,
    signal?: AbortSignal,
  ): Promise<SampleRange> {
    let ranges = this.#index.get(job.key);
    if (!ranges) {
      const keys = index.keys(job.key);
      const parts = [];
      for (const k of keys) parts.push(await this.io.get(k, { signal }));
      ranges = index.parse(parts, {
        verifyChecksums: e.verifyChecksums,
        name: keys.map((k) => `${this.backend.root}/${k}`).join(", "),
      });
      if (this.#index.size >= INDEX_CACHE) this.#index.delete(this.#index.keys().next().value!);
      this.#index.set(job.key, ranges);
    }
    const r = ranges[job.index];
    if (!r) {
      throw new FormatError(
        `${this.backend.root}/${job.key}`,
        `sample ${job.index} is not in its index (${ranges.length} entries)`,
      );
    }
    return r;
  }

  /** Indexed access: one ranged read of exactly the sample. */
  async #viaIndex(
    index: SampleIndex,
    job: SampleJob,
    e: EpochSetup,
    signal?: AbortSignal,
  ): Promise<Fetched> {
    const t0 = this.now();
    const r = await this.#range(index, job, e, signal);
    const data = await this.io.getRange(job.key, r.offset, r.length, { signal });
    if (data.byteLength !== r.length) {
      throw new FormatError(
        `${this.backend.root}/${job.key}`,
        `index says ${r.length} bytes at offset ${r.offset}; the object has ${data.byteLength} there`,
      );
    }
    return { kind: "range", key: job.key, data, ioMs: this.now() - t0, decode: index.decode };
  }

  /**
   * Path access: the library reads just this sample from the local file (HDF5 slices); its
   * reads and any decompression count as io.
   */
  async #viaPath(
    open: (path: string, o: OpenOptions) => Promise<OpenedFile & { close(): void }>,
    path: string,
    job: SampleJob,
    e: EpochSetup,
  ): Promise<Fetched> {
    const t0 = this.now();
    // `read_type: memory` keeps the file open for the next sample of it (DLIO's open_file_map);
    // `on_demand` opens and closes it for every sample, as DLIO does.
    const kept = e.readType === "memory" && this.#pathFile?.path === path
      ? this.#pathFile.f
      : undefined;
    const f = kept ?? await this.#openPath(open, path, job, e);
    if (e.readType === "memory" && !kept) {
      this.#pathFile?.f.close();
      this.#pathFile = { path, f };
    }
    try {
      const data = f.sample(job.index).slice();
      return { kind: "sample", key: job.key, data, ioMs: this.now() - t0 };
    } finally {
      if (e.readType !== "memory") f.close();
    }
  }

  /** Close the files kept open between samples (the stream's, the path-opened one). */
  release(): void {
    this.#stream?.close();
    this.#closeHeld();
    this.#pathFile?.f.close();
    this.#pathFile = undefined;
    this.#lastFile?.close?.();
    this.#lastKey = this.#lastFile = undefined;
  }

  /** Files' layouts (null: none; the library reads them), with the size they were read at. */
  #layouts = new Map<string, { size: number; layout: FileLayout | null }>();
  /** The file kept open under `read_type: memory` (layout reads). */
  #held: SyncObject | undefined;

  /**
   * Path access through the file's layout (HDF5 contiguous datasets): its metadata is read once,
   * then each sample is read straight into its slot. The file is opened and closed per sample
   * (`on_demand`, as DLIO) or kept open (`memory`). Undefined: read it through the library.
   */
  #viaLayout(c: PathCodec, job: SampleJob, e: EpochSetup): Placed | undefined {
    if (!c.layout || !this.io.openSync || this.backend.capabilities.directIO) return undefined;
    if (this.#layouts.get(job.key)?.layout === null) return undefined; // the library reads it
    const t0 = this.now();
    const held = this.#held?.key === job.key ? this.#held : undefined;
    if (!held) this.#closeHeld();
    const f = held ?? this.io.openSync(job.key);
    let keep = false;
    try {
      let known = this.#layouts.get(job.key);
      let metaBytes = 0;
      if (!known || known.size !== f.size) {
        const read = (offset: number, length: number) => {
          const b = new Uint8Array(length);
          const n = f.readAt(b, offset);
          metaBytes += n;
          return b.subarray(0, n);
        };
        known = { size: f.size, layout: c.layout(read, f.size) ?? null };
        if (this.#layouts.size >= INDEX_CACHE) {
          this.#layouts.delete(this.#layouts.keys().next().value!);
        }
        this.#layouts.set(job.key, known);
      }
      if (!known.layout) return undefined;
      const placed = readRangesInPlace(f, known.layout, job.index, {
        now: this.now,
        name: this.#opts(e, job.key).name,
        slotBytes: e.slotBytes,
        claim: () => this.#slot(job, e),
      });
      if (!placed) return undefined;
      keep = e.readType === "memory";
      // Opening and the metadata reads (first sample of a file) are io too.
      const ioMs = this.now() - t0 - placed.h2dMs;
      return { ...placed, ioMs, bytes: placed.bytes + metaBytes };
    } finally {
      if (keep) this.#held = f;
      else {
        f.close();
        if (f === this.#held) this.#held = undefined;
      }
    }
  }

  #closeHeld(): void {
    this.#held?.close();
    this.#held = undefined;
  }

  /** The file kept open under `read_type: memory` (path access). */
  #pathFile: { path: string; f: OpenedFile & { close(): void } } | undefined;

  /** Open a local file by path; a missing or unreadable file is a storage error naming it. */
  async #openPath(
    open: (path: string, o: OpenOptions) => Promise<OpenedFile & { close(): void }>,
    path: string,
    job: SampleJob,
    e: EpochSetup,
  ): Promise<OpenedFile & { close(): void }> {
    try {
      return await open(path, this.#opts(e, job.key));
    } catch (err) {
      // A file deleted or unreadable mid-run is a storage error (exit 3) naming it, like any
      // backend's, not an internal one.
      if (err instanceof Deno.errors.NotFound) {
        throw new StorageError("not_found", "open", path, "no such file (deleted?)", {
          cause: err,
        });
      }
      if (err instanceof Deno.errors.PermissionDenied) {
        throw new StorageError("permission", "open", path, "permission denied", { cause: err });
      }
      if (isOsError(err)) {
        // Unreadable in another way (a directory in its place, EIO): still the file's failure.
        throw new StorageError("io", "open", path, err.message, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Fetch what a job needs without a promise where its read mode reads synchronously (reader
   * threads on local files: in place, through a layout, a tf.data stream, a whole file);
   * undefined: `fetchJob` does it.
   */
  fetchJobSync(job: SampleJob, e: EpochSetup, slot = 0): Fetched | undefined {
    const c = this.codec;
    if (c.access === "whole_file") {
      if (this.#inPlace) return this.#readInPlace(job, e);
      return this.io.getSync ? this.#fetchSync(job.key, slot) : undefined;
    }
    if (c.access === "path" && this.backend.localPath?.(job.key) !== undefined) {
      return this.#viaLayout(c, job, e);
    }
    if (c.access === "stream" && !e.readIndex && this.io.openSync) {
      const t0 = this.now();
      return this.#streamed(
        c,
        job,
        t0,
        this.#recordStream(c).recordSync(this.#streamRead(job, e, true)),
      );
    }
    return undefined;
  }

  #recordStream(c: StreamCodec): RecordStream {
    return this.#stream ??= new RecordStream(this.io, c.framing);
  }

  #streamRead(job: SampleJob, e: EpochSetup, sync: boolean, signal?: AbortSignal) {
    const { key, index } = job;
    return {
      key,
      index,
      transferSize: e.transferSize,
      verifyChecksums: e.verifyChecksums,
      sync,
      signal,
    };
  }

  /** A streamed record as fetched (its io: the reads since `t0`). */
  #streamed(
    c: StreamCodec,
    job: SampleJob,
    t0: number,
    { record, bytes }: { record: Uint8Array; bytes: number },
  ): Fetched {
    const ioMs = this.now() - t0;
    return { kind: "range", key: job.key, data: record, ioMs, bytes, decode: c.framing.decode };
  }

  /** Fetch what a job needs, by the codec's read mode. */
  async fetchJob(
    job: SampleJob,
    e: EpochSetup,
    slot = 0,
    sync = this.preferSync,
    signal?: AbortSignal,
  ): Promise<Fetched> {
    const c = this.codec;
    switch (c.access) {
      case "path": {
        // (Reads through a layout are blocking: fetchJobSync tried them already.)
        const local = this.backend.localPath?.(job.key);
        if (local !== undefined) {
          return await this.#viaPath((p, o) => c.openPath(p, o), local, job, e);
        }
        return await this.fetch(job.key, slot, sync, signal);
      }
      case "ranged_async":
        return await this.#viaRanges(c, job, e, signal);
      case "stream": {
        if (e.readIndex) return await this.#viaIndex(c.index, job, e, signal);
        const t0 = this.now();
        const read = this.#streamRead(job, e, sync, signal);
        return this.#streamed(c, job, t0, await this.#recordStream(c).record(read));
      }
      case "indexed":
        return await this.#viaIndex(c.index, job, e, signal);
      default:
        return await this.fetch(job.key, slot, sync, signal);
    }
  }

  /** Open files read by ranges (Parquet footers and their row-group caches), most recent last. */
  #ranged = new Map<string, Promise<AsyncOpenedFile>>();
  /** The current job's ranged reads: time and bytes (a reader runs one fetch at a time). */
  #rangedIo = { ms: 0, bytes: 0 };

  /** Ranged access: the codec reads only what the sample needs (footer, column chunks). */
  async #viaRanges(
    c: RangedCodec,
    job: SampleJob,
    e: EpochSetup,
    signal?: AbortSignal,
  ): Promise<Fetched> {
    const t0 = this.now();
    this.#rangedIo = { ms: 0, bytes: 0 };
    let opened = this.#ranged.get(job.key);
    if (opened) this.#ranged.delete(job.key);
    else {
      opened = this.#openRanged(c, job.key, e, signal);
      if (this.#ranged.size >= RANGED_FILES) this.#ranged.delete(this.#ranged.keys().next().value!);
    }
    this.#ranged.set(job.key, opened);
    const data = (await opened.catch((err) => {
      this.#ranged.delete(job.key);
      throw err;
    }).then((f) => f.sampleAsync(job.index))).slice();
    const { ms, bytes } = this.#rangedIo;
    const decodeMs = Math.max(0, this.now() - t0 - ms);
    return { kind: "sample", key: job.key, data, ioMs: ms, bytes, decodeMs };
  }

  async #openRanged(
    c: RangedCodec,
    key: string,
    e: EpochSetup,
    signal?: AbortSignal,
  ): Promise<AsyncOpenedFile> {
    const { size } = await this.io.stat(key);
    const src: RangedSource = {
      byteLength: size,
      read: async (offset, length) => {
        const t = this.now();
        const b = await this.io.getRange(key, offset, length, { signal });
        this.#rangedIo.ms += this.now() - t;
        this.#rangedIo.bytes += b.byteLength;
        return b;
      },
    };
    return await c.openRanged(src, {
      ...this.#opts(e, key),
      columns: e.readColumns,
      rowGroupCache: e.rowGroupCache,
    });
  }

  /**
   * Whether whole-file samples are read straight into their slots: blocking positional reads
   * of local files (not O_DIRECT, whose reads need aligned buffers) and a codec that locates.
   */
  get #inPlace(): boolean {
    return this.codec.access === "whole_file" && this.codec.locate !== undefined &&
      this.io.openSync !== undefined && !this.backend.capabilities.directIO;
  }

  /** Read a whole-file sample in place (or the file whole when its sample is not one range). */
  #readInPlace(job: SampleJob, e: EpochSetup): Fetched {
    const c = this.codec as Extract<Codec, { access: "whole_file" }>;
    const opts = this.#opts(e, job.key);
    const f = this.io.openSync!(job.key);
    try {
      const out = readInPlace(f, {
        now: this.now,
        name: opts.name,
        slotBytes: e.slotBytes,
        buffer: (which, n) => {
          if (this.#bufs[which]!.byteLength < n) this.#bufs[which] = new Uint8Array(n + (n >> 3));
          return this.#bufs[which]!;
        },
        claim: () => this.#slot(job, e),
        locate: (head, size) => c.locate!(head, size, job.index, opts),
      });
      // The file kept for `read_type: memory` is no longer what the buffers hold.
      this.#lastKey = this.#lastFile = undefined;
      return out;
    } finally {
      f.close();
    }
  }

  /** The job's slot in the session's batch buffers: fixed, or the next by arrival. */
  #slot(job: SampleJob, e: EpochSetup): { slot: number; bytes: Uint8Array } {
    const slot = job.slot ?? Atomics.add(e.counter, 0, 1);
    const target = e.ring[Math.floor(slot / e.batchSize) % e.ring.length]!;
    const at = (slot % e.batchSize) * e.slotBytes;
    return { slot, bytes: target.subarray(at, at + e.slotBytes) };
  }

  /** Fetch an object's bytes into buffer `slot` (0 or 1). */
  async fetch(
    key: string,
    slot = 0,
    sync = this.preferSync,
    signal?: AbortSignal,
  ): Promise<Fetched & { kind: "object" }> {
    if (sync && this.io.getSync) return this.#fetchSync(key, slot);
    const buffer = this.#bufs[slot]!;
    const t0 = this.now();
    const data = await this.io.get(key, { buffer, signal });
    return this.#fetched(key, slot, data, this.now() - t0);
  }

  /** The same, blocking. */
  #fetchSync(key: string, slot: number): Fetched & { kind: "object" } {
    const t0 = this.now();
    const data = this.io.getSync!(key, { buffer: this.#bufs[slot]! });
    return this.#fetched(key, slot, data, this.now() - t0);
  }

  #fetched(key: string, slot: number, data: Uint8Array, ioMs: number) {
    if (data.buffer !== this.#bufs[slot]!.buffer) {
      // The backend allocated: keep a buffer of our own, with headroom, for the next reads
      // (never adopt `data` itself: it may be a view into a shared pool).
      const size = Math.ceil(data.byteLength * 1.125);
      this.#bufs[slot] = this.backend.allocBuffer?.(size) ?? new Uint8Array(size);
    }
    return { kind: "object" as const, key, data, ioMs };
  }

  /** The file (or one-sample file) a fetch yields, with its io, decode time and bytes. */
  #decode(job: SampleJob, fetched: Exclude<Fetched, Placed> | undefined, e: EpochSetup) {
    if (this.codec.access === "none") {
      return { file: this.#synthetic(e.slotBytes), io: 0, decode: 0, bytes: 0, index: job.index };
    }
    if (!fetched) {
      if (!this.#lastFile) throw new Error(`no cached file for ${job.key}`);
      return { file: this.#lastFile, io: 0, decode: 0, bytes: 0, index: job.index };
    }
    const t1 = this.now();
    if (fetched.kind === "object") {
      const file = this.codec.open(fetched.data, this.#opts(e, job.key));
      this.#lastKey = job.key;
      this.#lastFile = file;
      const bytes = fetched.data.byteLength;
      return { file, io: fetched.ioMs, decode: this.now() - t1, bytes, index: job.index };
    }
    const one = fetched.kind === "range"
      ? fetched.decode(fetched.data, this.#opts(e, job.key))
      : fetched.data;
    const decode = (fetched.kind === "sample" ? fetched.decodeMs ?? 0 : 0) + this.now() - t1;
    const file: OpenedFile = {
      numSamples: 1,
      dims: [one.byteLength],
      dtype: "uint8",
      sample: () => one,
    };
    return {
      file,
      io: fetched.ioMs,
      decode,
      bytes: fetched.bytes ?? fetched.data.byteLength,
      index: 0,
    };
  }

  /** Decode a fetched object (or the cached one) and place the sample into the batch. */
  place(job: SampleJob, fetched: Fetched | undefined, e: EpochSetup): SampleResult {
    if (fetched?.kind === "placed") {
      const { slot, ioMs, decodeMs, h2dMs, bytes } = fetched;
      const placed: SampleResult = { slot, ioMs, decodeMs, h2dMs, bytes };
      if (this.requests) placed.requests = this.requests.take();
      return placed;
    }
    const d = this.#decode(job, fetched, e);
    const t2 = this.now();
    const sample = d.file.sample(d.index);
    const t3 = this.now();
    // h2d: place the decoded sample into the batch buffer handed to the accelerator.
    const { slot, bytes: target } = this.#slot(job, e);
    const n = Math.min(sample.byteLength, e.slotBytes);
    copyInto(target, sample.subarray(0, n), 0);
    if (n < e.slotBytes) target.fill(0, n);
    const h2d = this.now() - t3;
    if (e.readType === "on_demand" && this.#lastFile) {
      this.#lastFile.close?.();
      this.#lastFile = undefined;
    }
    const result: SampleResult = {
      slot,
      ioMs: d.io,
      decodeMs: d.decode + t3 - t2,
      h2dMs: h2d,
      bytes: d.bytes,
    };
    if (this.requests) result.requests = this.requests.take();
    return result;
  }

  #zero: OpenedFile | undefined;

  /** Synthetic data: a zero sample of the slot size, no I/O. */
  #synthetic(bytes: number): OpenedFile {
    if (!this.#zero || this.#zero.dims[0] !== bytes) {
      const z = new Uint8Array(bytes);
      this.#zero = { numSamples: 1, dims: [bytes], dtype: "uint8", sample: () => z };
    }
    return this.#zero;
  }

  #draws = new WeakMap<object, Draw>();

  /** Milliseconds of emulated preprocessing for the next sample (0 when none is configured). */
  preprocessMs(e: EpochSetup, id: number): number {
    const p = e.preprocess;
    if (!p || (p.value === 0 && p.stdev === 0)) return 0;
    let d = this.#draws.get(p);
    if (!d) this.#draws.set(p, d = makeDraw(p.value, p.stdev, new Prng(p.seed, "preprocess", id)));
    return d() * 1000;
  }

  /** Read, decode and place one sample. */
  async read(
    job: SampleJob,
    e: EpochSetup,
    signal?: AbortSignal,
    sleep?: (ms: number) => Promise<void>,
  ): Promise<SampleResult> {
    const fetched = this.cached(job, e)
      ? undefined
      : await this.fetchJob(job, e, 0, undefined, signal);
    const r = this.place(job, fetched, e);
    const ms = this.preprocessMs(e, 0);
    if (ms > 0 && sleep) {
      const t = this.now();
      await sleep(ms);
      r.preprocessMs = this.now() - t;
    }
    return r;
  }
}
