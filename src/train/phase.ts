/**
 * One pass over a split (a training epoch or an evaluation): plan the epoch's reads, check
 * DLIO's coverage rule, then steps of batch wait → emulated compute → barrier, timed into blocks
 * (a checkpoint after a step ends a block, as in DLIO).
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import type { Codec } from "../formats/codec.ts";
import { UserError } from "../errors.ts";
import type { Executor } from "../loader/executor.ts";
import type { FileKeys } from "../loader/files.ts";
import { loadBatches, type LoaderOptions } from "../loader/loader.ts";
import { type EpochPlan, planEpoch, type PlanOptions, type Profile } from "../loader/profile.ts";
import {
  expectedIdSum,
  idSum,
  shardingOf,
  type ShuffleMode,
  streamsRecords,
} from "../loader/sampler.ts";
import type { BlockRecord, StepInfo, TrainRecord } from "../metrics/records.ts";
import type { ItemSink } from "../metrics/recorder.ts";
import { dlioWindow, StepSeries, type StepSink } from "../metrics/steps.ts";
import type { Clock } from "../util/clock.ts";
import type { Comm } from "./comm.ts";
import type { PluginHost } from "./plugins.ts";

/** What every pass of one rank shares. */
export interface PhaseContext {
  config: WorkloadConfig;
  codec: Codec;
  clock: Clock;
  comm: Comm;
  executor: Executor;
  profile: Profile;
  rec: TrainRecord;
  slotBytes: number;
  readerBase?: number;
  plugins?: PluginHost;
  signal?: AbortSignal;
  onStep?: (info: StepInfo) => void;
  /** Where every planned training item streams (`--visited-items`). */
  itemSink?: ItemSink;
  /** Where every step's timers stream (DLIO's per-step lists). */
  stepSink?: StepSink;
  /** Steps per block whose rows are kept (timelines, traces); default STEPS_KEPT. */
  keepSteps?: number;
}

/** Steps per block whose rows are kept without `--trace` (the HTML timeline shows 300). */
export const STEPS_KEPT = 300;

/** One pass: which split, how many steps, and the compute draw. */
export interface PhaseSpec {
  kind: "train" | "eval";
  epoch: number;
  files: FileKeys;
  batchSize: number;
  steps: number;
  expectedSteps: number;
  draw: () => number;
}

/** What decides the epoch's read plan for this rank. */
function planOptions(x: PhaseContext, p: PhaseSpec): PlanOptions {
  const c = x.config;
  const streamed = streamsRecords(x.codec, c);
  return {
    profile: x.profile,
    files: p.files.length,
    samplesPerFile: c.dataset.num_samples_per_file,
    rank: x.comm.rank,
    size: x.comm.size,
    fileShuffle: c.reader.file_shuffle as ShuffleMode,
    // Streamed formats read records in file order (random access would restart streams); the
    // tf.data profile shuffles them afterwards in a buffer of shuffle_size records.
    sampleShuffle: p.kind === "train" && !streamed ? c.reader.sample_shuffle as ShuffleMode : "off",
    seed: c.train.seed,
    epoch: p.epoch,
    seedChangeEpoch: c.train.seed_change_epoch,
    randomSeed: x.rec.randomSeed,
    batchSize: p.batchSize,
    steps: p.steps,
    readThreads: c.reader.read_threads,
    prefetchSize: c.reader.prefetch_size,
    streamed,
    shuffleRecords: p.kind === "train" && c.reader.sample_shuffle !== "off",
    shuffleSize: c.reader.shuffle_size,
    // tf.data deals TFRecord files round-robin itself (untrimmed).
    sharding: shardingOf(c, x.codec),
  };
}

/** DLIO's sanity check: every sample of the split is covered once over all ranks. */
async function checkCoverage(x: PhaseContext, o: PlanOptions, plan: EpochPlan): Promise<void> {
  const sum = await x.comm.allreduceSum(idSum(plan.sampled));
  const want = expectedIdSum(o);
  if (sum === want) return;
  throw new UserError(
    `sampler check failed in epoch ${o.epoch}: sample ids over ${x.comm.size} ranks sum to ` +
      `${sum}, not ${want} (some samples are read twice or never` +
      (x.profile.accessOrder === "dlio" ? "; DLIO's own order does that, see access_order" : "") +
      ")",
  );
}

/** The loader's settings for a pass. */
function loaderOptions(x: PhaseContext, p: PhaseSpec, plan: EpochPlan): LoaderOptions {
  const c = x.config;
  return {
    executor: x.executor,
    files: p.files,
    plan,
    slotBytes: x.slotBytes,
    verifyChecksums: c.reader.verify_checksums,
    decodeImages: c.reader.decode_images,
    readType: c.reader.read_type,
    readIndex: c.reader.read_index,
    transferSize: c.reader.transfer_size,
    readColumns: (c.dataset.parquet.columns as { name: string; read?: boolean }[])
      .filter((col) => col.read !== false).map((col) => col.name),
    rowGroupCache: c.dataset.parquet.row_group_cache_size,
    preprocess: {
      value: c.reader.preprocess_time,
      stdev: c.reader.preprocess_time_stdev,
      seed: c.train.seed + x.comm.rank,
    },
    readerBase: x.readerBase,
    clock: x.clock,
    events: p.kind === "train" ? x.rec.trainEvents : x.rec.evalEvents,
    epoch: p.epoch,
    signal: x.signal,
  };
}

/** A new timing block, started now. */
function newBlock(x: PhaseContext, n: number, expectedSteps: number): BlockRecord {
  const ex = x.config.output.metric;
  const window = dlioWindow(expectedSteps, ex.exclude_start_steps, ex.exclude_end_steps);
  return {
    block: n,
    startMs: x.clock.now(),
    endMs: 0,
    wallStart: x.clock.wallNow(),
    wallEnd: 0,
    expectedSteps,
    steps: new StepSeries(window, x.keepSteps ?? STEPS_KEPT, x.stepSink),
    samples: 0,
    bytesRead: 0,
  };
}

/** Run one pass; returns its blocks. */
export async function runPhase(x: PhaseContext, p: PhaseSpec): Promise<BlockRecord[]> {
  x.signal?.throwIfAborted();
  const options = planOptions(x, p);
  const plan = planEpoch(options);
  if (p.kind === "train") await checkCoverage(x, options, plan);
  const clock = x.clock;
  const blocks: BlockRecord[] = [];
  const endBlock = (b: BlockRecord) => {
    b.endMs = clock.now();
    b.wallEnd = clock.wallNow();
    b.steps.end();
    blocks.push(b);
  };
  let block = newBlock(x, 1, p.expectedSteps);
  const so = { samples: 0, bytes: 0, compute: 0 };
  const batches = loadBatches(loaderOptions(x, p, plan), x.rec.loader);
  try {
    for (let step = 1; step <= p.steps; step++) {
      const t0 = clock.now();
      const next = await batches.next();
      if (next.done) break;
      const t1 = clock.now();
      await clock.sleep(p.draw() * 1000);
      const t2 = clock.now();
      recordStep(block, so, next.value, t0, t1, t2);
      if (p.kind === "train") notePlanned(x, p, plan, step);
      if (p.kind === "train") await x.comm.barrier();
      x.onStep?.({
        phase: p.kind,
        epoch: p.epoch,
        step,
        steps: p.steps,
        samples: so.samples,
        bytes: so.bytes,
        elapsedMs: clock.now() - (blocks[0] ?? block).startMs,
        computeMs: so.compute,
      });
      x.signal?.throwIfAborted();
      if (p.kind === "train" && x.plugins?.dueAfterStep(p.epoch, step)) {
        // DLIO: end the block, checkpoint, start a new block.
        endBlock(block);
        await x.plugins.afterStep(p.epoch, step);
        block = newBlock(x, block.block + 1, p.expectedSteps);
      }
    }
  } finally {
    await batches.return(undefined);
  }
  if (block.steps.count > 0 || blocks.length === 0) endBlock(block);
  return blocks;
}

/** How many planned items the record keeps (access_order_sample). */
const PLANNED_KEPT = 32;

/**
 * The step's share of the order the sampler planned (independent of how the loader batches and
 * interleaves): kept for the report while few, streamed to the item sink when there is one.
 */
function notePlanned(x: PhaseContext, p: PhaseSpec, plan: EpochPlan, step: number): void {
  const n = plan.planned.length;
  if (n === 0 || (!x.itemSink && x.rec.planned.length >= PLANNED_KEPT)) return;
  for (let j = 0; j < p.batchSize; j++) {
    const ref = plan.planned.at(((step - 1) * p.batchSize + j) % n);
    const item = { epoch: p.epoch, key: p.files.key(ref.file), sample: ref.index };
    if (x.rec.planned.length < PLANNED_KEPT) x.rec.planned.push(item);
    x.itemSink?.item(item);
  }
}

/** Add one step's timers to its block and the pass's running totals. */
function recordStep(
  block: BlockRecord,
  so: { samples: number; bytes: number; compute: number },
  batch: { samples: number; bytesRead: number; latencyMs: number },
  t0: number,
  t1: number,
  t2: number,
): void {
  block.steps.add(t0, t1, t2, batch.latencyMs);
  block.samples += batch.samples;
  block.bytesRead += batch.bytesRead;
  so.samples += batch.samples;
  so.bytes += batch.bytesRead;
  so.compute += t2 - t1;
}
