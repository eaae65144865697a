/**
 * The second step of a run: release every rank of this process together (training, or
 * checkpoints only) and collect their records. One failing rank releases the others (no hang
 * at a barrier) and its error is the run's.
 * @module
 */
import type { BackendStats, CheckpointEvent, TrainRecord } from "../metrics/records.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { train } from "../train/loop.ts";
import { PluginHost } from "../train/plugins.ts";
import { runCheckpointOnly } from "./checkpoint_only.ts";
import type { Prepared, TrainingRun } from "./prepare.ts";
import { openRankLists } from "./lists.ts";
import { stepProgress } from "./progress.ts";

/** Samples per rank whose rows the trace shows (`--trace`; bounded, the cap is recorded). */
const TRACE_SAMPLES = 100_000;

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
  if (p.kind === "train") return await startTraining(p);
  const { signal, rankFailed } = failFast(p);
  const ck = p.checkpoint;
  const local = await Promise.all(
    p.group.members.map((comm) =>
      runCheckpointOnly(p.job.c, ck.checkpointer(comm, signal), comm, p.job.deps.clock(comm.rank))
        .catch(rankFailed)
    ),
  );
  return {
    local,
    storage: ck.backend.stats?.() ?? { requests: 0, retries: 0 },
    backend: ck.backend,
    dataFolder: ck.backend.root,
    ioThreads: 0,
    fallback: false,
  };
}

/** Train every rank of this process on the shared I/O engine. */
async function startTraining(p: TrainingRun): Promise<Started> {
  const { job, group } = p;
  const { c, opts, deps } = job;
  const { signal, rankFailed } = failFast(p);
  const perRank = Math.max(1, c.reader.read_threads);
  const progress = stepProgress(
    c.train.epochs,
    (opts.quiet ?? false) || job.proc.rank !== 0,
    job.n * job.proc.size,
  );
  const cpu0 = deps.usage().cpuSeconds;
  const lists = group.members.map((comm) =>
    openRankLists(job.outputDir, comm.rank, {
      latencies: opts.latencyLists,
      visited: opts.visitedItems,
    })
  );
  let local: TrainRecord[];
  let storage: BackendStats;
  try {
    local = await Promise.all(group.members.map((comm, i) => {
      const saves: CheckpointEvent[] = [];
      const plugins = new PluginHost(
        p.checkpoint ? [p.checkpoint.plugin(comm, signal, saves)] : [],
      );
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
        sampleSink: lists[i]!.samples,
        itemSink: lists[i]!.items,
        signal,
        executor: p.executor,
        readerBase: i * perRank,
        plugins,
        onStep: i === 0 ? progress.onStep : undefined,
      }).then((rec) => ({ ...rec, checkpoints: saves })).catch(rankFailed);
    }));
  } finally {
    progress.stop();
    for (const l of lists) l.close();
    storage = await p.executor.close();
  }
  return {
    local,
    storage,
    cpu0,
    backend: p.reader.backend,
    dataFolder: p.backend.root,
    ioThreads: p.ioThreads,
    fallback: p.reader.fallback,
  };
}
