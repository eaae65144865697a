/**
 * The short human summary printed at the end of a run (DLIO's [METRIC] block, labelled from the
 * report field table, plus measured values).
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { fieldOf } from "./fields.ts";
import type { RunSummary } from "./summarize.ts";

/** DLIO's [METRIC] label of a report field (fields.ts). */
const label = (name: string) => fieldOf(name).dlioLabel ?? name;
const f = (x: unknown, d = 4) => (typeof x === "number" ? x.toFixed(d) : String(x));

/** Format the end-of-run summary. */
export function formatHumanSummary(
  c: WorkloadConfig,
  s: RunSummary,
  report: Record<string, unknown>,
  outputDir: string,
): string {
  const m = s.metric;
  const MiB = 2 ** 20;
  // Checkpoint-only mode: no training lines.
  const ckOnly = s.epochs.length === 0 && s.checkpoints !== undefined;
  const lines = [
    `dl-driver ${report.dl_driver_version} · ${c.model.name} · ${
      ckOnly ? "checkpoints" : c.dataset.format
    } on ${report.data_folder}`,
    "[METRIC] ==========================================================",
    `[METRIC] ${label("num_accelerators")}: ${report.num_accelerators}`,
  ];
  if (!ckOnly) {
    lines.push(
      `[METRIC] ${label("train_au_mean_percentage")}: ${f(m.train_au_mean_percentage)} (${
        f(m.train_au_stdev_percentage)
      })`,
      `[METRIC] ${label("train_throughput_mean_samples_per_second")}: ${
        f(m.train_throughput_mean_samples_per_second)
      } (${f(m.train_throughput_stdev_samples_per_second)})`,
      `[METRIC] ${label("train_io_mean_MB_per_second")}: ${f(m.train_io_mean_MB_per_second)} (${
        f(m.train_io_stdev_MB_per_second)
      })`,
      `[METRIC] ${label("train_au_meet_expectation")}: ${m.train_au_meet_expectation}`,
    );
  }
  if (c.workflow.evaluation && !ckOnly) {
    lines.push(
      `[METRIC] Eval Accelerator Utilization [AU] (%): ${f(m.eval_au_mean_percentage)} (${
        f(m.eval_au_stdev_percentage)
      })`,
      `[METRIC] Eval Throughput (samples/second): ${
        f(m.eval_throughput_mean_samples_per_second, 6)
      }`,
    );
  }
  if (s.checkpoints) {
    const g = (k: string) => f(m[k], 4);
    lines.push(
      `[METRIC] ${label("checkpoint_size_GB")}: ${g("checkpoint_size_GB")}`,
      `[METRIC] Checkpoint save duration (seconds): ${
        g("save_checkpoint_duration_mean_seconds")
      } (${g("save_checkpoint_duration_stdev_seconds")})`,
      `[METRIC] ${label("save_checkpoint_io_mean_GB_per_second")}: ${
        g("save_checkpoint_io_mean_GB_per_second")
      } (${g("save_checkpoint_io_stdev_GB_per_second")})`,
    );
    if (s.checkpoints.loads > 0) {
      lines.push(
        `[METRIC] Checkpoint load duration (seconds): ${
          g("load_checkpoint_duration_mean_seconds")
        } (${g("load_checkpoint_duration_stdev_seconds")})`,
        `[METRIC] ${label("load_checkpoint_io_mean_GB_per_second")}: ${
          g("load_checkpoint_io_mean_GB_per_second")
        } (${g("load_checkpoint_io_stdev_GB_per_second")})`,
      );
    }
  }
  lines.push("[METRIC] ==========================================================");
  if (s.checkpoints) {
    lines.push(
      `Checkpoints (all ranks; MLPerf: duration = slowest rank): ${s.checkpoints.saves} saved, ` +
        `${s.checkpoints.loads} restored; save ${
          f(m.save_checkpoint_duration_max_over_ranks_mean_seconds, 3)
        } s → ${f(m.save_checkpoint_io_job_mean_GB_per_second, 3)} GB/s` +
        (s.checkpoints.loads > 0
          ? `; load ${f(m.load_checkpoint_duration_max_over_ranks_mean_seconds, 3)} s → ${
            f(m.load_checkpoint_io_job_mean_GB_per_second, 3)
          } GB/s`
          : "") +
        ` (GB = 2^30 bytes, as DLIO)`,
    );
  }
  const t = s.totals;
  const row = (
    name: string,
    st: { p50_ms: number; p95_ms: number; p99_ms: number; mean_ms: number },
  ) =>
    `  ${name.padEnd(12)}${
      [st.p50_ms, st.p95_ms, st.p99_ms, st.mean_ms].map((x) => x.toFixed(3).padStart(11)).join("")
    }`;
  if (ckOnly) {
    lines.push(
      "Per file (ms)       p50        p95        p99       mean",
      row("save", s.checkpoints!.saveFile),
      row("load", s.checkpoints!.loadFile),
      `Results: ${outputDir}/ (summary.json, report.json, report.csv, ...)`,
    );
    return lines.join("\n") + "\n";
  }
  lines.push(
    `Measured: ${t.steps} steps, ${t.samples} samples, ${
      (t.bytes_read / MiB).toFixed(1)
    } MiB read in ${t.train_seconds.toFixed(2)} s of training → ${
      (t.train_seconds > 0 ? t.bytes_read / MiB / t.train_seconds : 0).toFixed(1)
    } MiB/s, ${(t.train_seconds > 0 ? t.samples / t.train_seconds : 0).toFixed(2)} samples/s`,
    "  (DLIO's MB/s above is throughput × record_length_bytes; the measured figure counts real bytes)",
    "Latency (ms)        p50        p95        p99       mean",
  );
  lines.push(
    row("io/sample", s.stages.io),
    row("decode", s.stages.decode),
    row("h2d", s.stages.h2d),
    row("batch", s.stages.batch),
    row("batch wait", s.stages.batch_wait),
    row("compute", s.stages.compute),
  );
  if (report.stopped_early) lines.push(`Stopped early: ${report.stopped_early}`);
  lines.push(`Results: ${outputDir}/ (summary.json, report.json, report.csv, ...)`);
  return lines.join("\n") + "\n";
}
