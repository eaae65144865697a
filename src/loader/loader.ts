/**
 * The data loader: concurrent sample reads (`read_threads`), completion out of order, batches
 * formed as samples arrive (the n-th sample to complete takes slot n), bounded readahead of
 * `prefetch_size` batches (backpressure: no sample of batch b is started before the training
 * loop has taken batch b − prefetch; prefetch 0 loads each batch only when it is asked for).
 *
 * Memory bound: `prefetch + 1` batch buffers of `batch_size × sample_slot_bytes`, plus one file
 * buffer per reader (the size of the largest file it has read; reused).
 * @module
 */
import type { SampleEvents } from "../metrics/recorder.ts";
import type { Clock } from "../util/clock.ts";
import type { DistributionValue } from "../util/distribution.ts";
import { Prng } from "../util/prng.ts";
import type { Executor } from "./executor.ts";
import type { FileKeys } from "./files.ts";
import type { EpochPlan } from "./profile.ts";
import type { SampleResult } from "./sample_reader.ts";
import type { Order, SampleRef } from "./sampler.ts";
import type { LoaderStats } from "../metrics/records.ts";

/** A batch handed to the training loop (valid until the next one is requested). */
export interface Batch {
  /** 0-based batch index within the epoch. */
  index: number;
  /** Batch buffer: `samples × slotBytes` bytes (the emulated device input). */
  buffer: Uint8Array;
  samples: number;
  /** Bytes read from storage for this batch's samples. */
  bytesRead: number;
  /** Time from the start of the batch's first sample read to the batch being complete (ms). */
  latencyMs: number;
}

/** Loader settings for one epoch. */
export interface LoaderOptions {
  executor: Executor;
  /** Keys of the split's files, indexed by `SampleRef.file`. */
  files: FileKeys;
  /** What to read and how batches are built (see profile.ts). */
  plan: EpochPlan;
  /** Bytes of one sample in the batch buffer. */
  slotBytes: number;
  verifyChecksums: boolean;
  /** `on_demand`: read the file for every sample; `memory`: keep the last file per reader. */
  readType: "on_demand" | "memory";
  /** Read single samples through the format's index files. */
  readIndex?: boolean;
  /** Read size for streamed formats (bytes). */
  transferSize?: number | null;
  /** Columns to decode (Parquet). */
  readColumns?: string[];
  /** Seconds of preprocessing per sample, drawn in the reader (DLIO's preprocess_time). */
  preprocess?: { value: DistributionValue; stdev: number; seed: number };
  /** This loader's readers are engine readers `readerBase + worker` (ranks sharing an engine). */
  readerBase?: number;
  clock: Clock;
  events: SampleEvents;
  epoch: number;
  signal?: AbortSignal;
}

/** A plan in which readers claim samples in order and batches fill as samples arrive. */
export function arrivalPlan(order: Order, batchSize: number, prefetch: number): EpochPlan {
  const batches = Math.floor(order.length / batchSize);
  return {
    mode: "arrival",
    batches,
    batchSize,
    order,
    sampled: order,
    batch: (b) => ({
      worker: 0,
      refs: Array.from({ length: batchSize }, (_, j) => order.at(b * batchSize + j)),
    }),
    workers: 1,
    maxAhead: prefetch,
    shuffleBuffer: 0,
    shuffleSeed: 0,
  };
}

/** A sample read and where it came from. */
interface Arrival {
  ref: SampleRef;
  key: string;
  r: SampleResult;
  started: number;
  done: number;
}

/** A batch being filled: its samples (composition) and its slots (bytes) may differ. */
type State = Batch & { firstStart: number; filled: number };

/** One epoch's reads in flight: lanes claim samples, batches fill, the consumer takes them. */
class EpochLoad {
  readonly B: number;
  readonly total: number;
  readonly depth: number;
  readonly shuffle: number;
  readonly ring: Uint8Array[];
  session = 0;
  consumed = 0;
  failed = false;
  failure: unknown;
  #outstanding = 0;
  #claimed = 0;
  #emitted = 0;
  #arrivedN = 0;
  #nextBatch = 0;
  /** Batch states exist only while in reach (created on first use, dropped when consumed). */
  #live = new Map<number, State>();
  #wakeConsumer: (() => void) | undefined;
  #wakeLanes: (() => void)[] = [];
  /** tf.data's `.shuffle(shuffle_size)` buffer of arrived records. */
  #buffer: Arrival[] = [];
  #shufflePrng: Prng;

  constructor(readonly o: LoaderOptions, readonly stats: LoaderStats) {
    const plan = o.plan;
    this.B = plan.batchSize;
    this.total = plan.batches * this.B;
    // While the loop holds batch b, batches up to b + maxAhead may be read (and, with a tf.data
    // shuffle buffer, that many more records).
    this.depth = Math.max(0, plan.maxAhead);
    this.shuffle = plan.mode === "arrival" ? Math.max(0, plan.shuffleBuffer) : 0;
    this.ring = Array.from(
      { length: Math.min(this.depth + 1 + Math.ceil(this.shuffle / this.B), plan.batches) },
      () => new Uint8Array(new SharedArrayBuffer(this.B * o.slotBytes)),
    );
    this.#shufflePrng = new Prng(plan.shuffleSeed, "shuffle_buffer");
  }

  /** Open the executor session for this epoch's buffers. */
  async begin(): Promise<void> {
    const o = this.o;
    this.session = await o.executor.begin({
      ring: this.ring,
      counter: new Int32Array(new SharedArrayBuffer(4)),
      batchSize: this.B,
      slotBytes: o.slotBytes,
      verifyChecksums: o.verifyChecksums,
      readType: o.readType,
      readIndex: o.readIndex,
      transferSize: o.transferSize,
      readColumns: o.readColumns,
      preprocess: o.preprocess,
    }, o.clock);
  }

  batch(index: number): State {
    let st = this.#live.get(index);
    if (!st) {
      st = {
        index,
        buffer: this.ring[index % this.ring.length]!,
        samples: 0,
        filled: 0,
        bytesRead: 0,
        latencyMs: 0,
        firstStart: Infinity,
      };
      this.#live.set(index, st);
    }
    return st;
  }

  get stopped(): boolean {
    return this.failed || (this.o.signal?.aborted ?? false);
  }

  notifyConsumer(): void {
    const w = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    w?.();
  }

  notifyLanes(): void {
    for (const w of this.#wakeLanes.splice(0)) w();
  }

  fail(e: unknown): void {
    if (!this.failed) {
      this.failed = true;
      this.failure = e;
    }
    this.notifyConsumer();
    this.notifyLanes();
  }

  /** Wait until batch b is in reach of the consumer; false when the epoch stopped. */
  async waitTurn(b: number): Promise<boolean> {
    while (!this.stopped && b > this.consumed + this.depth) {
      await new Promise<void>((r) => this.#wakeLanes.push(r));
    }
    this.stats.maxBatchesAhead = Math.max(this.stats.maxBatchesAhead, b - this.consumed);
    return !this.stopped;
  }

  /** A sample becomes part of batch b: record it; wake the consumer when b is complete. */
  emit(item: Arrival, b: number): void {
    const batch = this.batch(b);
    batch.samples++;
    batch.bytesRead += item.r.bytes;
    batch.firstStart = Math.min(batch.firstStart, item.started);
    const r = item.r;
    const where = { epoch: this.o.epoch, key: item.key, sample: item.ref.index };
    this.o.events.record(
      r.ioMs,
      r.decodeMs,
      r.h2dMs,
      r.bytes,
      where,
      r.preprocessMs ?? 0,
      item.done,
    );
    if (batch.samples === this.B && batch.filled === this.B) {
      batch.latencyMs = this.o.clock.now() - batch.firstStart;
      this.notifyConsumer();
    }
  }

  /** Arrival mode: slot fixes the bytes' batch; composition follows the shuffle buffer. */
  arrived(item: Arrival, slot: number): void {
    const byteBatch = this.batch(Math.floor(slot / this.B));
    byteBatch.filled++;
    if (this.shuffle === 0) {
      this.emit(item, Math.floor(slot / this.B));
      return;
    }
    this.#buffer.push(item);
    const done = ++this.#arrivedN === this.total;
    while (this.#buffer.length > this.shuffle || (done && this.#buffer.length > 0)) {
      const i = this.#shufflePrng.nextInt(this.#buffer.length);
      const [pick] = this.#buffer.splice(i, 1);
      this.emit(pick!, Math.floor(this.#emitted++ / this.B));
    }
    if (byteBatch.filled === this.B && byteBatch.samples === this.B) this.notifyConsumer();
  }

  /** Read one sample on the engine, counting reads in flight. */
  async read(
    ref: SampleRef,
    lane: number,
    reader?: number,
    slot?: number,
  ): Promise<Arrival & { slot: number }> {
    const o = this.o;
    const key = o.files.key(ref.file);
    const started = o.clock.now();
    this.#outstanding++;
    this.stats.maxOutstanding = Math.max(this.stats.maxOutstanding, this.#outstanding);
    try {
      const job = { session: this.session, key, index: ref.index, reader, slot };
      const r = await o.executor.run(job, lane, o.signal);
      return { ref, key, r, started, done: o.clock.now(), slot: r.slot };
    } finally {
      this.#outstanding--;
    }
  }

  /** Arrival mode: a lane claims samples in order; any free reader takes them. */
  async arrivalLane(l: number): Promise<void> {
    const o = this.o, base = o.readerBase ?? 0, readers = o.executor.readers;
    for (;;) {
      if (this.stopped || this.#claimed >= this.total) return;
      // Claims beyond the batches in reach wait (records in the shuffle buffer do not count).
      const b = Math.floor(Math.max(0, this.#claimed - this.shuffle) / this.B);
      if (!(await this.waitTurn(b))) return;
      if (this.#claimed >= this.total) return;
      const ref = o.plan.order.at(this.#claimed++);
      const reader = ref.reader !== undefined ? (base + ref.reader) % readers : undefined;
      try {
        const a = await this.read(ref, l, reader);
        this.arrived(a, a.slot);
      } catch (e) {
        this.fail(e);
        return;
      }
    }
  }

  /** Worker mode: batch b is built whole by its worker (samples in order, fixed slots). */
  async workerLoop(): Promise<void> {
    const o = this.o, base = o.readerBase ?? 0, readers = o.executor.readers;
    const inFlight = new Set<Promise<void>>();
    while (this.#nextBatch < o.plan.batches && !this.stopped) {
      const b = this.#nextBatch;
      if (!(await this.waitTurn(b))) break;
      this.#nextBatch++;
      const pb = o.plan.batch(b);
      const reader = (base + pb.worker) % readers;
      const p = Promise.all(pb.refs.map(async (ref, j) => {
        const a = await this.read(ref, reader, reader, b * this.B + j);
        this.batch(b).filled++;
        this.emit(a, b);
      })).then(() => {}, (e) => this.fail(e));
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  }

  /** Start reading: the plan's lanes or workers. */
  run(): Promise<unknown> {
    return this.o.plan.mode === "worker"
      ? this.workerLoop()
      : Promise.all(Array.from({ length: this.o.executor.lanes }, (_, l) => this.arrivalLane(l)));
  }

  /** Whether batch b is complete (or the epoch failed). */
  settled(b: number): boolean {
    return this.failed || (this.batch(b).samples === this.B && this.batch(b).filled >= this.B);
  }

  /** Until the next batch completes (or the epoch fails). */
  completion(): Promise<void> {
    return new Promise<void>((r) => (this.#wakeConsumer = r));
  }

  /** Hand over batch b (settled): the batch, or the epoch's failure. */
  take(b: number): Batch {
    if (this.failed) throw this.failure;
    const { firstStart: _, filled: _f, ...batch } = this.batch(b);
    this.#live.delete(b);
    return batch;
  }
}

/** Read batches for one epoch. */
export async function* loadBatches(
  o: LoaderOptions,
  stats: LoaderStats = { maxOutstanding: 0, maxBatchesAhead: 0 },
): AsyncGenerator<Batch> {
  const nBatches = o.plan.batches;
  if (nBatches === 0) return;
  const load = new EpochLoad(o, stats);
  await load.begin();
  // An abort (another rank failed, or Ctrl-C) ends the epoch: wake everyone waiting.
  const onAbort = () => load.fail(o.signal?.reason ?? new Error("aborted"));
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const running = load.run();
  try {
    for (let b = 0; b < nBatches; b++) {
      while (!load.settled(b)) await load.completion();
      yield load.take(b);
      load.consumed++;
      load.notifyLanes();
    }
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    load.failed = load.failed || load.consumed < nBatches;
    load.notifyLanes();
    await running;
    await o.executor.end(load.session);
  }
}
