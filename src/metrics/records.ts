/**
 * What a run measured, as plain records: per-step block timers, epochs, a rank's whole record,
 * checkpoint events, loader and storage counters. The layers above fill them; metrics reads
 * them (so metrics imports nothing above it).
 * @module
 */
import {
  eventsFromData,
  eventsToData,
  type SampleEvents,
  type SampleEventsData,
  type VisitedItem,
} from "./recorder.ts";
import { StepSeries, type StepSeriesData } from "./steps.ts";

/** Request counters of a backend (object stores). */
export interface BackendStats {
  requests: number;
  /** Retries made by the backend or its SDK (throttling, transient errors). */
  retries: number;
}

/** Statistics of one epoch's loading (for the profile tests and the report). */
export interface LoaderStats {
  /** Most sample reads issued to the engine and not yet complete at once. */
  maxOutstanding: number;
  /** Most batches (beyond the one the loop holds) with a sample issued at once. */
  maxBatchesAhead: number;
}

/** One save or load by one rank. */
export interface CheckpointEvent {
  kind: "save" | "load";
  rank: number;
  epoch: number;
  step: number;
  folder: string;
  startMs: number;
  endMs: number;
  wallStart: number;
  wallEnd: number;
  files: number;
  /** Tensor bytes (uncompressed). */
  bytes: number;
  /** Bytes stored or read (compressed when zstd is on). */
  storedBytes: number;
  /** Time spent compressing (save) or decompressing (load), ms. */
  codecMs: number;
  /** Per-file write (or read) time, ms. */
  fileMs: number[];
}

/** Timers of one block (or one evaluation pass), times in ms of the run clock. */
export interface BlockRecord {
  block: number;
  startMs: number;
  endMs: number;
  wallStart: number;
  wallEnd: number;
  /** Steps the epoch was expected to have (DLIO's metric window uses it). */
  expectedSteps: number;
  /** Per step: batch wait, emulated compute, batch assembly (constant memory; streamed). */
  steps: StepSeries;
  samples: number;
  bytesRead: number;
}

/** One epoch. */
export interface EpochRecord {
  epoch: number;
  startMs: number;
  endMs: number;
  wallStart: number;
  wallEnd: number;
  blocks: BlockRecord[];
  eval?: BlockRecord;
  /** /proc/meminfo when the epoch ended (DLIO's per-epoch `host_meminfo`). */
  meminfo?: Record<string, string>;
}

/** A page-cache drop before a training epoch (outside the timed window). */
export interface PageCacheDrop {
  epoch: number;
  /** How: `fadvise` (posix_fadvise DONTNEED per file), `drop_caches` (the whole host), `none`. */
  method: "fadvise" | "drop_caches" | "none";
  files: number;
  bytes: number;
  seconds: number;
  /** Why the method differs from the one asked for, or why nothing was dropped. */
  note?: string;
}

/** Everything the run measured. */
export interface TrainRecord {
  epochs: EpochRecord[];
  startMs: number;
  endMs: number;
  wallStart: number;
  wallEnd: number;
  trainEvents: SampleEvents;
  evalEvents: SampleEvents;
  /** The first items of the order the sampler planned (training), for `access_order_sample`. */
  planned: VisitedItem[];
  /** Seed used for `random` shuffles. */
  randomSeed: number;
  /** Bytes of one sample in the batch buffer. */
  slotBytes: number;
  /** Why the run stopped before its configured end, if it did. */
  stoppedEarly?: string;
  /** Storage requests and retries made by the readers. */
  storage: BackendStats;
  /** The rank (emulated accelerator) this record is of. */
  rank: number;
  /** The framework profile and sampler used. */
  profile: { name: string; sampler: string; access_order: string };
  /** Loader statistics over the run (most reads outstanding, most batches read ahead). */
  loader: LoaderStats;
  /** Checkpoint saves and loads of this rank. */
  checkpoints?: CheckpointEvent[];
  /** Page-cache drops before epochs (`reader.drop_page_cache`), by this process's first rank. */
  pageCacheDrops?: PageCacheDrop[];
}

/** Progress callback payload. */
export interface StepInfo {
  phase: "train" | "eval";
  epoch: number;
  step: number;
  steps: number;
  samples: number;
  bytes: number;
  elapsedMs: number;
  /** Emulated compute so far in this phase (AU so far = computeMs / elapsedMs). */
  computeMs: number;
}

/** A block as plain data. */
export type BlockRecordData = Omit<BlockRecord, "steps"> & { steps: StepSeriesData };

/** An epoch as plain data. */
export type EpochRecordData = Omit<EpochRecord, "blocks" | "eval"> & {
  blocks: BlockRecordData[];
  eval?: BlockRecordData;
};

/** A record as plain data (JSON, fixed size), to send a rank's record to rank 0. */
export type TrainRecordData = Omit<TrainRecord, "trainEvents" | "evalEvents" | "epochs"> & {
  epochs: EpochRecordData[];
  trainEvents: SampleEventsData;
  evalEvents: SampleEventsData;
};

const blockToData = (b: BlockRecord): BlockRecordData => ({ ...b, steps: b.steps.toData() });
const blockFromData = (b: BlockRecordData): BlockRecord => ({
  ...b,
  steps: StepSeries.from(b.steps),
});

/** A record as plain data. */
export function recordToData(rec: TrainRecord): TrainRecordData {
  return {
    ...rec,
    epochs: rec.epochs.map((e) => ({
      ...e,
      blocks: e.blocks.map(blockToData),
      eval: e.eval && blockToData(e.eval),
    })),
    trainEvents: eventsToData(rec.trainEvents),
    evalEvents: eventsToData(rec.evalEvents),
  };
}

/** A record from plain data. */
export function recordFromData(d: TrainRecordData): TrainRecord {
  return {
    ...d,
    epochs: d.epochs.map((e) => ({
      ...e,
      blocks: e.blocks.map(blockFromData),
      eval: e.eval && blockFromData(e.eval),
    })),
    trainEvents: eventsFromData(d.trainEvents),
    evalEvents: eventsFromData(d.evalEvents),
  };
}
