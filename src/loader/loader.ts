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

/** Read batches for one epoch. */
export async function* loadBatches(
  o: LoaderOptions,
  stats: LoaderStats = { maxOutstanding: 0, maxBatchesAhead: 0 },
): AsyncGenerator<Batch> {
  const plan = o.plan;
  const B = plan.batchSize;
  const nBatches = plan.batches;
  if (nBatches === 0) return;
  // While the loop holds batch b, batches up to b + maxAhead may be read (and, with a tf.data
  // shuffle buffer, that many more records).
  const depth = Math.max(0, plan.maxAhead);
  const shuffle = plan.mode === "arrival" ? Math.max(0, plan.shuffleBuffer) : 0;
  const ring = Array.from(
    { length: Math.min(depth + 1 + Math.ceil(shuffle / B), nBatches) },
    () => new Uint8Array(new SharedArrayBuffer(B * o.slotBytes)),
  );
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const session = await o.executor.begin({
    ring,
    counter,
    batchSize: B,
    slotBytes: o.slotBytes,
    verifyChecksums: o.verifyChecksums,
    readType: o.readType,
    readIndex: o.readIndex,
    transferSize: o.transferSize,
    readColumns: o.readColumns,
    preprocess: o.preprocess,
  });
  const base = o.readerBase ?? 0;
  const readers = o.executor.readers;
  // Batch states exist only while in reach (created on first use, dropped when consumed), so
  // an epoch of millions of batches costs no per-batch memory up front.
  type State = Batch & { firstStart: number; filled: number };
  const live = new Map<number, State>();
  const batches = (index: number): State => {
    let st = live.get(index);
    if (!st) {
      live.set(
        index,
        st = {
          index,
          buffer: ring[index % ring.length]!,
          samples: 0,
          filled: 0,
          bytesRead: 0,
          latencyMs: 0,
          firstStart: Infinity,
        },
      );
    }
    return st;
  };
  const total = nBatches * B;
  let consumed = 0, failed = false, outstanding = 0;
  let failure: unknown;
  let wakeConsumer: (() => void) | undefined;
  const wakeLanes: (() => void)[] = [];
  const notifyConsumer = () => {
    const w = wakeConsumer;
    wakeConsumer = undefined;
    w?.();
  };
  const notifyLanes = () => {
    for (const w of wakeLanes.splice(0)) w();
  };
  const fail = (e: unknown) => {
    if (!failed) {
      failed = true;
      failure = e;
    }
    notifyConsumer();
    notifyLanes();
  };
  // An abort (another rank failed, or Ctrl-C) ends the epoch: wake everyone waiting.
  const onAbort = () => fail(o.signal?.reason ?? new Error("aborted"));
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const waitTurn = async (b: number) => {
    while (!failed && !o.signal?.aborted && b > consumed + depth) {
      await new Promise<void>((r) => wakeLanes.push(r));
    }
    stats.maxBatchesAhead = Math.max(stats.maxBatchesAhead, b - consumed);
    return !failed && !o.signal?.aborted;
  };
  // Samples become part of a batch when they leave the shuffle buffer (tf.data's
  // `.shuffle(shuffle_size)`), or as they complete when there is none.
  const buffer: {
    ref: SampleRef;
    key: string;
    r: SampleResult;
    started: number;
    done: number;
  }[] = [];
  const shufflePrng = new Prng(plan.shuffleSeed, "shuffle_buffer");
  let emitted = 0, arrivedN = 0;
  const emit = (item: (typeof buffer)[number], b: number) => {
    const batch = batches(b);
    batch.samples++;
    batch.bytesRead += item.r.bytes;
    batch.firstStart = Math.min(batch.firstStart, item.started);
    o.events.record(
      item.r.ioMs,
      item.r.decodeMs,
      item.r.h2dMs,
      item.r.bytes,
      {
        epoch: o.epoch,
        key: item.key,
        sample: item.ref.index,
      },
      item.r.preprocessMs ?? 0,
      item.done,
    );
    if (batch.samples === B && batch.filled === B) {
      batch.latencyMs = o.clock.now() - batch.firstStart;
      notifyConsumer();
    }
  };
  const arrived = (item: (typeof buffer)[number], slot: number) => {
    // The batch buffer that holds the bytes is filled by arrival (slot); composition follows
    // the shuffle buffer.
    const byteBatch = batches(Math.floor(slot / B));
    byteBatch.filled++;
    if (shuffle === 0) {
      emit(item, Math.floor(slot / B));
      return;
    }
    buffer.push(item);
    const done = ++arrivedN === total;
    while (buffer.length > shuffle || (done && buffer.length > 0)) {
      const i = shufflePrng.nextInt(buffer.length);
      const [pick] = buffer.splice(i, 1);
      emit(pick!, Math.floor(emitted++ / B));
    }
    if (byteBatch.filled === B && byteBatch.samples === B) notifyConsumer();
  };
  const job = (ref: SampleRef, key: string, reader: number | undefined, slot?: number) => ({
    session,
    key,
    index: ref.index,
    reader,
    slot,
  });

  const arrivalLane = async (l: number) => {
    for (;;) {
      if (failed || o.signal?.aborted || claimed >= total) return;
      // Claims beyond the batches in reach wait (records in the shuffle buffer do not count).
      const b = Math.floor(Math.max(0, claimed - shuffle) / B);
      if (!(await waitTurn(b))) return;
      if (claimed >= total) return;
      const i = claimed++;
      const ref = plan.order.at(i);
      const key = o.files.key(ref.file);
      const started = o.clock.now();
      outstanding++;
      stats.maxOutstanding = Math.max(stats.maxOutstanding, outstanding);
      try {
        const reader = ref.reader !== undefined ? (base + ref.reader) % readers : undefined;
        const r = await o.executor.run(job(ref, key, reader), l, o.signal);
        outstanding--;
        arrived({ ref, key, r, started, done: o.clock.now() }, r.slot);
      } catch (e) {
        outstanding--;
        fail(e);
        return;
      }
    }
  };
  let claimed = 0;

  // Worker mode: batch b is built whole by its worker (samples in order, fixed slots).
  let nextBatch = 0;
  const workerLoop = async () => {
    const inFlight = new Set<Promise<void>>();
    while (nextBatch < nBatches && !failed && !o.signal?.aborted) {
      const b = nextBatch;
      if (!(await waitTurn(b))) break;
      nextBatch++;
      const pb = plan.batch(b);
      const reader = (base + pb.worker) % readers;
      const p = Promise.all(pb.refs.map(async (ref, j) => {
        const key = o.files.key(ref.file);
        const started = o.clock.now();
        outstanding++;
        stats.maxOutstanding = Math.max(stats.maxOutstanding, outstanding);
        try {
          const r = await o.executor.run(job(ref, key, reader, b * B + j), reader, o.signal);
          batches(b).filled++;
          emit({ ref, key, r, started, done: o.clock.now() }, b);
        } finally {
          outstanding--;
        }
      })).then(() => {}, fail);
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  };

  const running = plan.mode === "worker"
    ? workerLoop()
    : Promise.all(Array.from({ length: o.executor.lanes }, (_, l) => arrivalLane(l)));
  try {
    for (let b = 0; b < nBatches; b++) {
      const ready = () => batches(b).samples === B && batches(b).filled >= B;
      while (!ready() && !failed) await new Promise<void>((r) => (wakeConsumer = r));
      if (failed) throw failure;
      const { firstStart: _, filled: _f, ...batch } = batches(b);
      live.delete(b);
      yield batch;
      consumed++;
      notifyLanes();
    }
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    failed = failed || consumed < nBatches;
    notifyLanes();
    await running;
    await o.executor.end(session);
  }
}
