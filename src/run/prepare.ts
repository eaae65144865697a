/**
 * The first step of a run: check there is something to do, generate the dataset when asked
 * (rank 0), agree on the results folder, open the backends, list the files, choose how samples
 * are read, check the world size, and build the process's I/O engine.
 * @module
 */
import type { Checkpointer } from "../checkpoint/checkpoint.ts";
import { checkpointLocation, configLocation } from "../config/location.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import type { Codec } from "../formats/codec.ts";
import { codecFor } from "../formats/mod.ts";
import { generateDataset, type GenerateResult } from "../generate/generate.ts";
import { makeExecutor } from "../loader/engine.ts";
import type { Executor } from "../loader/executor.ts";
import { type FileKeys, keyList, splitFiles } from "../loader/files.ts";
import type { CheckpointEvent } from "../metrics/records.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { cleanLeftovers, removeDeadPartials } from "../storage/leftovers.ts";
import { readBackend } from "../storage/read_backend.ts";
import { type Comm, LocalGroup, type ProcessComm } from "../train/comm.ts";
import type { Plugin } from "../train/plugins.ts";
import type { RunDeps } from "./deps.ts";
import type { RunOptions } from "./options.ts";
import { defaultOutputDir } from "./output_dir.ts";
import { checkPlan, trimSplits } from "./plan.ts";

/** What every step of a run shares. */
export interface Job {
  rc: ResolvedConfig;
  c: WorkloadConfig;
  opts: RunOptions;
  deps: RunDeps;
  proc: ProcessComm;
  /** Accelerators (ranks) emulated in this process. */
  n: number;
  outputDir: string;
  wallStart: number;
  /** Milliseconds since the run began. */
  elapsed: () => number;
  generated?: GenerateResult;
}

/** Checkpointing parts for a rank (loaded only when checkpointing). */
export interface CheckpointParts {
  backend: StorageBackend;
  checkpointer(comm: Comm, signal: AbortSignal): Checkpointer;
  plugin(comm: Comm, signal: AbortSignal, saves: CheckpointEvent[]): Plugin;
}

/** A prepared training run. */
export interface TrainingRun {
  kind: "train";
  job: Job;
  group: LocalGroup;
  backend: StorageBackend;
  codec: Codec;
  trainFiles: FileKeys;
  evalFiles: FileKeys;
  reader: { backend: StorageBackend; fallback: boolean };
  ioThreads: number;
  executor: Executor;
  checkpoint?: CheckpointParts;
}

/** A prepared run: generation only, checkpoints only, or training. */
export type Prepared =
  | { kind: "generate"; job: Job }
  | { kind: "checkpoint"; job: Job; group: LocalGroup; checkpoint: CheckpointParts }
  | TrainingRun;

/** Check, generate (rank 0), and agree on the results folder. */
async function begin(rc: ResolvedConfig, opts: RunOptions, deps: RunDeps): Promise<Job> {
  const c = rc.config, proc = deps.process;
  const n = Math.max(1, Math.floor(opts.accelerators ?? 1));
  const elapsed = deps.stopwatch();
  const wallStart = deps.clock(proc.rank * n).wallNow();
  // DLIO's world-size and step rules, now that the job's ranks are known (in-process × MPI),
  // before any data is touched.
  checkPlan(
    rc,
    await codecFor(c.dataset.format),
    n * proc.size,
    proc.rank === 0 ? deps.log : undefined,
  );
  let generated: GenerateResult | undefined;
  if (c.workflow.generate_data && proc.rank === 0) {
    generated = await generateDataset(c, { quiet: opts.quiet, signal: deps.signal, log: deps.log });
    deps.log(
      `generate: ${generated.written} written, ${generated.skipped} already complete, ` +
        `${(generated.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${
          generated.seconds.toFixed(2)
        } s → ${generated.location}`,
    );
  }
  // Other processes wait for rank 0's data (as long as generation takes: no timeout); every
  // process uses rank 0's output folder name.
  await proc.barrier(Infinity);
  const wanted = opts.output ?? rc.runDir ?? c.output.folder ??
    defaultOutputDir(c.model.name, wallStart);
  const outputDir = new TextDecoder().decode(
    await proc.broadcast(new TextEncoder().encode(wanted)),
  );
  if (proc.rank === 0) {
    const results = { root: outputDir, cleanLeftovers: () => removeDeadPartials(outputDir) };
    await cleanLeftovers(results, deps.log);
  }
  return { rc, c, opts, deps, proc, n, outputDir, wallStart, elapsed, generated };
}

/** Checkpoint backend and modules (loaded only when used: the CRC-32C addon needs more permissions). */
async function checkpointParts(job: Job): Promise<CheckpointParts | undefined> {
  const c = job.c;
  if (!c.workflow.checkpoint && !c.checkpoint.enabled) return undefined;
  const backend = await job.deps.openBackend(checkpointLocation(c), {
    storageOptions: c.storage.storage_options,
    signal: job.deps.signal,
  });
  if (job.proc.rank === 0) await cleanLeftovers(backend, job.deps.log);
  const { Checkpointer } = await import("../checkpoint/checkpoint.ts");
  const { checkpointPlugin } = await import("../checkpoint/plugin.ts");
  const clock = (comm: Comm) => job.deps.clock(comm.rank);
  const checkpointer = (comm: Comm, signal: AbortSignal) =>
    new Checkpointer({ config: c, backend, comm, clock: clock(comm), signal });
  return {
    backend,
    checkpointer,
    plugin: (comm, signal, saves) => checkpointPlugin(c, checkpointer(comm, signal), comm, saves),
  };
}

/** Prepare a run. */
export async function prepare(
  rc: ResolvedConfig,
  opts: RunOptions,
  deps: RunDeps,
): Promise<Prepared> {
  const job = await begin(rc, opts, deps);
  const c = job.c;
  const codec = await codecFor(c.dataset.format);
  const storageOptions = c.storage.storage_options;
  const backend = await deps.openBackend(configLocation(c), {
    storageOptions,
    signal: deps.signal,
  });
  if (!c.workflow.train && !c.workflow.checkpoint) return { kind: "generate", job };
  const group = new LocalGroup(job.n, job.proc);
  const checkpoint = await checkpointParts(job);
  if (!c.workflow.train) return { kind: "checkpoint", job, group, checkpoint: checkpoint! };
  // With skip_listing, rank 0 spot-checks the derived names (not timed); synthetic data reads
  // no file, so none is checked (a 10 M-file synthetic plan needs no dataset on disk).
  const verify = job.proc.rank === 0 && codec.access !== "none";
  const ext = codec.extension;
  const { train: trainFiles, eval: evalFiles } = trimSplits(
    c,
    {
      train: await splitFiles(backend, "train", c.dataset.num_files_train, ext, c, verify),
      eval: c.workflow.evaluation && c.dataset.num_files_eval > 0
        ? await splitFiles(backend, "valid", c.dataset.num_files_eval, ext, c, verify)
        : keyList([]),
    },
    job.n * job.proc.size,
  );
  const reader = await readBackend(backend, {
    odirect: c.reader.odirect,
    fallback: c.reader.odirect_fallback,
    probeKey: trainFiles.key(0),
    log: deps.log,
  });
  // N emulated accelerators in this process share one I/O engine; P processes (MPI).
  const ioThreads = c.reader.read_threads === 0
    ? 0
    : Math.max(1, opts.ioThreads ?? c.reader.read_threads * job.n);
  const executor = makeExecutor({
    backend: reader.backend,
    codec,
    threads: ioThreads || job.n,
    storageOptions,
    clock: deps.clock(group.members[0]!.rank),
    traceRequests: opts.trace ?? false,
  });
  return {
    kind: "train",
    job,
    group,
    backend,
    codec,
    trainFiles,
    evalFiles,
    reader,
    ioThreads,
    executor,
    checkpoint,
  };
}
