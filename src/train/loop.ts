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
import { type Batch, type FileKeys, loadBatches } from "../loader/loader.ts";
import { planEpoch, profileFor } from "../loader/profile.ts";
import { ThreadExecutor } from "../loader/thread_pool.ts";
import { idSum, type ShuffleMode, stepsPerEpoch } from "../loader/sampler.ts";
import { UserError } from "../errors.ts";
import { SampleEvents } from "../metrics/recorder.ts";
import type { StorageBackend } from "../storage/backend.ts";
import type { Clock } from "../util/clock.ts";
import { Prng } from "../util/prng.ts";
import type { Comm } from "./comm.ts";
import { makeDraw } from "../util/distribution.ts";
import type { PluginHost } from "./plugins.ts";
import type { BlockRecord, EpochRecord, StepInfo, TrainRecord } from "../metrics/records.ts";

/** What the loop needs. */
export interface TrainSetup {
  config: WorkloadConfig;
  backend: StorageBackend;
  codec: Codec;
  /** Keys of the train and eval files (sorted, or derived names). */
  trainFiles: FileKeys;
  evalFiles: FileKeys;
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
  /** An I/O engine shared with other ranks of this process (not closed by `train`). */
  executor?: Executor;
  /** This rank's readers on the shared engine start here. */
  readerBase?: number;
  /** Plug-ins run at the loop's hooks (checkpoints). */
  plugins?: PluginHost;
}

/** The read engine for a setup: threads when the backend can be reopened in a thread. */
export function makeExecutor(s: TrainSetup, threadCount?: number): Executor {
  const threads = threadCount ?? s.config.reader.read_threads;
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
  const profile = profileFor(c);
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
    rank: s.comm.rank,
    profile: { name: profile.name, sampler: profile.sampler, access_order: profile.accessOrder },
    loader: { maxOutstanding: 0, maxBatchesAhead: 0 },
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
    files: FileKeys,
    batchSize: number,
    steps: number,
    expectedSteps: number,
    draw: () => number,
  ): Promise<BlockRecord[]> => {
    const streamed = s.codec.access === "stream" && !c.reader.read_index;
    const plan = planEpoch({
      profile,
      files: files.length,
      samplesPerFile: nspf,
      rank: s.comm.rank,
      size: s.comm.size,
      fileShuffle: c.reader.file_shuffle as ShuffleMode,
      // Streamed formats read records in file order (random access would restart streams); the
      // tf.data profile shuffles them afterwards in a buffer of shuffle_size records.
      sampleShuffle: kind === "train" && !streamed ? c.reader.sample_shuffle as ShuffleMode : "off",
      seed: c.train.seed,
      epoch,
      seedChangeEpoch: c.train.seed_change_epoch,
      randomSeed,
      batchSize,
      steps,
      readThreads: c.reader.read_threads,
      prefetchSize: c.reader.prefetch_size,
      streamed,
      shuffleRecords: kind === "train" && c.reader.sample_shuffle !== "off",
      shuffleSize: c.reader.shuffle_size,
    });
    if (kind === "train") {
      // DLIO's sanity check: every sample of the split is covered once over all ranks.
      const n = files.length * nspf;
      const sum = await s.comm.allreduceSum(idSum(plan.sampled));
      if (sum !== (n * (n - 1)) / 2) {
        throw new UserError(
          `sampler check failed in epoch ${epoch}: sample ids over ${s.comm.size} ranks sum to ` +
            `${sum}, not N(N−1)/2 = ${(n * (n - 1)) / 2} (some samples are read twice or never` +
            (profile.accessOrder === "dlio"
              ? "; DLIO's own order does that, see access_order"
              : "") +
            ")",
        );
      }
    }
    const newBlock = (n: number): BlockRecord => ({
      block: n,
      startMs: clock.now(),
      endMs: 0,
      wallStart: clock.wallNow(),
      wallEnd: 0,
      expectedSteps,
      load: [],
      compute: [],
      proc: [],
      batchLatency: [],
      stepStart: [],
      samples: 0,
      bytesRead: 0,
    });
    const endBlock = (b: BlockRecord) => {
      b.endMs = clock.now();
      b.wallEnd = clock.wallNow();
      blocks.push(b);
    };
    const blocks: BlockRecord[] = [];
    let block = newBlock(1);
    let epochSamples = 0, epochBytes = 0, epochCompute = 0;
    const batches = loadBatches({
      executor,
      files,
      plan,
      slotBytes: slot,
      verifyChecksums: c.reader.verify_checksums,
      readType: c.reader.read_type,
      readIndex: c.reader.read_index,
      transferSize: c.reader.transfer_size,
      readColumns: (c.dataset.parquet.columns as { name: string; read?: boolean }[])
        .filter((col) => col.read !== false).map((col) => col.name),
      preprocess: {
        value: c.reader.preprocess_time,
        stdev: c.reader.preprocess_time_stdev,
        seed: c.train.seed + s.comm.rank,
      },
      readerBase: s.readerBase,
      clock,
      events: kind === "train" ? rec.trainEvents : rec.evalEvents,
      epoch,
      signal: s.signal,
    }, rec.loader);
    try {
      for (let step = 1; step <= steps; step++) {
        const t0 = clock.now();
        const next = await batches.next();
        if (next.done) break;
        const batch: Batch = next.value;
        const t1 = clock.now();
        await clock.sleep(draw() * 1000);
        const t2 = clock.now();
        block.stepStart.push(t0);
        block.load.push(t1 - t0);
        block.compute.push(t2 - t1);
        block.proc.push(t2 - t0);
        block.batchLatency.push(batch.latencyMs);
        block.samples += batch.samples;
        block.bytesRead += batch.bytesRead;
        epochSamples += batch.samples;
        epochBytes += batch.bytesRead;
        epochCompute += t2 - t1;
        if (kind === "train") await s.comm.barrier();
        s.onStep?.({
          phase: kind,
          epoch,
          step,
          steps,
          samples: epochSamples,
          bytes: epochBytes,
          elapsedMs: clock.now() - (blocks[0] ?? block).startMs,
          computeMs: epochCompute,
        });
        s.signal?.throwIfAborted();
        if (kind === "train" && s.plugins?.dueAfterStep(epoch, step)) {
          // DLIO: end the block, checkpoint, start a new block.
          endBlock(block);
          await s.plugins.afterStep(epoch, step);
          block = newBlock(block.block + 1);
        }
      }
    } finally {
      await batches.return(undefined);
    }
    if (block.compute.length > 0 || blocks.length === 0) endBlock(block);
    return blocks;
  };

  const executor = s.executor ?? makeExecutor(s);
  try {
    await s.plugins?.initialize();
    await runEpochs();
    await s.plugins?.finalize();
  } finally {
    if (!s.executor) rec.storage = await executor.close();
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
        ...await phase(
          "train",
          epoch,
          s.trainFiles,
          c.reader.batch_size,
          steps,
          expected,
          computeDraw,
        ),
      );
      await s.plugins?.afterEpoch(epoch, e.blocks.reduce((a, b) => a + b.compute.length, 0));
      e.endMs = clock.now();
      e.wallEnd = clock.wallNow();
      if (c.workflow.evaluation && evalExpected > 0 && epoch >= nextEval) {
        nextEval += c.evaluation.epochs_between_evals;
        [e.eval] = await phase(
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
