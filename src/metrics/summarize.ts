/**
 * One pure function from raw run records to every reported number: DLIO's formulas (kept for
 * compatibility) and dl-driver's measured values beside them.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { StageHistograms } from "./recorder.ts";
import { histogramStats, type LatencyStats, mean, stdev } from "./stats.ts";
import { mergedSteps } from "./steps.ts";
import type { BlockRecord, TrainRecord } from "./records.ts";
import { type CheckpointSummary, summarizeCheckpoints } from "./summarize_checkpoints.ts";

export type { CheckpointSummary } from "./summarize_checkpoints.ts";

/** DLIO's per-block metrics (statscounter.compute_metrics_train). */
export interface BlockMetrics {
  /** AU in percent over the metric window. */
  au_percentage: number;
  /** (steps − 2) · batch / T samples per second (DLIO's formula). */
  throughput_samples_per_second: number;
  /** The denominator T in seconds. */
  metric_time_seconds: number;
}

/**
 * DLIO's train-block formula over the block's metric window (`output.metric` exclusions,
 * applied as the steps were recorded).
 */
export function dlioBlockMetrics(b: BlockRecord, batch: number): BlockMetrics {
  const tMs = b.endMs - b.startMs - b.steps.procOutsideWindow;
  const compute = b.steps.computeInWindow;
  const au = compute === 0 || tMs <= 0 ? 0 : (compute / tMs) * 100;
  const thr = tMs > 0 ? ((b.steps.count - 2) / (tMs / 1000)) * batch : 0;
  return { au_percentage: au, throughput_samples_per_second: thr, metric_time_seconds: tMs / 1000 };
}

/** DLIO's eval formula (statscounter.compute_metrics_eval): no "−2", whole duration. */
export function dlioEvalMetrics(b: BlockRecord, batch: number): BlockMetrics {
  const m = dlioBlockMetrics(b, batch);
  const dur = (b.endMs - b.startMs) / 1000;
  return { ...m, throughput_samples_per_second: dur > 0 ? (b.steps.count / dur) * batch : 0 };
}

/** Measured values of a block: what really happened, no exclusions. */
export interface MeasuredBlock {
  steps: number;
  samples: number;
  bytes_read: number;
  duration_seconds: number;
  samples_per_second: number;
  bytes_per_second: number;
  /** Σ compute / block duration, every step included. */
  au_all_steps_percentage: number;
}

/** Measured values of a block. */
export function measuredBlock(b: BlockRecord): MeasuredBlock {
  return measured(b.startMs, b.endMs, b.steps.count, b.steps.computeSum, b.samples, b.bytesRead);
}

function measured(
  startMs: number,
  endMs: number,
  steps: number,
  computeMs: number,
  samples: number,
  bytesRead: number,
): MeasuredBlock {
  const dur = (endMs - startMs) / 1000;
  return {
    steps,
    samples,
    bytes_read: bytesRead,
    duration_seconds: dur,
    samples_per_second: dur > 0 ? samples / dur : 0,
    bytes_per_second: dur > 0 ? bytesRead / dur : 0,
    au_all_steps_percentage: dur > 0 ? (computeMs / 1000 / dur) * 100 : 0,
  };
}

/** One epoch's numbers. */
export interface EpochSummary {
  epoch: number;
  train: BlockMetrics & { measured: MeasuredBlock };
  eval?: BlockMetrics & { measured: MeasuredBlock };
  /** Time spans (internal, for combining ranks). */
  spanTrain?: { startMs: number; endMs: number };
  spanEval?: { startMs: number; endMs: number };
}

/** Everything derived from a run. */
export interface RunSummary {
  epochs: EpochSummary[];
  /** DLIO's `summary.json` `metric` object. */
  metric: Record<string, number | string | number[]>;
  stages: {
    io: LatencyStats;
    decode: LatencyStats;
    preprocess: LatencyStats;
    h2d: LatencyStats;
    batch: LatencyStats;
    batch_wait: LatencyStats;
    compute: LatencyStats;
  };
  /** Checkpoint saves and loads over all ranks (when any ran). */
  checkpoints?: CheckpointSummary;
  /** Each rank's own epochs (in the order of the records summarised). */
  rankEpochs: EpochSummary[][];
  totals: {
    steps: number;
    samples: number;
    bytes_read: number;
    train_seconds: number;
    eval_samples: number;
    eval_bytes_read: number;
  };
}

const MiB = 1024 * 1024;

/** One rank's epochs: DLIO's per-rank block formulas and the measured values. */
export function rankEpochs(rec: TrainRecord, c: WorkloadConfig): EpochSummary[] {
  return rec.epochs.map((e) => {
    // Blocks weighted by their step counts (DLIO's end_train).
    const blocks = e.blocks.map((b) => ({
      m: dlioBlockMetrics(b, c.reader.batch_size),
      n: b.steps.count,
    }));
    const n = blocks.reduce((a, b) => a + b.n, 0);
    const w = (f: (m: BlockMetrics) => number) =>
      n === 0 ? 0 : blocks.reduce((a, b) => a + f(b.m) * b.n, 0) / n;
    const out: EpochSummary = {
      epoch: e.epoch,
      train: {
        au_percentage: w((m) => m.au_percentage),
        throughput_samples_per_second: w((m) => m.throughput_samples_per_second),
        metric_time_seconds: blocks.reduce((a, b) => a + b.m.metric_time_seconds, 0),
        measured: measuredBlocks(e.blocks),
      },
    };
    if (e.eval) {
      out.eval = {
        ...dlioEvalMetrics(e.eval, c.reader.batch_size_eval),
        measured: measuredBlock(e.eval),
      };
    }
    return out;
  });
}

/** Measured values of an epoch's blocks together. */
function measuredBlocks(blocks: BlockRecord[]): MeasuredBlock {
  const sum = (f: (b: BlockRecord) => number) => blocks.reduce((a, b) => a + f(b), 0);
  return measured(
    Math.min(...blocks.map((b) => b.startMs)),
    Math.max(...blocks.map((b) => b.endMs)),
    sum((b) => b.steps.count),
    sum((b) => b.steps.computeSum),
    sum((b) => b.samples),
    sum((b) => b.bytesRead),
  );
}

/**
 * Ranks combined as DLIO combines them: AU is the mean over ranks, throughput the sum. The
 * measured values are the job's: all ranks' samples and bytes over the span from the first
 * rank's start to the last rank's end. (DLIO's eval quirk, AU ÷ P and mean throughput, is fixed:
 * eval combines like train; docs/metrics.md.)
 */
function combine(per: EpochSummary[][]): EpochSummary[] {
  const epochs = Math.min(...per.map((p) => p.length));
  const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const sumOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const merge = (
    parts: (BlockMetrics & { measured: MeasuredBlock; startMs: number; endMs: number })[],
  ) => {
    const dur =
      (Math.max(...parts.map((p) => p.endMs)) - Math.min(...parts.map((p) => p.startMs))) /
      1000;
    const samples = sumOf(parts.map((p) => p.measured.samples));
    const bytes = sumOf(parts.map((p) => p.measured.bytes_read));
    return {
      au_percentage: meanOf(parts.map((p) => p.au_percentage)),
      throughput_samples_per_second: sumOf(parts.map((p) => p.throughput_samples_per_second)),
      metric_time_seconds: Math.max(...parts.map((p) => p.metric_time_seconds)),
      measured: {
        steps: Math.max(...parts.map((p) => p.measured.steps)),
        samples,
        bytes_read: bytes,
        duration_seconds: dur,
        samples_per_second: dur > 0 ? samples / dur : 0,
        bytes_per_second: dur > 0 ? bytes / dur : 0,
        au_all_steps_percentage: meanOf(parts.map((p) => p.measured.au_all_steps_percentage)),
      },
    };
  };
  return Array.from({ length: epochs }, (_, i) => {
    const train = merge(per.map((p) => ({ ...p[i]!.train, ...p[i]!.spanTrain! })));
    const out: EpochSummary = { epoch: per[0]![i]!.epoch, train };
    if (per.every((p) => p[i]!.eval)) {
      out.eval = merge(per.map((p) => ({ ...p[i]!.eval!, ...p[i]!.spanEval! })));
    }
    return out;
  });
}

/** DLIO's AU and throughput fields of a phase: the per-epoch lists, mean, stdev, AU verdict, MiB/s. */
function dlioPhaseFields(
  phase: "train" | "eval",
  au: number[],
  thr: number[],
  c: WorkloadConfig,
): RunSummary["metric"] {
  const record = c.dataset.record_length_bytes;
  return {
    [`${phase}_au_percentage`]: au,
    [`${phase}_au_mean_percentage`]: mean(au),
    [`${phase}_au_stdev_percentage`]: stdev(au),
    [`${phase}_au_meet_expectation`]: mean(au) >= c.metric.au * 100 ? "success" : "fail",
    [`${phase}_throughput_samples_per_second`]: thr,
    [`${phase}_throughput_mean_samples_per_second`]: mean(thr),
    [`${phase}_throughput_stdev_samples_per_second`]: stdev(thr),
    [`${phase}_io_mean_MB_per_second`]: (mean(thr) * record) / MiB,
    [`${phase}_io_stdev_MB_per_second`]: (stdev(thr) * record) / MiB,
  };
}

/**
 * The eval metric. DLIO's names carry DLIO's values: its per-rank eval lists are Python lists,
 * so mpi4py's allreduce(SUM) concatenates them (rank 0's epochs, then rank 1's, …); AU is then
 * divided by P and throughput stays per rank (statscounter.end_run). dl-driver's combination
 * (per epoch: AU the mean over ranks, throughput the sum, as for training) is under
 * `eval_*_combined_*`.
 */
function evalMetric(
  per: EpochSummary[][],
  combined: NonNullable<EpochSummary["eval"]>[],
  c: WorkloadConfig,
): RunSummary["metric"] {
  const ranks = per.length;
  const rankEvals = per.flatMap((p) => p.filter((e) => e.eval).map((e) => e.eval!));
  const eau = rankEvals.map((e) => e.au_percentage / ranks);
  const ethr = rankEvals.map((e) => e.throughput_samples_per_second);
  const cau = combined.map((e) => e.au_percentage);
  const cthr = combined.map((e) => e.throughput_samples_per_second);
  return {
    ...dlioPhaseFields("eval", eau, ethr, c),
    eval_au_combined_percentage: cau,
    eval_au_combined_mean_percentage: mean(cau),
    eval_throughput_combined_samples_per_second: cthr,
    eval_throughput_combined_mean_samples_per_second: mean(cthr),
    eval_io_measured_mean_MB_per_second: mean(combined.map((e) => e.measured.bytes_per_second)) /
      MiB,
  };
}

/** Summarise a run of one or more ranks (pure). */
export function summarize(recs: TrainRecord | TrainRecord[], c: WorkloadConfig): RunSummary {
  const all = Array.isArray(recs) ? recs : [recs];
  const per = all.map((rec) =>
    rankEpochs(rec, c).map((e, i) => {
      const ep = rec.epochs[i]!;
      return {
        ...e,
        spanTrain: { startMs: ep.blocks[0]!.startMs, endMs: ep.blocks.at(-1)!.endMs },
        spanEval: ep.eval && { startMs: ep.eval.startMs, endMs: ep.eval.endMs },
      };
    })
  );
  const epochs = all.length === 1
    ? per[0]!.map(({ spanTrain: _, spanEval: _e, ...e }) => e)
    : combine(per);
  const rec = all[0]!;
  const au = epochs.map((e) => e.train.au_percentage);
  const thr = epochs.map((e) => e.train.throughput_samples_per_second);
  const measuredBps = epochs.map((e) => e.train.measured.bytes_per_second);
  const measuredSps = epochs.map((e) => e.train.measured.samples_per_second);
  const metric: RunSummary["metric"] = {
    ...dlioPhaseFields("train", au, thr, c),
    // dl-driver: measured from real bytes and block time (MB = MiB, as DLIO's field).
    train_io_measured_mean_MB_per_second: mean(measuredBps) / MiB,
    train_io_measured_stdev_MB_per_second: stdev(measuredBps) / MiB,
    train_throughput_measured_mean_samples_per_second: mean(measuredSps),
    train_bytes_read: epochs.reduce((a, e) => a + e.train.measured.bytes_read, 0),
  };
  const evals = epochs.filter((e) => e.eval).map((e) => e.eval!);
  if (c.workflow.evaluation) Object.assign(metric, evalMetric(per, evals, c));
  const blocksOf = (r: TrainRecord) => r.epochs.flatMap((e) => e.blocks);
  const allBlocks = all.flatMap(blocksOf);
  const samples = new StageHistograms();
  for (const r of all) samples.merge(r.trainEvents.total());
  const steps = mergedSteps(allBlocks.map((b) => b.steps));
  const checkpoints = summarizeCheckpoints(all.flatMap((r) => r.checkpoints ?? []));
  if (checkpoints) Object.assign(metric, checkpoints.metric);
  return {
    epochs,
    metric,
    checkpoints,
    rankEpochs: per,
    stages: {
      io: histogramStats(samples.io),
      decode: histogramStats(samples.decode),
      preprocess: histogramStats(samples.preprocess),
      h2d: histogramStats(samples.h2d),
      batch: histogramStats(steps.batch),
      batch_wait: histogramStats(steps.load),
      compute: histogramStats(steps.compute),
    },
    totals: {
      steps: blocksOf(rec).reduce((a, b) => a + b.steps.count, 0),
      samples: allBlocks.reduce((a, b) => a + b.samples, 0),
      bytes_read: allBlocks.reduce((a, b) => a + b.bytesRead, 0),
      train_seconds: Math.max(
        ...all.map((r) => blocksOf(r).reduce((a, b) => a + (b.endMs - b.startMs), 0) / 1000),
      ),
      eval_samples: evals.reduce((a, e) => a + e.measured.samples, 0),
      eval_bytes_read: evals.reduce((a, e) => a + e.measured.bytes_read, 0),
    },
  };
}
