/**
 * dl-driver's own report (`report.json`, `report.csv`) with the field names of the spec:
 * measured per-stage percentiles, real byte counts, access order, provenance.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import type { ProcessUsage } from "./host.ts";
import { mean } from "./stats.ts";
import type { RunSummary } from "./summarize.ts";
import type { BackendStats, TrainRecord } from "./records.ts";

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

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Build the report object. Scalars first (they also go to the CSV). */
export function buildReport(
  c: WorkloadConfig,
  s: RunSummary,
  recs: TrainRecord | TrainRecord[],
  ctx: ReportContext,
): Record<string, unknown> {
  const all = Array.isArray(recs) ? recs : [recs];
  const rec = all[0]!;
  const st = s.stages;
  const nspf = c.dataset.num_samples_per_file;
  const itemKey = (v: { key: string; sample: number }) =>
    nspf === 1 ? v.key : `${v.key}#${v.sample}`;
  const report: Record<string, unknown> = {
    benchmark_name: c.model.name,
    backend_type: ctx.backendType,
    odirect: c.reader.odirect,
    odirect_fallback: ctx.odirectFallback ?? false,
    backend_sdk: ctx.backendSdk ?? "",
    framework: c.framework,
    data_loader: c.reader.data_loader,
    format: c.dataset.format,
    data_folder: ctx.dataFolder,
    num_accelerators: ctx.ranks,
    processes: ctx.processes,
    accelerators_per_process: ctx.acceleratorsPerProcess,
    comm: ctx.comm,
    io_threads: ctx.ioThreads,
    profile: rec.profile.name,
    sampler: rec.profile.sampler,
    access_order: rec.profile.access_order,
    seed: c.train.seed,
    batch_size: c.reader.batch_size,
    read_threads: c.reader.read_threads,
    prefetch_size: c.reader.prefetch_size,
    shuffle: `file:${c.reader.file_shuffle},sample:${c.reader.sample_shuffle}`,
    verify_checksums: c.reader.verify_checksums,
    epochs_completed: rec.epochs.length,
    steps_completed: s.totals.steps,
    stopped_early: rec.stoppedEarly ?? "",
    total_samples: s.totals.samples,
    total_bytes: s.totals.bytes_read,
    storage_requests: ctx.storage.requests,
    storage_retries: ctx.storage.retries,
    max_reads_outstanding: Math.max(...all.map((r) => r.loader.maxOutstanding)),
    // Process resources (max over processes; CPU summed): what the client spends.
    peak_rss_bytes: Math.max(0, ...(ctx.usage ?? []).map((u) => u.peakRssBytes)),
    cpu_seconds: (ctx.usage ?? []).reduce((a, u) => a + u.cpuSeconds, 0),
    cpu_us_per_sample: s.totals.samples > 0
      ? ((ctx.usage ?? []).reduce((a, u) => a + u.cpuSeconds, 0) * 1e6) / s.totals.samples
      : 0,
    max_batches_ahead: Math.max(...all.map((r) => r.loader.maxBatchesAhead)),
    total_execution_time_secs: r3(ctx.totalSeconds),
    train_time_secs: r3(s.totals.train_seconds),
    throughput_samples_per_sec: s.totals.train_seconds > 0
      ? s.totals.samples / s.totals.train_seconds
      : 0,
    throughput_bytes_per_sec: s.totals.train_seconds > 0
      ? s.totals.bytes_read / s.totals.train_seconds
      : 0,
    train_au_mean_percentage: s.metric.train_au_mean_percentage,
    train_au_meet_expectation: s.metric.train_au_meet_expectation,
    train_throughput_mean_samples_per_second: s.metric.train_throughput_mean_samples_per_second,
    train_io_mean_MB_per_second: s.metric.train_io_mean_MB_per_second,
    train_io_measured_mean_MB_per_second: s.metric.train_io_measured_mean_MB_per_second,
    p50_latency_ms: st.batch.p50_ms,
    p95_latency_ms: st.batch.p95_ms,
    p99_latency_ms: st.batch.p99_ms,
    batch_wait_p50_latency_ms: st.batch_wait.p50_ms,
    batch_wait_p95_latency_ms: st.batch_wait.p95_ms,
    batch_wait_p99_latency_ms: st.batch_wait.p99_ms,
    io_mean_latency_ms: st.io.mean_ms,
    io_p50_latency_ms: st.io.p50_ms,
    io_p95_latency_ms: st.io.p95_ms,
    io_p99_latency_ms: st.io.p99_ms,
    io_max_latency_ms: st.io.max_ms,
    decode_mean_latency_ms: st.decode.mean_ms,
    decode_p50_latency_ms: st.decode.p50_ms,
    decode_p95_latency_ms: st.decode.p95_ms,
    decode_p99_latency_ms: st.decode.p99_ms,
    preprocess_mean_latency_ms: st.preprocess.mean_ms,
    preprocess_p99_latency_ms: st.preprocess.p99_ms,
    h2d_mean_latency_ms: st.h2d.mean_ms,
    h2d_p50_latency_ms: st.h2d.p50_ms,
    h2d_p95_latency_ms: st.h2d.p95_ms,
    h2d_p99_latency_ms: st.h2d.p99_ms,
    compute_mean_ms: st.compute.mean_ms,
    ...(s.checkpoints
      ? {
        checkpoints_written: s.checkpoints.saves,
        checkpoints_read: s.checkpoints.loads,
        checkpoint_size_GB: s.metric.checkpoint_size_GB,
        checkpoint_compression: c.checkpoint.compression,
        save_checkpoint_stored_GB: s.metric.save_checkpoint_stored_GB ?? 0,
        save_checkpoint_compress_seconds: s.metric.save_checkpoint_compress_seconds ?? 0,
        save_checkpoint_io_mean_GB_per_second: s.metric.save_checkpoint_io_mean_GB_per_second,
        save_checkpoint_io_job_mean_GB_per_second: s.metric
          .save_checkpoint_io_job_mean_GB_per_second ?? 0,
        save_checkpoint_duration_max_over_ranks_mean_seconds: s.metric
          .save_checkpoint_duration_max_over_ranks_mean_seconds ?? 0,
        load_checkpoint_io_mean_GB_per_second: s.metric.load_checkpoint_io_mean_GB_per_second,
        load_checkpoint_io_job_mean_GB_per_second: s.metric
          .load_checkpoint_io_job_mean_GB_per_second ?? 0,
        save_file_p50_latency_ms: s.checkpoints.saveFile.p50_ms,
        save_file_p99_latency_ms: s.checkpoints.saveFile.p99_ms,
        load_file_p50_latency_ms: s.checkpoints.loadFile.p50_ms,
        load_file_p99_latency_ms: s.checkpoints.loadFile.p99_ms,
      }
      : {}),
    eval_samples: s.totals.eval_samples,
    eval_bytes: s.totals.eval_bytes_read,
    dl_driver_version: ctx.provenance.dl_driver_version,
    output_folder: ctx.outputFolder,
    access_order_sample: rec.trainEvents.visited.slice(0, 32).map(itemKey),
    stages: st,
    checkpoint_files: s.checkpoints
      ? { save: s.checkpoints.saveFile, load: s.checkpoints.loadFile }
      : null,
    epochs: s.epochs.map(({ spanTrain: _, spanEval: _e, ...e }) => e),
    ranks: all.map((r, i) => {
      const eps = s.rankEpochs[i] ?? [];
      return {
        rank: r.rank,
        train_au_mean_percentage: mean(eps.map((e) => e.train.au_percentage)),
        train_throughput_mean_samples_per_second: mean(
          eps.map((e) => e.train.throughput_samples_per_second),
        ),
        samples: eps.reduce((a, e) => a + e.train.measured.samples, 0),
        bytes_read: eps.reduce((a, e) => a + e.train.measured.bytes_read, 0),
        measured_samples_per_second: mean(eps.map((e) => e.train.measured.samples_per_second)),
        max_reads_outstanding: r.loader.maxOutstanding,
        max_batches_ahead: r.loader.maxBatchesAhead,
      };
    }),
    generation: ctx.generated ?? null,
    provenance: ctx.provenance,
  };
  if (ctx.latencyLists) {
    report.io_latencies_ms = all.flatMap((r) => Array.from(r.trainEvents.ioMs.values()));
    report.decode_latencies_ms = all.flatMap((r) => Array.from(r.trainEvents.decodeMs.values()));
    report.h2d_latencies_ms = all.flatMap((r) => Array.from(r.trainEvents.h2dMs.values()));
  }
  if (ctx.visitedItems) {
    report.visited_items = all.flatMap((r) =>
      r.trainEvents.visited.map((v) => ({ rank: r.rank, ...v }))
    );
  }
  return report;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The scalar fields of a report as CSV: a header row and one data row. */
export function reportCsv(report: Record<string, unknown>): string {
  const keys = Object.keys(report).filter((k) => {
    const v = report[k];
    return v === null || ["string", "number", "boolean"].includes(typeof v);
  });
  keys.push("access_order_sample");
  const row = keys.map((k) =>
    csvCell(Array.isArray(report[k]) ? (report[k] as unknown[]).join(" ") : report[k])
  );
  return keys.map(csvCell).join(",") + "\n" + row.join(",") + "\n";
}
