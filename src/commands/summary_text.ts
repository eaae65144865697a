/**
 * The short human summary printed at the end of a run (DLIO's [METRIC] block plus measured
 * values).
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import type { RunSummary } from "../metrics/summarize.ts";

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
  const lines = [
    `dl-driver ${report.dl_driver_version} · ${c.model.name} · ${c.dataset.format} on ${report.data_folder}`,
    "[METRIC] ==========================================================",
    `[METRIC] Number of Simulated Accelerators: ${report.num_accelerators}`,
    `[METRIC] Training Accelerator Utilization [AU] (%): ${f(m.train_au_mean_percentage)} (${
      f(m.train_au_stdev_percentage)
    })`,
    `[METRIC] Training Throughput (samples/second): ${
      f(m.train_throughput_mean_samples_per_second)
    } (${f(m.train_throughput_stdev_samples_per_second)})`,
    `[METRIC] Training I/O Throughput (MB/second): ${f(m.train_io_mean_MB_per_second)} (${
      f(m.train_io_stdev_MB_per_second)
    })`,
    `[METRIC] train_au_meet_expectation: ${m.train_au_meet_expectation}`,
  ];
  if (c.workflow.evaluation) {
    lines.push(
      `[METRIC] Eval Accelerator Utilization [AU] (%): ${f(m.eval_au_mean_percentage)} (${
        f(m.eval_au_stdev_percentage)
      })`,
      `[METRIC] Eval Throughput (samples/second): ${
        f(m.eval_throughput_mean_samples_per_second, 6)
      }`,
    );
  }
  lines.push("[METRIC] ==========================================================");
  const t = s.totals;
  lines.push(
    `Measured: ${t.steps} steps, ${t.samples} samples, ${
      (t.bytes_read / MiB).toFixed(1)
    } MiB read in ${t.train_seconds.toFixed(2)} s of training → ${
      (t.train_seconds > 0 ? t.bytes_read / MiB / t.train_seconds : 0).toFixed(1)
    } MiB/s, ${(t.train_seconds > 0 ? t.samples / t.train_seconds : 0).toFixed(2)} samples/s`,
    "  (DLIO's MB/s above is throughput × record_length_bytes; the measured figure counts real bytes)",
    "Latency (ms)        p50        p95        p99       mean",
  );
  const row = (
    name: string,
    st: { p50_ms: number; p95_ms: number; p99_ms: number; mean_ms: number },
  ) =>
    `  ${name.padEnd(12)}${
      [st.p50_ms, st.p95_ms, st.p99_ms, st.mean_ms].map((x) => x.toFixed(3).padStart(11)).join("")
    }`;
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
