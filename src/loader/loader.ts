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
import type { Executor } from "./executor.ts";
import type { SampleRef } from "./sampler.ts";

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
  files: string[];
  /** Samples to read, in order (already trimmed to whole batches). */
  order: SampleRef[];
  batchSize: number;
  prefetchSize: number;
  /** Bytes of one sample in the batch buffer. */
  slotBytes: number;
  verifyChecksums: boolean;
  /** `on_demand`: read the file for every sample; `memory`: keep the last file per reader. */
  readType: "on_demand" | "memory";
  /** Read single samples through the format's index files. */
  readIndex?: boolean;
  /** Read size for streamed formats (bytes). */
  transferSize?: number | null;
  /** Keep each file's samples on one reader (streamed formats). */
  fileAffinity?: boolean;
  /** Columns to decode (Parquet). */
  readColumns?: string[];
  clock: Clock;
  events: SampleEvents;
  epoch: number;
  signal?: AbortSignal;
}

/** Read batches for one epoch. */
export async function* loadBatches(o: LoaderOptions): AsyncGenerator<Batch> {
  const B = o.batchSize;
  const nBatches = Math.floor(o.order.length / B);
  if (nBatches === 0) return;
  // While the loop holds batch b, batches up to b + prefetch may be read (DLIO/PyTorch's
  // prefetch: batches read ahead of the one being computed on).
  const depth = Math.max(0, o.prefetchSize);
  const ring = Array.from(
    { length: Math.min(depth + 1, nBatches) },
    () => new Uint8Array(new SharedArrayBuffer(B * o.slotBytes)),
  );
  const counter = new Int32Array(new SharedArrayBuffer(4));
  await o.executor.begin({
    ring,
    counter,
    batchSize: B,
    slotBytes: o.slotBytes,
    verifyChecksums: o.verifyChecksums,
    readType: o.readType,
    readIndex: o.readIndex,
    transferSize: o.transferSize,
    readColumns: o.readColumns,
  });
  const batches = Array.from({ length: nBatches }, (_, index): Batch & { firstStart: number } => ({
    index,
    buffer: ring[index % ring.length]!,
    samples: 0,
    bytesRead: 0,
    latencyMs: 0,
    firstStart: Infinity,
  }));
  const total = nBatches * B;
  let claimed = 0, consumed = 0, failed = false;
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

  const lane = async (l: number) => {
    for (;;) {
      if (failed || o.signal?.aborted || claimed >= total) return;
      if (Math.floor(claimed / B) > consumed + depth) {
        await new Promise<void>((r) => wakeLanes.push(r));
        continue;
      }
      const ref = o.order[claimed++]!;
      const key = o.files[ref.file]!;
      const started = o.clock.now();
      try {
        const job = o.fileAffinity
          ? { key, index: ref.index, reader: (ref.reader ?? ref.file) % o.executor.readers }
          : { key, index: ref.index };
        const r = await o.executor.run(job, l, o.signal);
        const batch = batches[Math.floor(r.slot / B)]!;
        batch.samples++;
        batch.bytesRead += r.bytes;
        batch.firstStart = Math.min(batch.firstStart, started);
        o.events.record(r.ioMs, r.decodeMs, r.h2dMs, r.bytes, {
          epoch: o.epoch,
          key,
          sample: ref.index,
        });
        if (batch.samples === B) {
          batch.latencyMs = o.clock.now() - batch.firstStart;
          notifyConsumer();
        }
      } catch (e) {
        if (!failed) {
          failed = true;
          failure = e;
        }
        notifyConsumer();
        notifyLanes();
        return;
      }
    }
  };

  const running = Promise.all(Array.from({ length: o.executor.lanes }, (_, l) => lane(l)));
  try {
    for (let b = 0; b < nBatches; b++) {
      while (batches[b]!.samples < B && !failed) await new Promise<void>((r) => (wakeConsumer = r));
      if (failed) throw failure;
      const { firstStart: _, ...batch } = batches[b]!;
      yield batch;
      consumed++;
      notifyLanes();
    }
  } finally {
    failed = failed || consumed < nBatches;
    notifyLanes();
    await running;
  }
}
