/**
 * Reading one sample: fetch the object's bytes (io), parse the format and extract the sample
 * (decode), copy it into its slot of the batch buffer (h2d). Runs on the main thread (inline
 * engine) or inside a reader thread (thread engine); timings use the local clock.
 * @module
 */
import { type Codec, FormatError, type OpenedFile, type SampleRange } from "../formats/codec.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { copyInto } from "../util/copy.ts";
import type { DistributionValue } from "../util/distribution.ts";
import { type Draw, makeDraw } from "../util/distribution.ts";
import { Prng } from "../util/prng.ts";

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
}

/** An object's bytes as fetched, with the time it took. */
export interface Fetched {
  key: string;
  data: Uint8Array;
  ioMs: number;
  /** `data` is one sample's range (indexed or streamed access), not the whole object. */
  range?: boolean;
  /** Bytes read from storage for it (streamed access reads in transfer_size chunks). */
  bytes?: number;
  /** `data` is the decoded sample already (a library read it by path, or decoded it). */
  decoded?: boolean;
  /** Time spent decoding, when the fetch decoded already. */
  decodeMs?: number;
}

/** Index caches kept per reader (files whose index is loaded). */
const INDEX_CACHE = 4096;

/**
 * A reader with two reusable file buffers, so a reader thread can fetch the next object while it
 * decodes the current one (one read in flight either way).
 */
export class SampleReader {
  #bufs: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  #lastKey: string | undefined;
  #lastFile: OpenedFile | undefined;

  constructor(
    readonly backend: StorageBackend,
    readonly codec: Codec,
    readonly now: () => number,
    /** Use the backend's blocking read when it has one (reader threads only). */
    readonly preferSync = false,
  ) {}

  /** Whether the next job needs no fetch: synthetic data, or `read_type: memory` on the same file. */
  cached(job: SampleJob, e: EpochSetup): boolean {
    if (this.codec.access === "none") return true;
    if (this.indexed(e) || this.streamed(e) || this.codec.access === "path") return false;
    if (this.codec.openAsync) return false;
    return e.readType === "memory" && job.key === this.#lastKey && this.#lastFile !== undefined;
  }

  #index = new Map<string, SampleRange[]>();
  #stream:
    | { key: string; readPos: number; next: number; buf: Uint8Array; start: number; end: number }
    | undefined;

  /**
   * Streamed access (TFRecord as tf.data reads it): the file is read front to back in
   * `transfer_size` ranged reads and records are cut from the stream; asking for a record behind
   * the stream's position restarts it from the beginning.
   */
  async #streamRecord(job: SampleJob, e: EpochSetup, sync: boolean, signal?: AbortSignal) {
    const transfer = Math.max(1, e.transferSize ?? 262144);
    let st = this.#stream;
    if (!st || st.key !== job.key || st.next > job.index) {
      st = this.#stream = {
        key: job.key,
        readPos: 0,
        next: 0,
        buf: this.#stream?.buf ?? new Uint8Array(transfer * 2),
        start: 0,
        end: 0,
      };
    }
    const s = st;
    let bytes = 0;
    // Read `transfer_size` chunks straight into the stream buffer until `n` bytes are pending;
    // consumed bytes are dropped by moving the pending tail to the front (no per-read joins).
    const need = async (n: number) => {
      while (s.end - s.start < n) {
        const pending = s.end - s.start;
        if (s.buf.byteLength - s.end < transfer) {
          const cap = Math.max(s.buf.byteLength, pending + Math.max(transfer, n));
          const next = cap > s.buf.byteLength ? new Uint8Array(cap * 2) : s.buf;
          if (next === s.buf) s.buf.copyWithin(0, s.start, s.end);
          else next.set(s.buf.subarray(s.start, s.end));
          s.buf = next;
          s.start = 0;
          s.end = pending;
        }
        const into = s.buf.subarray(s.end, s.end + transfer);
        const chunk = sync && this.backend.getRangeSync
          ? this.backend.getRangeSync(job.key, s.readPos, transfer, { buffer: into })
          : await this.backend.getRange(job.key, s.readPos, transfer, { buffer: into, signal });
        if (chunk.byteLength === 0) {
          throw new FormatError(
            `${this.backend.root}/${job.key}`,
            `stream ended at byte ${s.readPos} before record ${s.next} was complete`,
          );
        }
        if (chunk.buffer !== into.buffer || chunk.byteOffset !== into.byteOffset) into.set(chunk);
        bytes += chunk.byteLength;
        s.readPos += chunk.byteLength;
        s.end += chunk.byteLength;
      }
    };
    for (;;) {
      await need(12);
      const total = this.codec.recordLength!(s.buf.subarray(s.start, s.start + 12), {
        verifyChecksums: e.verifyChecksums,
        name: `${this.backend.root}/${job.key} at byte ${s.readPos - (s.end - s.start)}`,
      });
      await need(total);
      const at = s.start;
      s.start += total;
      if (s.next++ === job.index) {
        // A view into the stream buffer is valid until the next read; when the next read may
        // start before this record is placed (pipelined readers), hand out a copy.
        const view = s.buf.subarray(at, at + total);
        return { record: sync ? view : view.slice(), bytes };
      }
    }
  }

  /** Whether samples are read one range at a time through index files. */
  indexed(e: EpochSetup): boolean {
    return this.codec.access === "indexed" || (!!e.readIndex && !!this.codec.indexKeys);
  }

  /** Whether samples are cut from a stream of the file (TFRecord without the index). */
  streamed(e: EpochSetup): boolean {
    return this.codec.access === "stream" && !this.indexed(e);
  }

  /** The byte range of a sample; loads the file's index objects on first use. */
  async #range(job: SampleJob, e: EpochSetup, signal?: AbortSignal): Promise<SampleRange> {
    let ranges = this.#index.get(job.key);
    if (!ranges) {
      const keys = this.codec.indexKeys!(job.key);
      const parts = [];
      for (const k of keys) parts.push(await this.backend.get(k, { signal }));
      ranges = this.codec.parseIndex!(parts, {
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

  /** Fetch what a job needs: the whole object, or its sample's range (indexed access). */
  async fetchJob(
    job: SampleJob,
    e: EpochSetup,
    slot = 0,
    sync = this.preferSync,
    signal?: AbortSignal,
  ): Promise<Fetched> {
    const local = this.codec.access === "path" ? this.backend.localPath?.(job.key) : undefined;
    if (local !== undefined) {
      // The library reads just this sample from the file (HDF5 slices); its reads and any
      // decompression count as io.
      const t0 = this.now();
      const f = await this.codec.openPath!(local, {
        verifyChecksums: e.verifyChecksums,
        name: `${this.backend.root}/${job.key}`,
      });
      try {
        const data = f.sample(job.index).slice();
        return { key: job.key, data, ioMs: this.now() - t0, range: true, decoded: true };
      } finally {
        f.close();
      }
    }
    if (this.codec.openAsync) {
      // Whole file, then an asynchronous decoder (Parquet) for the sample's row.
      const f = await this.fetch(job.key, slot, sync, signal);
      const t1 = this.now();
      const opened = await this.codec.openAsync(f.data, {
        verifyChecksums: e.verifyChecksums,
        name: `${this.backend.root}/${job.key}`,
        columns: e.readColumns,
      }) as OpenedFile & { sampleAsync(i: number): Promise<Uint8Array> };
      const data = (await opened.sampleAsync(job.index)).slice();
      return {
        key: job.key,
        data,
        ioMs: f.ioMs,
        range: true,
        decoded: true,
        bytes: f.data.byteLength,
        decodeMs: this.now() - t1,
      };
    }
    if (this.streamed(e)) {
      const t0 = this.now();
      const { record, bytes } = await this.#streamRecord(job, e, sync, signal);
      return { key: job.key, data: record, ioMs: this.now() - t0, range: true, bytes };
    }
    if (!this.indexed(e)) return await this.fetch(job.key, slot, sync, signal);
    const t0 = this.now();
    const r = await this.#range(job, e, signal);
    const data = await this.backend.getRange(job.key, r.offset, r.length, { signal });
    if (data.byteLength !== r.length) {
      throw new FormatError(
        `${this.backend.root}/${job.key}`,
        `index says ${r.length} bytes at offset ${r.offset}; the object has ${data.byteLength} there`,
      );
    }
    return { key: job.key, data, ioMs: this.now() - t0, range: true };
  }

  /** Fetch an object's bytes into buffer `slot` (0 or 1). */
  async fetch(
    key: string,
    slot = 0,
    sync = this.preferSync,
    signal?: AbortSignal,
  ): Promise<Fetched> {
    const buffer = this.#bufs[slot]!;
    const t0 = this.now();
    const data = sync && this.backend.getSync
      ? this.backend.getSync(key, { buffer })
      : await this.backend.get(key, { buffer, signal });
    const ioMs = this.now() - t0;
    if (data.buffer !== buffer.buffer) {
      // The backend allocated: keep a buffer of our own, with headroom, for the next reads
      // (never adopt `data` itself: it may be a view into a shared pool).
      const size = Math.ceil(data.byteLength * 1.125);
      this.#bufs[slot] = this.backend.allocBuffer?.(size) ?? new Uint8Array(size);
    }
    return { key, data, ioMs };
  }

  /** Decode a fetched object (or the cached one) and place the sample into the batch. */
  place(job: SampleJob, fetched: Fetched | undefined, e: EpochSetup): SampleResult {
    let file: OpenedFile;
    let io = 0, decode = 0, bytes = 0;
    if (this.codec.access === "none") file = this.#synthetic(e.slotBytes);
    else if (fetched?.range) {
      const t1 = this.now();
      bytes = fetched.bytes ?? fetched.data.byteLength;
      io = fetched.ioMs;
      decode = fetched.decodeMs ?? 0;
      const one = fetched.decoded ? fetched.data : this.codec.decodeRange!(fetched.data, {
        verifyChecksums: e.verifyChecksums,
        name: `${this.backend.root}/${job.key}`,
      });
      decode += this.now() - t1;
      file = { numSamples: 1, dims: [one.byteLength], dtype: "uint8", sample: () => one };
      job = { ...job, index: 0 };
    } else if (!fetched) file = this.#lastFile!;
    else {
      const t1 = this.now();
      bytes = fetched.data.byteLength;
      io = fetched.ioMs;
      file = this.codec.open(fetched.data, {
        verifyChecksums: e.verifyChecksums,
        name: `${this.backend.root}/${job.key}`,
      });
      decode = this.now() - t1;
      this.#lastKey = job.key;
      this.#lastFile = file;
    }
    const t2 = this.now();
    const sample = file.sample(job.index);
    const t3 = this.now();
    decode += t3 - t2;
    // h2d: place the decoded sample into the batch buffer handed to the accelerator.
    const slot = job.slot ?? Atomics.add(e.counter, 0, 1);
    const target = e.ring[Math.floor(slot / e.batchSize) % e.ring.length]!;
    const at = (slot % e.batchSize) * e.slotBytes;
    const n = Math.min(sample.byteLength, e.slotBytes);
    copyInto(target, sample.subarray(0, n), at);
    if (n < e.slotBytes) target.fill(0, at + n, at + e.slotBytes);
    const h2d = this.now() - t3;
    if (e.readType === "on_demand" && this.#lastFile) {
      (this.#lastFile as { close?(): void }).close?.();
      this.#lastFile = undefined;
    }
    return { slot, ioMs: io, decodeMs: decode, h2dMs: h2d, bytes };
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
