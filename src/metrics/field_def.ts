/**
 * How a report field is defined (name, unit, aggregation, description, value) and the helpers the
 * field lists use; the table itself is fields.ts.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import type { ProcessUsage } from "./host.ts";
import type { BackendStats, TrainRecord } from "./records.ts";
import type { RunSummary } from "./summarize.ts";

/** Facts about the run that are not in the record. */
export interface ReportContext {
  backendType: string;
  /** The SDK behind the backend (object stores), e.g. `@aws-sdk/client-s3 3.x`. */
  backendSdk?: string;
  /** O_DIRECT was asked for but the file system refused it and reads were buffered. */
  odirectFallback?: boolean;
  dataFolder: string;
  ranks: number;
  /** Processes in the job and accelerators emulated in each. */
  processes: number;
  acceleratorsPerProcess: number;
  /** What connects the processes ("solo", "mpi: …"). */
  comm: string;
  /** Reader threads of the shared I/O engine in each process. */
  ioThreads: number;
  /** Storage requests and retries over the job. */
  storage: BackendStats;
  /** Each process's peak RSS and CPU time. */
  usage?: ProcessUsage[];
  totalSeconds: number;
  /** Why the results are incomplete (failure, signal, run still going); absent: complete. */
  incomplete?: string;
  provenance: Record<string, unknown>;
  /** Include full per-stage latency lists. */
  latencyLists: boolean;
  /** Include every visited item. */
  visitedItems: boolean;
  outputFolder: string;
  generated?: {
    written: number;
    skipped: number;
    bytes_written: number;
    seconds: number;
    storage_retries: number;
  };
}

/** What a field's value is computed from. */
export interface FieldInputs {
  c: WorkloadConfig;
  s: RunSummary;
  /** Every rank's record (rank 0 first). */
  all: TrainRecord[];
  ctx: ReportContext;
}

/** How a field combines the job's ranks and processes. */
export type Aggregation =
  | "config"
  | "job"
  | "rank 0"
  | "sum"
  | "max"
  | "DLIO ranks"
  | "pooled"
  | "per epoch"
  | "per rank";

/** A field's place in `compare`: row order, and which way is better (none: a fact). */
export interface Compare {
  at: number;
  better?: "higher" | "lower";
}

/** One report field. */
export interface ReportField {
  readonly name: string;
  /** Unit as shown (`ms`, `B`, `samples/s`, ...); empty for labels and counts of things. */
  readonly unit: string;
  readonly aggregation: Aggregation;
  readonly description: string;
  /** DLIO's label for it in the `[METRIC]` block of the text summary (dlio.log). */
  readonly dlioLabel?: string;
  /** Shown by `compare`: its row (`at`, ascending) and which way is better. */
  readonly compare?: Compare;
  /** Present only when this holds (checkpoint fields, opt-in lists). */
  readonly when?: (x: FieldInputs) => boolean;
  readonly value: (x: FieldInputs) => unknown;
}

export const r3 = (x: number) => Math.round(x * 1000) / 1000;
export const usage = (x: FieldInputs) => x.ctx.usage ?? [];
export const cpu = (x: FieldInputs) => usage(x).reduce((a, u) => a + u.cpuSeconds, 0);
export const perSec = (n: number, secs: number) => (secs > 0 ? n / secs : 0);
export const ck = (x: FieldInputs) => x.s.checkpoints !== undefined;
export const st = (x: FieldInputs) => x.s.stages;
export const m = (x: FieldInputs) => x.s.metric;

type Def = Omit<ReportField, "name" | "unit" | "aggregation" | "description">;

export function f(
  name: string,
  unit: string,
  aggregation: Aggregation,
  description: string,
  value: ReportField["value"],
  more: Omit<Def, "value"> = {},
): ReportField {
  return { name, unit, aggregation, description, value, ...more };
}

/** A latency statistic of a per-sample or per-step stage (pooled over ranks). */
export function lat(
  name: string,
  stage: "batch" | "batch_wait" | "io" | "decode" | "preprocess" | "h2d",
  stat: "mean_ms" | "p50_ms" | "p95_ms" | "p99_ms" | "max_ms",
  what: string,
  compare?: Compare,
): ReportField {
  return f(name, "ms", "pooled", `${what}: ${stat.replace("_ms", "")}`, (x) => st(x)[stage][stat], {
    compare,
  });
}

/** A checkpoint field (present when the run saved or restored checkpoints). */
export function ckf(
  name: string,
  unit: string,
  aggregation: Aggregation,
  description: string,
  value: ReportField["value"],
  compare?: Compare,
  dlioLabel?: string,
): ReportField {
  return f(name, unit, aggregation, description, value, { when: ck, compare, dlioLabel });
}
