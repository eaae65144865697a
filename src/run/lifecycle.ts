/**
 * A benchmark run, as warp shapes one: prepare (config checks, dataset, folders, backends,
 * files, engine) → start (every rank released together) → finish (files, gather, summary,
 * cleanup). The one entry point for the CLI, the library and the tests.
 * @module
 */
import type { ResolvedConfig } from "../config/resolve.ts";
import type { ProcessComm } from "../train/comm.ts";
import type { Clock } from "../util/clock.ts";
import { realDeps, type RunDeps } from "./deps.ts";
import type { RunOptions, RunResult } from "./options.ts";
import { prepare } from "./prepare.ts";
import { finish, writeIncomplete } from "./finish.ts";
import { RunFailure, start } from "./start.ts";

/** Run a resolved workload with explicit dependencies. */
export async function runLifecycle(
  rc: ResolvedConfig,
  opts: RunOptions,
  deps: RunDeps,
): Promise<RunResult> {
  const p = await prepare(rc, opts, deps);
  if (p.kind === "generate") {
    const { outputDir, generated } = p.job;
    return { outputDir, report: { generation: generated }, summaryText: "", generated };
  }
  let started;
  try {
    started = await start(p);
  } catch (e) {
    if (!(e instanceof RunFailure)) throw e;
    // Keep what was measured: the results folder says it is incomplete, and why.
    await writeIncomplete(p, e.started, e.message).catch((w) =>
      deps.log(`could not write the incomplete results: ${(w as Error)?.message ?? w}`)
    );
    throw e.cause;
  }
  return await finish(p, started);
}

/** Library options: run options plus the common dependencies. */
export interface WorkloadOptions extends RunOptions {
  clock?: Clock;
  signal?: AbortSignal;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
  /** The job's process communicator (MPI), default: this process alone. */
  process?: ProcessComm;
}

/** Run a resolved workload in the real world (real clock, real storage, this host). */
export async function runWorkload(
  rc: ResolvedConfig,
  opts: WorkloadOptions = {},
): Promise<RunResult> {
  const { clock, signal, log, process, ...run } = opts;
  return await runLifecycle(
    rc,
    run,
    realDeps({
      ...(clock && { clock: () => clock }),
      ...(signal && { signal }),
      ...(log && { log }),
      ...(process && { process }),
    }),
  );
}
