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
import type { Executor } from "./executor.ts";
import type { FileKeys } from "./files.ts";
import type { EpochPlan } from "./profile.ts";
import type { Order } from "./sampler.ts";
import { EpochLoad } from "./epoch_load.ts";
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
  /** Row groups kept per open Parquet file. */
  rowGroupCache?: number;
  /** Decode images (false: read them as bytes). */
  decodeImages?: boolean;
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
    planned: order,
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
  const nBatches = o.plan.batches;
  if (nBatches === 0) return;
  const load = new EpochLoad(o, stats);
  await load.begin();
  // An abort (another rank failed, or Ctrl-C) ends the epoch: wake everyone waiting.
  const onAbort = () => load.fail(o.signal?.reason ?? new Error("aborted"));
  o.signal?.addEventListener("abort", onAbort, { once: true });
  // Aborted before this epoch began: the event has fired already.
  if (o.signal?.aborted) onAbort();
  const running = load.run();
  try {
    for (let b = 0; b < nBatches; b++) {
      while (!load.settled(b)) await load.completion();
      yield load.take(b);
      load.consumed++;
      load.refill();
    }
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    load.failed = load.failed || load.consumed < nBatches;
    load.refill();
    await running;
    await o.executor.end(load.session);
    load.releaseBuffers();
  }
}
