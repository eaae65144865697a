/**
 * What a run takes from the world, as one injected object: each rank's clock, a stopwatch, the
 * backend opener, the process group, host facts, a log and an abort signal. `realDeps` is the
 * real world; tests pass fakes (fake clocks, a fixed host) and run the real lifecycle.
 * @module
 */
import type { ResolvedConfig } from "../config/resolve.ts";
import {
  type HostInfo,
  hostInfo,
  hostMeminfo,
  type ProcessUsage,
  processUsage,
} from "../metrics/host.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { readProcSelf } from "../storage/libc.ts";
import { openBackend } from "../storage/open.ts";
import type { OpenOptions } from "../storage/schemes.ts";
import { type ProcessComm, soloProcess } from "../train/comm.ts";
import { type Clock, realClock } from "../util/clock.ts";
import { provenance } from "../version.ts";

/** The run's dependencies. */
export interface RunDeps {
  /** Rank `rank`'s timeline (the same clock every time it is asked for that rank). */
  clock(rank: number): Clock;
  /** Start a stopwatch; the function returns milliseconds since (total execution time). */
  stopwatch(): () => number;
  /** Open a backend for a URI or path. */
  openBackend(uri: string, opts: OpenOptions): Promise<StorageBackend>;
  /** The job's process communicator (MPI), or this process alone. */
  process: ProcessComm;
  /** Facts about this host (summary.json, report.json). */
  host(): HostInfo;
  /** This host's memory now (/proc/meminfo), sampled after each epoch as DLIO does. */
  meminfo(): Record<string, string>;
  /** This process's CPU time and peak memory so far. */
  usage(): ProcessUsage;
  /** Where the numbers came from (versions, config file, overrides). */
  provenance(rc: ResolvedConfig): Record<string, unknown>;
  /** Where log lines go. */
  log(line: string): void;
  /** Stops the run (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
}

/** The real world, with any part replaced. */
export function realDeps(o: Partial<RunDeps> = {}): RunDeps {
  return {
    clock: () => realClock,
    stopwatch: () => {
      const t0 = performance.now();
      return () => performance.now() - t0;
    },
    openBackend,
    process: soloProcess,
    host: hostInfo,
    meminfo: hostMeminfo,
    usage: ownUsage,
    provenance: (rc) => ({ ...provenance(), config_file: rc.sourceFile, overrides: rc.overrides }),
    log: (line) => console.error(line),
    ...o,
  };
}

/** This process's usage, its peak RSS from /proc/self read through libc where FFI is allowed. */
export function ownUsage(): ProcessUsage {
  return processUsage(readProcSelf("status"));
}
