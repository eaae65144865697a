/**
 * The training loop with DLIO's semantics: epochs, floor(samples/batch/ranks) steps,
 * `total_training_steps` per epoch, compute emulation, a barrier per step, evaluation.
 * Timers follow DLIO's (`load`, `compute`, `proc` per step; blocks), from an injected clock.
 * @module
 */
import { slotBytes } from "../config/capacity.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import type { Codec } from "../formats/codec.ts";
import { makeExecutor } from "../loader/engine.ts";
import type { Executor } from "../loader/executor.ts";
import type { FileKeys } from "../loader/files.ts";
import { profileFor } from "../loader/profile.ts";
import { shardedSteps, shardingOf } from "../loader/sampler.ts";
import { type ItemSink, SampleEvents, type SampleSink } from "../metrics/recorder.ts";
import type { EpochRecord, StepInfo, TrainRecord } from "../metrics/records.ts";
import type { StepSink } from "../metrics/steps.ts";
import type { StorageBackend } from "../storage/backend.ts";
import type { Clock } from "../util/clock.ts";
import { makeDraw } from "../util/distribution.ts";
import { Prng } from "../util/prng.ts";
import type { Comm } from "./comm.ts";
import { type PhaseContext, runPhase } from "./phase.ts";
import type { PluginHost } from "./plugins.ts";

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
  /** Rows of the first samples kept for the trace (0: none). */
  traceSamples?: number;
  /** Where every sample's row streams (`--latency-lists`). */
  sampleSink?: SampleSink;
  /** Where every planned training item streams (`--visited-items`). */
  itemSink?: ItemSink;
  /** Where every step's timers stream (DLIO's per-step lists in `<rank>_output.json`). */
  stepSink?: StepSink;
  /** Steps per block whose rows are kept for timelines and the trace (default 300). */
  keepSteps?: number;
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
  /** The host's memory, sampled after each epoch outside the timed window (DLIO's `host_meminfo`). */
  meminfo?: () => Record<string, string>;
  /** Called with the record so far after each epoch (results on disk as the run goes). */
  onEpoch?: (rec: TrainRecord) => Promise<void>;
}

/** A rank's empty record, started now. */
function newRecord(s: TrainSetup, randomSeed: number): TrainRecord {
  const profile = profileFor(s.config);
  return {
    epochs: [],
    startMs: s.clock.now(),
    endMs: 0,
    wallStart: s.clock.wallNow(),
    wallEnd: 0,
    trainEvents: new SampleEvents(s.traceSamples ?? 0, 32, s.sampleSink),
    evalEvents: new SampleEvents(),
    planned: [],
    randomSeed,
    slotBytes: slotBytes(s.config),
    storage: { requests: 0, retries: 0 },
    rank: s.comm.rank,
    profile: { name: profile.name, sampler: profile.sampler, access_order: profile.accessOrder },
    loader: { maxOutstanding: 0, maxBatchesAhead: 0 },
  };
}

/** Run the emulated training. */
export async function train(s: TrainSetup): Promise<TrainRecord> {
  const c = s.config;
  const rec = newRecord(s, s.randomSeed ?? crypto.getRandomValues(new Uint32Array(1))[0]!);
  const executor = s.executor ?? makeExecutor({
    backend: s.backend,
    codec: s.codec,
    threads: c.reader.read_threads,
    storageOptions: c.storage.storage_options,
    clock: s.clock,
    engine: s.engine,
  });
  const x: PhaseContext = {
    config: c,
    codec: s.codec,
    clock: s.clock,
    comm: s.comm,
    executor,
    profile: profileFor(c),
    rec,
    slotBytes: rec.slotBytes,
    readerBase: s.readerBase,
    plugins: s.plugins,
    signal: s.signal,
    onStep: s.onStep,
    itemSink: s.itemSink,
    stepSink: s.stepSink,
    keepSteps: s.keepSteps,
  };
  try {
    await s.plugins?.initialize();
    await runEpochs(s, x);
    await s.plugins?.finalize();
  } finally {
    if (!s.executor) rec.storage = await executor.close();
  }
  rec.endMs = s.clock.now();
  rec.wallEnd = s.clock.wallNow();
  return rec;
}

/** Epochs of training steps, each followed by evaluation when it is due. */
async function runEpochs(s: TrainSetup, x: PhaseContext): Promise<void> {
  const c = s.config, clock = s.clock, rec = x.rec;
  const draw = (value: typeof c.train.computation_time, stdev: number, stream: string) =>
    makeDraw(value, stdev, new Prng(c.train.seed, stream, s.comm.rank));
  const computeDraw = draw(c.train.computation_time, c.train.computation_time_stdev, "compute");
  const evalDraw = draw(c.evaluation.eval_time, c.evaluation.eval_time_stdev, "eval");
  const nspf = c.dataset.num_samples_per_file;
  // tf.data deals TFRecord files itself (untrimmed); other formats follow reader.file_trimming.
  const sharding = shardingOf(c, s.codec);
  const steps = (files: number, batch: number) =>
    shardedSteps(files, nspf, batch, s.comm.size, sharding);
  let expected = steps(s.trainFiles.length, c.reader.batch_size);
  if (c.train.total_training_steps > 0) expected = Math.min(expected, c.train.total_training_steps);
  const evalSteps = steps(s.evalFiles.length, c.reader.batch_size_eval);
  const epochs = Math.min(c.train.epochs, s.maxEpochs ?? Infinity);
  if (epochs < c.train.epochs) rec.stoppedEarly = `--max-epochs ${s.maxEpochs}`;
  let stepsLeft = s.maxSteps ?? Infinity;
  let nextEval = c.evaluation.eval_after_epoch;
  for (let epoch = 1; epoch <= epochs && stepsLeft > 0; epoch++) {
    await s.plugins?.beforeEpoch(epoch);
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
    const files = s.trainFiles, batchSize = c.reader.batch_size;
    e.blocks.push(
      ...await runPhase(x, {
        kind: "train",
        epoch,
        files,
        batchSize,
        steps,
        expectedSteps: expected,
        draw: computeDraw,
      }),
    );
    await s.plugins?.afterEpoch(epoch, e.blocks.reduce((a, b) => a + b.steps.count, 0));
    e.endMs = clock.now();
    e.wallEnd = clock.wallNow();
    if (c.workflow.evaluation && evalSteps > 0 && epoch >= nextEval) {
      nextEval += c.evaluation.epochs_between_evals;
      [e.eval] = await runPhase(x, {
        kind: "eval",
        epoch,
        files: s.evalFiles,
        batchSize: c.reader.batch_size_eval,
        steps: evalSteps,
        expectedSteps: evalSteps,
        draw: evalDraw,
      });
    }
    if (s.meminfo) e.meminfo = s.meminfo();
    rec.epochs.push(e);
    rec.endMs = clock.now();
    rec.wallEnd = clock.wallNow();
    await s.onEpoch?.(rec);
  }
}
