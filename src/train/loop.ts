/**
 * The training loop with DLIO's semantics: epochs, floor(samples/batch/ranks) steps,
 * `total_training_steps` per epoch, compute emulation, a barrier per step, evaluation.
 * Timers follow DLIO's (`load`, `compute`, `proc` per step; blocks), from an injected clock.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import type { Codec } from "../formats/codec.ts";
import { type ElementType, ITEMSIZE } from "../formats/codec.ts";
import { type Executor, InlineExecutor } from "../loader/executor.ts";
import { type Batch, loadBatches } from "../loader/loader.ts";
import { ThreadExecutor } from "../loader/thread_pool.ts";
import { epochOrder, interleaveFiles, type ShuffleMode, stepsPerEpoch } from "../loader/sampler.ts";
import { SampleEvents } from "../metrics/recorder.ts";
import type { BackendStats, StorageBackend } from "../storage/backend.ts";
import type { Clock } from "../util/clock.ts";
import { Prng } from "../util/prng.ts";
import type { Comm } from "./comm.ts";
import { makeDraw } from "./distribution.ts";

/** Timers of one block (or one evaluation pass), times in ms of the run clock. */
export interface BlockRecord {
  block: number;
  startMs: number;
  endMs: number;
  wallStart: number;
  wallEnd: number;
  /** Steps the epoch was expected to have (DLIO's metric window uses it). */
  expectedSteps: number;
  /** Per step: batch wait, emulated compute, and both together. */
  load: number[];
  compute: number[];
  proc: number[];
  /** Per step: time to assemble the batch in the loader. */
  batchLatency: number[];
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
  /** Seed used for `random` shuffles. */
  randomSeed: number;
  /** Bytes of one sample in the batch buffer. */
  slotBytes: number;
  /** Why the run stopped before its configured end, if it did. */
  stoppedEarly?: string;
  /** Storage requests and retries made by the readers. */
  storage: BackendStats;
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
}

/** What the loop needs. */
export interface TrainSetup {
  config: WorkloadConfig;
  backend: StorageBackend;
  codec: Codec;
  /** Sorted keys of the train and eval files. */
  trainFiles: string[];
  evalFiles: string[];
  clock: Clock;
  comm: Comm;
  maxEpochs?: number;
  /** Stop after this many training steps in total. */
  maxSteps?: number;
  /** Keep every visited item (not just the first few). */
  keepVisited?: boolean;
  /** Seed for `random` shuffles (drawn by the caller). */
  randomSeed?: number;
  signal?: AbortSignal;
  onStep?: (info: StepInfo) => void;
  /** Where reads run: reader threads (default when the backend allows) or inline. */
  engine?: "threads" | "inline";
}

/** The read engine for a setup: threads when the backend can be reopened in a thread. */
export function makeExecutor(s: TrainSetup): Executor {
  const threads = s.config.reader.read_threads;
  // read_threads 0 is DLIO's "load in the training process": reads run on the loop's thread.
  const engine = s.engine ??
    (s.backend.capabilities.reopenable && threads > 0 ? "threads" : "inline");
  return engine === "threads"
    ? new ThreadExecutor(s.backend.root, s.config.dataset.format, threads, {
      storageOptions: s.config.storage.storage_options,
    })
    : new InlineExecutor(s.backend, s.codec, threads, s.clock);
}

/** Bytes of one sample as handed to the accelerator (DLIO's resized/transformed sample). */
export function slotBytes(c: WorkloadConfig): number {
  const r = c.reader;
  if (r.transformed_record_dims.length > 0) {
    return r.transformed_record_dims.reduce((a, b) => a * b, 1) *
      ITEMSIZE[r.transformed_record_element_type as ElementType];
  }
  const d = c.dataset;
  return Math.max(
    1,
    Math.round(
      d.record_length_bytes_resize > 0 ? d.record_length_bytes_resize : d.record_length_bytes,
    ),
  );
}

/** Run the emulated training. */
export async function train(s: TrainSetup): Promise<TrainRecord> {
  const c = s.config, clock = s.clock;
  const computeDraw = makeDraw(
    c.train.computation_time,
    c.train.computation_time_stdev,
    new Prng(c.train.seed, "compute", s.comm.rank),
  );
  const evalDraw = makeDraw(
    c.evaluation.eval_time,
    c.evaluation.eval_time_stdev,
    new Prng(c.train.seed, "eval", s.comm.rank),
  );
  const randomSeed = s.randomSeed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const slot = slotBytes(c);
  const rec: TrainRecord = {
    epochs: [],
    startMs: clock.now(),
    endMs: 0,
    wallStart: clock.wallNow(),
    wallEnd: 0,
    trainEvents: new SampleEvents(s.keepVisited ?? false),
    evalEvents: new SampleEvents(s.keepVisited ?? false),
    randomSeed,
    slotBytes: slot,
    storage: { requests: 0, retries: 0 },
  };
  const nspf = c.dataset.num_samples_per_file;
  let expected = stepsPerEpoch(s.trainFiles.length * nspf, c.reader.batch_size, s.comm.size);
  if (c.train.total_training_steps > 0) expected = Math.min(expected, c.train.total_training_steps);
  const evalExpected = stepsPerEpoch(
    s.evalFiles.length * nspf,
    c.reader.batch_size_eval,
    s.comm.size,
  );
  const epochs = Math.min(c.train.epochs, s.maxEpochs ?? Infinity);
  if (epochs < c.train.epochs) rec.stoppedEarly = `--max-epochs ${s.maxEpochs}`;
  let stepsLeft = s.maxSteps ?? Infinity;
  let nextEval = c.evaluation.eval_after_epoch;

  const phase = async (
    kind: "train" | "eval",
    epoch: number,
    files: string[],
    batchSize: number,
    steps: number,
    expectedSteps: number,
    draw: () => number,
  ): Promise<BlockRecord> => {
    let order = epochOrder({
      files: files.length,
      samplesPerFile: nspf,
      rank: s.comm.rank,
      size: s.comm.size,
      fileShuffle: c.reader.file_shuffle as ShuffleMode,
      // Streamed formats read records in file order; tf.data shuffles them afterwards in a
      // buffer of shuffle_size records, which changes batch composition, not what is read.
      sampleShuffle: kind === "train" && s.codec.access !== "stream"
        ? c.reader.sample_shuffle as ShuffleMode
        : "off",
      seed: c.train.seed,
      epoch,
      seedChangeEpoch: c.train.seed_change_epoch,
      randomSeed,
    });
    const streamed = s.codec.access === "stream" && !c.reader.read_index;
    // tf.data reads `read_threads` files at once, interleaving their records (TF profile).
    if (streamed && c.reader.data_loader === "tensorflow") {
      order = interleaveFiles(order, Math.max(1, c.reader.read_threads));
    }
    order = order.slice(0, steps * batchSize);
    const block: BlockRecord = {
      block: 1,
      startMs: clock.now(),
      endMs: 0,
      wallStart: clock.wallNow(),
      wallEnd: 0,
      expectedSteps,
      load: [],
      compute: [],
      proc: [],
      batchLatency: [],
      samples: 0,
      bytesRead: 0,
    };
    const batches = loadBatches({
      executor,
      files,
      order,
      batchSize,
      prefetchSize: c.reader.prefetch_size,
      slotBytes: slot,
      verifyChecksums: c.reader.verify_checksums,
      readType: c.reader.read_type,
      readIndex: c.reader.read_index,
      transferSize: c.reader.transfer_size,
      fileAffinity: streamed,
      readColumns: (c.dataset.parquet.columns as { name: string; read?: boolean }[])
        .filter((col) => col.read !== false).map((col) => col.name),
      clock,
      events: kind === "train" ? rec.trainEvents : rec.evalEvents,
      epoch,
      signal: s.signal,
    });
    try {
      for (let step = 1; step <= steps; step++) {
        const t0 = clock.now();
        const next = await batches.next();
        if (next.done) break;
        const batch: Batch = next.value;
        const t1 = clock.now();
        await clock.sleep(draw() * 1000);
        const t2 = clock.now();
        block.load.push(t1 - t0);
        block.compute.push(t2 - t1);
        block.proc.push(t2 - t0);
        block.batchLatency.push(batch.latencyMs);
        block.samples += batch.samples;
        block.bytesRead += batch.bytesRead;
        if (kind === "train") await s.comm.barrier();
        s.onStep?.({
          phase: kind,
          epoch,
          step,
          steps,
          samples: block.samples,
          bytes: block.bytesRead,
          elapsedMs: clock.now() - block.startMs,
        });
        s.signal?.throwIfAborted();
      }
    } finally {
      await batches.return(undefined);
    }
    block.endMs = clock.now();
    block.wallEnd = clock.wallNow();
    return block;
  };

  const executor = makeExecutor(s);
  try {
    await runEpochs();
  } finally {
    rec.storage = await executor.close();
  }
  rec.endMs = clock.now();
  rec.wallEnd = clock.wallNow();
  return rec;

  async function runEpochs() {
    for (let epoch = 1; epoch <= epochs && stepsLeft > 0; epoch++) {
      const e: EpochRecord = {
        epoch,
        startMs: clock.now(),
        endMs: 0,
        wallStart: clock.wallNow(),
        wallEnd: 0,
        blocks: [],
      };
      const steps = Math.min(expected, stepsLeft);
      if (steps < expected) rec.stoppedEarly = `--max-steps ${s.maxSteps}`;
      stepsLeft -= steps;
      e.blocks.push(
        await phase(
          "train",
          epoch,
          s.trainFiles,
          c.reader.batch_size,
          steps,
          expected,
          computeDraw,
        ),
      );
      e.endMs = clock.now();
      e.wallEnd = clock.wallNow();
      if (c.workflow.evaluation && evalExpected > 0 && epoch >= nextEval) {
        nextEval += c.evaluation.epochs_between_evals;
        e.eval = await phase(
          "eval",
          epoch,
          s.evalFiles,
          c.reader.batch_size_eval,
          evalExpected,
          evalExpected,
          evalDraw,
        );
      }
      rec.epochs.push(e);
    }
  }
}
