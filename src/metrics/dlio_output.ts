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
export function dlioSummary(
  c: WorkloadConfig,
  s: RunSummary,
  rec: TrainRecord,
  ctx: RunContext,
): Record<string, unknown> {
  const d = c.dataset;
  const perHost = (ctx.ranks / ctx.hosts) * d.num_samples_per_file *
    Math.floor(d.num_files_train / ctx.ranks) * d.record_length_bytes / 2 ** 30;
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
    host_processor_name: nodes.map((n) => n.processorName),
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

const secs = (v: number[]) => v.map((x) => x / 1000);

/** `<rank>_output.json`. */
export function dlioRankOutput(
  c: WorkloadConfig,
  rec: TrainRecord,
  ctx: RunContext,
): Record<string, unknown> {
  const ex = c.output.metric;
  const out: Record<string, unknown> = {};
  for (const e of rec.epochs) {
    const load: Record<string, number[]> = {}, proc: Record<string, number[]> = {};
    const compute: Record<string, number[]> = {}, au: Record<string, number> = {};
    const throughput: Record<string, number> = {};
    const add = (name: string, b: BlockRecord, evalPhase: boolean) => {
      load[name] = secs(b.load);
      proc[name] = secs(b.proc);
      compute[name] = secs(b.compute);
      const m = evalPhase
        ? dlioEvalMetrics(b, c.reader.batch_size_eval, ex.exclude_start_steps, ex.exclude_end_steps)
        : dlioBlockMetrics(b, c.reader.batch_size, ex.exclude_start_steps, ex.exclude_end_steps);
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
      end: dlioTimestamp(e.wallEnd),
    };
  }
  return {
    ...out,
    hostname: ctx.host.hostname,
    host_cpu_count: ctx.host.cpuCount,
    host_processor_name: ctx.host.processorName,
    host_memory_GB: ctx.host.memoryGB,
  };
}
