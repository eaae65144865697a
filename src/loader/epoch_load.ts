/**
 * One epoch's reads in flight for the loader (loader.ts): samples are claimed within the
 * readahead bound and handed to the engine's lanes (or, in worker mode, whole batches to their
 * worker), batches fill as samples arrive (or leave the tf.data shuffle buffer), and the
 * consumer takes complete batches in order. Event-driven: a completed read refills its lane in
 * the engine's callback, with no promise or async frame per sample.
 * @module
 */
import type { LoaderStats } from "../metrics/records.ts";
import { Prng } from "../util/prng.ts";
import type { Batch, LoaderOptions } from "./loader.ts";
import type { SampleResult } from "./sample_reader.ts";
import type { SampleRef } from "./sampler.ts";

/**
 * Batch buffers kept between epochs, per engine: a new epoch's first writes into fresh shared
 * memory page-fault (~10 ms per 16 MiB on this VM), which made the first batches of every epoch
 * three times slower than the rest. At most what one epoch used is kept.
 */
const spare = new WeakMap<object, Map<number, Uint8Array[]>>();

function takeBuffer(owner: object, bytes: number): Uint8Array {
  return spare.get(owner)?.get(bytes)?.pop() ?? new Uint8Array(new SharedArrayBuffer(bytes));
}

/** Keep an epoch's buffers for the next. */
function giveBack(owner: object, ring: Uint8Array[]): void {
  let bySize = spare.get(owner);
  if (!bySize) spare.set(owner, bySize = new Map());
  for (const b of ring) {
    const list = bySize.get(b.byteLength) ?? [];
    if (list.length < ring.length) list.push(b);
    bySize.set(b.byteLength, list);
  }
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
export class EpochLoad {
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
      () => takeBuffer(o.executor, this.B * o.slotBytes),
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
      rowGroupCache: o.rowGroupCache,
      decodeImages: o.decodeImages,
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

  fail(e: unknown): void {
    if (!this.failed) {
      this.failed = true;
      this.failure = e;
    }
    this.notifyConsumer();
    this.#checkDrained();
  }

  /** A sample becomes part of batch b: record it; wake the consumer when b is complete. */
  emit(item: Arrival, b: number): void {
    const batch = this.batch(b);
    batch.samples++;
    batch.bytesRead += item.r.bytes;
    batch.firstStart = Math.min(batch.firstStart, item.started);
    const r = item.r;
    if (r.requests?.length) this.o.events.recordRequests(r.requests);
    this.o.events.record({
      epoch: this.o.epoch,
      key: item.key,
      sample: item.ref.index,
      ioMs: r.ioMs,
      decodeMs: r.decodeMs,
      h2dMs: r.h2dMs,
      preprocessMs: r.preprocessMs ?? 0,
      bytes: r.bytes,
      doneMs: item.done,
    });
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

  /** Lanes free to take a read (a stack: the lowest lane first). */
  #freeLanes: number[] = [];
  #inFlight = 0;
  #drained: (() => void) | undefined;

  #refillQueued = false;
  #refillTask = () => {
    this.#refillQueued = false;
    this.#pump();
  };

  /**
   * Claim what is in reach and start reading it, once the current task's completions and the
   * consumer's turn have run (one pass for all of them; reads already waiting start in order).
   */
  refill(): void {
    if (this.#refillQueued) return;
    this.#refillQueued = true;
    queueMicrotask(this.#refillTask);
  }

  #pump(): void {
    if (this.o.plan.mode === "worker") this.#pumpBatches();
    else this.#pumpSamples();
    this.#checkDrained();
  }

  /** Arrival mode: samples claimed in order, each on a free lane (any reader, or its file's). */
  #pumpSamples(): void {
    const o = this.o, base = o.readerBase ?? 0, readers = o.executor.readers;
    while (!this.stopped && this.#claimed < this.total && this.#freeLanes.length > 0) {
      // Claims beyond the batches in reach wait (records in the shuffle buffer do not count).
      const b = Math.floor(Math.max(0, this.#claimed - this.shuffle) / this.B);
      if (b > this.consumed + this.depth) return;
      this.stats.maxBatchesAhead = Math.max(this.stats.maxBatchesAhead, b - this.consumed);
      const ref = o.plan.order.at(this.#claimed++);
      const reader = ref.reader !== undefined ? (base + ref.reader) % readers : undefined;
      const lane = this.#freeLanes.pop()!;
      this.#read(ref, lane, reader, undefined, (a) => {
        this.#freeLanes.push(lane);
        this.arrived(a, a.r.slot);
      });
    }
  }

  /** Worker mode: batch b is built whole by its worker (samples in order, fixed slots). */
  #pumpBatches(): void {
    const o = this.o, base = o.readerBase ?? 0, readers = o.executor.readers;
    while (!this.stopped && this.#nextBatch < o.plan.batches) {
      const b = this.#nextBatch;
      if (b > this.consumed + this.depth) return;
      this.stats.maxBatchesAhead = Math.max(this.stats.maxBatchesAhead, b - this.consumed);
      this.#nextBatch++;
      const pb = o.plan.batch(b);
      const reader = (base + pb.worker) % readers;
      pb.refs.forEach((ref, j) =>
        this.#read(ref, reader, reader, b * this.B + j, (a) => {
          this.batch(b).filled++;
          this.emit(a, b);
        })
      );
    }
  }

  /** Read one sample on the engine, counting reads in flight; `then` gets it when it arrives. */
  #read(
    ref: SampleRef,
    lane: number,
    reader: number | undefined,
    slot: number | undefined,
    then: (a: Arrival) => void,
  ): void {
    const o = this.o;
    const key = o.files.key(ref.file);
    const started = o.clock.now();
    this.#inFlight++;
    this.stats.maxOutstanding = Math.max(this.stats.maxOutstanding, this.#inFlight);
    const job = { session: this.session, key, index: ref.index, reader, slot };
    o.executor.submit(job, lane, (r, error) => {
      this.#inFlight--;
      if (r) then({ ref, key, r, started, done: o.clock.now() });
      else this.fail(error);
      this.refill();
    }, o.signal);
  }

  /** Whether nothing is in flight and nothing more will start. */
  #checkDrained(): void {
    const o = this.o;
    const claimedAll = o.plan.mode === "worker"
      ? this.#nextBatch >= o.plan.batches
      : this.#claimed >= this.total;
    if (this.#inFlight === 0 && (this.stopped || claimedAll)) {
      const d = this.#drained;
      this.#drained = undefined;
      d?.();
    }
  }

  /** Start reading; resolves when no read is in flight and none will start (done or stopped). */
  run(): Promise<void> {
    this.#freeLanes = Array.from({ length: this.o.executor.lanes }, (_, l) => l).reverse();
    const drained = new Promise<void>((r) => (this.#drained = r));
    this.#pump();
    return drained;
  }

  /** Keep this epoch's batch buffers for the engine's next epoch (no reader writes any more). */
  releaseBuffers(): void {
    giveBack(this.o.executor, this.ring);
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
