/**
 * Reading one sample: fetch the object's bytes (io), parse the format and extract the sample
 * (decode), copy it into its slot of the batch buffer (h2d). Runs on the main thread (inline
 * engine) or inside a reader thread (thread engine); timings use the local clock.
 * @module
 */
import type { Codec, OpenedFile } from "../formats/codec.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { copyInto } from "../util/copy.ts";

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
}

/** One sample to read. */
export interface SampleJob {
  key: string;
  index: number;
}

/** What reading it took. */
export interface SampleResult {
  slot: number;
  ioMs: number;
  decodeMs: number;
  h2dMs: number;
  bytes: number;
}

/** A reader with its own reusable file buffer. */
export class SampleReader {
  #buf: Uint8Array = new Uint8Array(0);
  #lastKey: string | undefined;
  #lastFile: OpenedFile | undefined;

  constructor(
    readonly backend: StorageBackend,
    readonly codec: Codec,
    readonly now: () => number,
    /** Use the backend's blocking read when it has one (reader threads only). */
    readonly preferSync = false,
  ) {}

  /** Read, decode and place one sample. */
  async read(job: SampleJob, e: EpochSetup, signal?: AbortSignal): Promise<SampleResult> {
    let file: OpenedFile;
    let io = 0, decode = 0, bytes = 0;
    if (e.readType === "memory" && job.key === this.#lastKey && this.#lastFile) {
      file = this.#lastFile;
    } else {
      const t0 = this.now();
      const data = this.preferSync && this.backend.getSync
        ? this.backend.getSync(job.key, { buffer: this.#buf })
        : await this.backend.get(job.key, { buffer: this.#buf, signal });
      const t1 = this.now();
      if (data.buffer !== this.#buf.buffer) {
        // The backend allocated: keep a buffer of our own, with headroom, for the next reads
        // (never adopt `data` itself: it may be a view into a shared pool).
        this.#buf = new Uint8Array(Math.ceil(data.byteLength * 1.125));
      }
      bytes = data.byteLength;
      io = t1 - t0;
      file = this.codec.open(data, {
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
    const slot = Atomics.add(e.counter, 0, 1);
    const target = e.ring[Math.floor(slot / e.batchSize) % e.ring.length]!;
    const at = (slot % e.batchSize) * e.slotBytes;
    const n = Math.min(sample.byteLength, e.slotBytes);
    copyInto(target, sample.subarray(0, n), at);
    if (n < e.slotBytes) target.fill(0, at + n, at + e.slotBytes);
    const h2d = this.now() - t3;
    if (e.readType === "on_demand") this.#lastFile = undefined;
    return { slot, ioMs: io, decodeMs: decode, h2dMs: h2d, bytes };
  }
}
