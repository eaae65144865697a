/**
 * The second step of a run: release every rank of this process together (training, or
 * checkpoints only) and collect their records. One failing rank releases the others (no hang
 * at a barrier) and its error is the run's.
 * @module
 */
import type {
  BackendStats,
  CheckpointEvent,
  PageCacheDrop,
  TrainRecord,
} from "../metrics/records.ts";
import { pageCachePlugin } from "./page_cache_plugin.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { train } from "../train/loop.ts";
import { PluginHost } from "../train/plugins.ts";
import { checkpointRecord, runCheckpointOnly } from "./checkpoint_only.ts";
import type { Prepared, TrainingRun } from "./prepare.ts";
import type { Comm } from "../train/comm.ts";
import { writeIncomplete } from "./finish.ts";
import { openRankLists, type RankLists } from "./lists.ts";
import { type StepProgress, stepProgress } from "./progress.ts";

/** Samples per rank whose rows the trace shows (`--trace`; bounded, the cap is recorded). */
const TRACE_SAMPLES = 100_000;
/** Steps per block the trace shows (`--trace`; bounded, the cap is recorded). */
const TRACE_STEPS = 100_000;

/** What the ranks produced, and the facts of the storage they used. */
export interface Started {
  local: TrainRecord[];
  storage: BackendStats;
  /** CPU seconds of this process before the ranks started. */
  cpu0?: number;
  backend: StorageBackend;
  dataFolder: string;
  ioThreads: number;
  fallback: boolean;
}

/** An abort signal for the ranks, and the handler that stops them all on the first failure. */
function failFast(p: Exclude<Prepared, { kind: "generate" }>) {
  const abort = new AbortController();
  const outer = p.job.deps.signal;
  const signal = outer ? AbortSignal.any([outer, abort.signal]) : abort.signal;
  const rankFailed = (e: unknown): never => {
    p.group.fail(e);
    abort.abort(e);
    throw e;
  };
  return { signal, rankFailed };
}

/** Run every rank of this process. */
export async function start(p: Exclude<Prepared, { kind: "generate" }>): Promise<Started> {
  return p.kind === "train" ? await startTraining(p) : await startCheckpoints(p);
}

/**
 * Checkpoint-only ranks. Results are on disk after each checkpoint operation; a failure or a
 * signal ends in a `RunFailure` carrying the operations completed.
 */
async function startCheckpoints(p: Extract<Prepared, { kind: "checkpoint" }>): Promise<Started> {
  const { signal, rankFailed } = failFast(p);
  const { c, deps } = p.job;
  const ck = p.checkpoint;
  const members = p.group.members;
  const events = members.map((): CheckpointEvent[] => []);
  const clocks = members.map((comm) => deps.clock(comm.rank));
  const startedOf = (local: TrainRecord[]): Started => ({
    local,
    storage: ck.backend.stats?.() ?? { requests: 0, retries: 0 },
    backend: ck.backend,
    dataFolder: ck.backend.root,
    ioThreads: 0,
    fallback: false,
  });
  const soFar = () => members.map((comm, i) => checkpointRecord(c, comm, clocks[i]!, events[i]!));
  const total = c.checkpoint.num_checkpoints_write + c.checkpoint.num_checkpoints_read;
  const written = async () => {
    const done = `running: ${events[0]!.length} of ${total} checkpoint operations done`;
    await writeIncomplete(p, startedOf(soFar()), done, false);
  };
  try {
    return startedOf(
      await Promise.all(members.map((comm, i) =>
        runCheckpointOnly(
          c,
          ck.checkpointer(comm, signal),
          comm,
          clocks[i]!,
          events[i],
          i === 0 ? written : undefined,
        ).catch(rankFailed)
      )),
    );
  } catch (e) {
    throw new RunFailure(startedOf(soFar()), e);
  }
}

/** A run stopped by a failure or a signal, with what its ranks measured up to then. */
export class RunFailure extends Error {
  constructor(readonly started: Started, override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

/** What the ranks of this process share while they train. */
interface Training {
  p: TrainingRun;
  signal: AbortSignal;
  lists: RankLists[];
  /** Each rank's record as of its last completed epoch. */
  partial: (TrainRecord | undefined)[];
  progress: StepProgress;
  cpu0: number;
}

/** The facts of what ran so far (records of completed epochs, storage counts). */
function startedOf(t: Training, local: TrainRecord[], storage?: BackendStats): Started {
  const p = t.p;
  return {
    local,
    storage: storage ?? p.reader.backend.stats?.() ?? { requests: 0, retries: 0 },
    cpu0: t.cpu0,
    backend: p.reader.backend,
    dataFolder: p.backend.root,
    ioThreads: p.ioThreads,
    fallback: p.reader.fallback,
  };
}

/** Rank i's training: its loop settings, sinks, plug-ins, and results written each epoch. */
function trainRank(t: Training, comm: Comm, i: number): Promise<TrainRecord> {
  const { p, signal } = t;
  const { c, opts, deps } = p.job;
  const saves: CheckpointEvent[] = [];
  const drops: PageCacheDrop[] = [];
  const cache = pageCachePlugin(c, p.backend, p.trainFiles, comm, i === 0, drops, signal);
  const plugins = new PluginHost([
    ...(cache ? [cache] : []),
    ...(p.checkpoint ? [p.checkpoint.plugin(comm, signal, saves)] : []),
  ]);
  const withEvents = (rec: TrainRecord): TrainRecord => ({
    ...rec,
    checkpoints: saves,
    ...(drops.length && { pageCacheDrops: drops }),
  });
  const onEpoch = async (rec: TrainRecord) => {
    t.partial[i] = withEvents(rec);
    // Results on disk as each epoch ends (rank 0 of the process writes them all).
    if (i !== 0) return;
    const local = t.partial.filter((r): r is TrainRecord => r !== undefined);
    const done = `running: ${rec.epochs.length} of ${c.train.epochs} epochs done`;
    await writeIncomplete(p, startedOf(t, local), done, false);
  };
  return train({
    config: c,
    backend: p.reader.backend,
    codec: p.codec,
    trainFiles: p.trainFiles,
    evalFiles: p.evalFiles,
    clock: deps.clock(comm.rank),
    comm,
    maxEpochs: opts.maxEpochs,
    maxSteps: opts.maxSteps,
    traceSamples: opts.trace ? TRACE_SAMPLES : 0,
    keepSteps: opts.trace ? TRACE_STEPS : undefined,
    sampleSink: t.lists[i]!.samples,
    stepSink: t.lists[i]!.steps,
    itemSink: t.lists[i]!.items,
    signal,
    executor: p.executor,
    readerBase: i * Math.max(1, c.reader.read_threads),
    plugins,
    onStep: i === 0 ? t.progress.onStep : undefined,
    meminfo: deps.meminfo,
    onEpoch,
  }).then(withEvents);
}

/**
 * Train every rank of this process on the shared I/O engine. A failure or a signal ends in a
 * `RunFailure` carrying the records of every completed epoch.
 */
async function startTraining(p: TrainingRun): Promise<Started> {
  const { job, group } = p;
  const { c, opts, deps } = job;
  const { signal, rankFailed } = failFast(p);
  const t: Training = {
    p,
    signal,
    lists: group.members.map((comm) =>
      openRankLists(job.outputDir, comm.rank, {
        latencies: opts.latencyLists,
        visited: opts.visitedItems,
      })
    ),
    partial: group.members.map(() => undefined),
    progress: stepProgress(
      c.train.epochs,
      (opts.quiet ?? false) || job.proc.rank !== 0,
      job.n * job.proc.size,
    ),
    cpu0: deps.usage().cpuSeconds,
  };
  let local: TrainRecord[] | undefined, failure: unknown;
  let storage: BackendStats;
  try {
    local = await Promise.all(
      group.members.map((comm, i) => trainRank(t, comm, i).catch(rankFailed)),
    );
  } catch (e) {
    failure = e;
  } finally {
    t.progress.stop();
    for (const l of t.lists) l.close();
    storage = await p.executor.close();
  }
  if (!local) {
    const done = t.partial.filter((r): r is TrainRecord => r !== undefined);
    throw new RunFailure(startedOf(t, done, storage), failure);
  }
  return startedOf(t, local, storage);
}
