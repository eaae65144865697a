/**
 * DLIO's output files, field for field: `summary.json`, `<rank>_per_epoch_stats.json`,
 * `<rank>_output.json`. Built from the run record and its summary (pure).
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { dlioTimestamp } from "../util/clock.ts";
import type { HostInfo } from "./host.ts";
import { dlioBlockMetrics, dlioEvalMetrics, type RunSummary } from "./summarize.ts";
import type { BlockRecord, TrainRecord } from "./records.ts";

/** Run facts the files need besides the record. */
export interface RunContext {
  ranks: number;
  hosts: number;
  host: HostInfo;
  /** One entry per node of the job (DLIO's per-node lists); default: [host]. */
  nodes?: HostInfo[];
  wallStart: number;
  wallEnd: number;
}

const span = (start: number, end: number) => ({
  start: dlioTimestamp(start),
  end: dlioTimestamp(end),
  duration: ((end - start) / 1000).toFixed(2),
});

/** `summary.json`. */
/** DLIO's caching heuristic: the dataset share each host reads (GiB). */
function dataSizePerHostGB(c: WorkloadConfig, ctx: RunContext): number {
  const d = c.dataset;
  return (ctx.ranks / ctx.hosts) * d.num_samples_per_file *
    Math.floor(d.num_files_train / ctx.ranks) * d.record_length_bytes / 2 ** 30;
}

export function dlioSummary(
  c: WorkloadConfig,
  s: RunSummary,
  rec: TrainRecord,
  ctx: RunContext,
): Record<string, unknown> {
  const d = c.dataset;
  const perHost = dataSizePerHostGB(c, ctx);
  const nodes = ctx.nodes ?? [ctx.host];
  return {
    num_accelerators: ctx.ranks,
    num_hosts: ctx.hosts,
    hostname: ctx.host.hostname,
    metric: s.metric,
    start: dlioTimestamp(ctx.wallStart),
    end: dlioTimestamp(ctx.wallEnd),
    epochs: rec.epochs.length,
    num_files_train: d.num_files_train,
    num_files_eval: d.num_files_eval,
    num_samples_per_file: d.num_samples_per_file,
    host_cpu_count: nodes.map((n) => n.cpuCount),
    // A string in DLIO (its own host's), unlike the per-node lists beside it.
    host_processor_name: ctx.host.processorName,
    host_memory_GB: nodes.map((n) => n.memoryGB),
    data_size_per_host_GB: perHost,
    potential_caching: nodes.map((n) => perHost <= n.memoryGB ? 1 : 0),
    host_cpuinfo: ctx.host.cpuinfo,
    host_meminfo: ctx.host.meminfo,
  };
}

/** `<rank>_per_epoch_stats.json`. */
export function dlioPerEpochStats(rec: TrainRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of rec.epochs) {
    const entry: Record<string, unknown> = span(e.wallStart, e.wallEnd);
    for (const b of e.blocks) entry[`block${b.block}`] = span(b.wallStart, b.wallEnd);
    if (e.eval) entry.eval = span(e.eval.wallStart, e.eval.wallEnd);
    out[String(e.epoch)] = entry;
  }
  // Checkpoints: save_ckpt<N> / load_ckpt<N> with float seconds and GiB/s, under their epoch.
  const n = { save: 0, load: 0 };
  for (const ck of rec.checkpoints ?? []) {
    const entry = (out[String(ck.epoch)] ??= {}) as Record<string, unknown>;
    const d = (ck.endMs - ck.startMs) / 1000;
    entry[`${ck.kind}_ckpt${++n[ck.kind]}`] = {
      start: dlioTimestamp(ck.wallStart),
      end: dlioTimestamp(ck.wallEnd),
      duration: d,
      throughput: d > 0 ? ck.bytes / 2 ** 30 / d : 0,
    };
  }
  return out;
}

/** A column of DLIO's per-step lists. */
export type StepColumn = "load" | "proc" | "compute";

/**
 * Stands in for a block's per-step list (seconds) in `<rank>_output.json`: the values are not
 * held in memory; the run's writer streams them from the rank's step spool in its place.
 */
export function stepListMarker(b: BlockRecord, col: StepColumn): string {
  return `@@steps ${b.steps.first} ${b.steps.count} ${col}@@`;
}

/** Finds the markers in the JSON text: first step, count, column. */
export const STEP_LIST_MARKER = /"@@steps (\d+) (\d+) (load|proc|compute)@@"/g;

/** `<rank>_output.json`. */
export function dlioRankOutput(
  c: WorkloadConfig,
  rec: TrainRecord,
  ctx: RunContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of rec.epochs) {
    const load: Record<string, string> = {}, proc: Record<string, string> = {};
    const compute: Record<string, string> = {}, au: Record<string, number> = {};
    const throughput: Record<string, number> = {};
    const add = (name: string, b: BlockRecord, evalPhase: boolean) => {
      load[name] = stepListMarker(b, "load");
      proc[name] = stepListMarker(b, "proc");
      compute[name] = stepListMarker(b, "compute");
      const m = evalPhase
        ? dlioEvalMetrics(b, c.reader.batch_size_eval)
        : dlioBlockMetrics(b, c.reader.batch_size);
      au[name] = m.au_percentage;
      throughput[name] = m.throughput_samples_per_second;
    };
    for (const b of e.blocks) add(`block${b.block}`, b, false);
    if (e.eval) add("eval", e.eval, true);
    out[String(e.epoch)] = {
      start: dlioTimestamp(e.wallStart),
      load,
      proc,
      throughput,
      au,
      compute,
      ...(e.meminfo && { host_meminfo: e.meminfo }),
      end: dlioTimestamp(e.wallEnd),
    };
  }
  return {
    ...out,
    hostname: ctx.host.hostname,
    host_cpu_count: ctx.host.cpuCount,
    host_processor_name: ctx.host.processorName,
    host_memory_GB: ctx.host.memoryGB,
    potential_caching: dataSizePerHostGB(c, ctx) <= ctx.host.memoryGB ? 1 : 0,
    host_cpuinfo: ctx.host.cpuinfo,
    host_meminfo: ctx.host.meminfo,
  };
}
