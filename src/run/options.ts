/**
 * What a caller asks of a run (options) and gets back (result).
 * @module
 */
import type { GenerateResult } from "../generate/generate.ts";
import type { TrainRecord } from "../metrics/records.ts";

/** Options of a run. */
export interface RunOptions {
  /** Results folder (default: `output.folder`, `hydra.run.dir=`, or results/<name>/<stamp>). */
  output?: string;
  maxEpochs?: number;
  maxSteps?: number;
  quiet?: boolean;
  latencyLists?: boolean;
  visitedItems?: boolean;
  /** Emulated accelerators in this process (each a rank with its own loader and timeline). */
  accelerators?: number;
  /** Reader threads of the process's shared I/O engine (default read_threads × accelerators). */
  ioThreads?: number;
  /** Write a Chrome trace per rank (`trace-<rank>-of-<ranks>.pfw`). */
  trace?: boolean;
  /**
   * Override keys the calling tool set for itself (`mlperf run`'s per-run seed): applied, and
   * kept out of `dlio_config/overrides.yaml` (mlpstorage would count them as the user's).
   */
  toolKeys?: string[];
}

/** What a run produced. */
export interface RunResult {
  outputDir: string;
  report: Record<string, unknown>;
  summaryText: string;
  /** The training record of this process's first rank (absent when workflow.train is False). */
  record?: TrainRecord;
  /** The records of this process's ranks. */
  records?: TrainRecord[];
  generated?: GenerateResult;
}
