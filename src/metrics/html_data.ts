/**
 * What `report.html` shows, computed here (bounded: at most a few thousand numbers whatever the
 * run's size) and embedded in the page as JSON: the headline in human units, per-epoch throughput
 * and AU against the threshold, bytes/s over time with epoch and checkpoint markers, latency
 * CDFs with their percentile tables, per-rank wait/compute timelines, and for checkpoints the
 * save/restore throughput and latency.
 * @module
 */
import { stringify } from "yaml";
import { checkpointLocation } from "../config/location.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import { redact } from "../util/redact.ts";
import type { RunContext } from "./dlio_output.ts";
import type { Histogram } from "./histogram.ts";
import { StageHistograms } from "./recorder.ts";
import type { TrainRecord } from "./records.ts";
import type { LatencyStats } from "./stats.ts";
import { mergedSteps } from "./steps.ts";
import type { RunSummary } from "./summarize.ts";

/** Bytes in binary units, 3 significant digits: "1.23 GiB". */
export function bytesText(b: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (Math.abs(b) >= 1024 && i < units.length - 1) (b /= 1024), i++;
  return `${i === 0 ? b : b.toPrecision(3)} ${units[i]}`;
}

/** Seconds as a duration: "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function durationText(s: number): string {
  if (s < 1) return `${(s * 1000).toPrecision(3)} ms`;
  if (s < 60) return `${s.toPrecision(3)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s - m * 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** A latency CDF from a histogram (≤ 200 points): milliseconds and the fraction ≤ each. */
function cdf(h: Histogram): { ms: number[]; frac: number[] } {
  const ms: number[] = [], frac: number[] = [];
  let seen = 0;
  for (const [v, n] of h.buckets()) {
    seen += n;
    if (v > 0) ms.push(v), frac.push(seen / h.count);
  }
  const step = Math.max(1, Math.ceil(ms.length / 200));
  const keep = (_: number, i: number) => i % step === step - 1 || i === ms.length - 1;
  return { ms: ms.filter(keep), frac: frac.filter(keep) };
}

/** The headline: what ran where, when, for how long, and the verdict, in human units. */
function headline(
  c: WorkloadConfig,
  s: RunSummary,
  report: Record<string, unknown>,
  ctx: RunContext,
  training: boolean,
): [string, string][] {
  const d = c.dataset, host = ctx.host;
  const files = d.num_files_train, bytes = files * d.num_samples_per_file * d.record_length_bytes;
  const rows: [string, string][] = [
    ["run", new Date(ctx.wallStart).toISOString().replace("T", " ").slice(0, 19) + " UTC"],
    ["duration", durationText((ctx.wallEnd - ctx.wallStart) / 1000)],
    ["client", `${host.hostname}: ${host.cpuCount} CPUs, ${host.memoryGB.toFixed(1)} GiB`],
    ["accelerators", `${ctx.ranks} (${ctx.hosts} host${ctx.hosts === 1 ? "" : "s"})`],
  ];
  if (training) {
    const au = Number(report.train_au_mean_percentage ?? 0);
    const pass = report.train_au_meet_expectation === "success";
    rows.push(
      ["target", `${report.backend_type}: ${report.data_folder}`],
      [
        "dataset",
        `${d.format}, ${files} files × ${d.num_samples_per_file} samples, ${bytesText(bytes)}`,
      ],
      [
        "AU",
        `${au.toFixed(1)} % (threshold ${(c.metric.au * 100).toFixed(0)} %): ${
          pass ? "PASS" : "FAIL"
        }`,
      ],
      [
        "throughput",
        `${Number(report.throughput_samples_per_sec ?? 0).toFixed(1)} samples/s, ${
          bytesText(Number(report.throughput_bytes_per_sec ?? 0))
        }/s`,
      ],
      ["read", `${bytesText(s.totals.bytes_read)} in ${s.totals.samples} samples`],
    );
  }
  const ck = s.checkpoints?.metric;
  if (ck && !training) rows.push(["target", checkpointLocation(c)]);
  if (ck) {
    const gbps = (k: string) => `${Number(ck[k] ?? 0).toFixed(2)} GB/s`;
    rows.push([
      "checkpoint",
      `${s.checkpoints!.saves} saved, ${s.checkpoints!.loads} restored, ${
        bytesText(Number(report.checkpoint_size_GB ?? 0) * 2 ** 30)
      } each`,
    ]);
    if (s.checkpoints!.saves) rows.push(["save", gbps("save_checkpoint_io_mean_GB_per_second")]);
    if (s.checkpoints!.loads) rows.push(["restore", gbps("load_checkpoint_io_mean_GB_per_second")]);
  }
  rows.push(["dl-driver", String(report.dl_driver_version ?? "")]);
  return rows;
}

/** Bytes read per second over time (all ranks, ≤ 600 buckets of ≥ 50 ms), and markers. */
function timeline(recs: TrainRecord[], t0: number) {
  const t1 = Math.max(...recs.map((r) => r.endMs), t0 + 1);
  const n = Math.max(10, Math.min(600, Math.floor((t1 - t0) / 50))), width = (t1 - t0) / n;
  const buckets = new Float64Array(n);
  for (const r of recs) {
    const tl = r.trainEvents.timeline;
    tl.bytes.forEach((bytes, i) => {
      const b = Math.floor((tl.t0 + (i + 0.5) * tl.widthMs - t0) / width);
      buckets[Math.min(n - 1, Math.max(0, b))]! += bytes;
    });
  }
  const markers: { t: number; label: string; kind: string }[] = [];
  for (const e of recs[0]?.epochs ?? []) {
    markers.push({ t: (e.startMs - t0) / 1000, label: `epoch ${e.epoch}`, kind: "epoch" });
  }
  for (const k of recs[0]?.checkpoints ?? []) {
    const label = k.kind === "save" ? "save" : "restore";
    markers.push({ t: (k.startMs - t0) / 1000, label, kind: label });
  }
  return {
    t: Array.from(buckets, (_, i) => ((i + 0.5) * width) / 1000),
    bytesPerSec: Array.from(buckets, (b) => b / (width / 1000)),
    markers: markers.slice(0, 200),
  };
}

/** Percentile rows (ms) for the stages shown. */
function percentiles(stages: Record<string, LatencyStats>) {
  return Object.entries(stages).filter(([, st]) => st.count > 0).map(([stage, st]) => ({
    stage,
    count: st.count,
    mean: st.mean_ms,
    p50: st.p50_ms,
    p95: st.p95_ms,
    p99: st.p99_ms,
    max: st.max_ms,
  }));
}

/** Checkpoint operations: each one's duration and throughput (≤ 400). */
function checkpointOps(recs: TrainRecord[]) {
  return recs.flatMap((r) =>
    (r.checkpoints ?? []).map((k) => {
      const seconds = (k.endMs - k.startMs) / 1000;
      return {
        rank: r.rank,
        kind: k.kind === "save" ? "save" : "restore",
        epoch: k.epoch,
        step: k.step,
        seconds,
        bytes: k.storedBytes,
        gbps: seconds > 0 ? k.storedBytes / seconds / 1e9 : 0,
      };
    })
  ).slice(0, 400);
}

/** The page's data. */
export function reportPageData(
  c: WorkloadConfig,
  s: RunSummary,
  recs: TrainRecord[],
  report: Record<string, unknown>,
  ctx: RunContext,
) {
  const training = recs.some((r) => r.epochs.length > 0);
  const t0 = Math.min(...recs.map((r) => r.startMs));
  const samples = new StageHistograms();
  for (const r of recs) samples.merge(r.trainEvents.total());
  const blocks = (r: TrainRecord) => r.epochs.flatMap((e) => e.blocks);
  const threshold = c.metric.au * 100;
  return {
    kind: training ? "training" : "checkpoint",
    title: training
      ? `${c.model.name}: ${c.dataset.format} on ${report.data_folder}`
      : `${c.model.name}: checkpoints on ${checkpointLocation(c)}`,
    headline: headline(c, s, report, ctx, training),
    threshold,
    epochs: s.epochs.map((e) => ({
      epoch: e.epoch,
      au: e.train.au_percentage,
      pass: e.train.au_percentage >= threshold,
      throughput: e.train.throughput_samples_per_second,
      measured: e.train.measured.samples_per_second,
      bytesPerSec: e.train.measured.bytes_per_second,
    })),
    timeline: training ? timeline(recs, t0) : undefined,
    latency: {
      io: cdf(samples.io),
      decode: cdf(samples.decode),
      h2d: cdf(samples.h2d),
      "batch wait": cdf(mergedSteps(recs.flatMap(blocks).map((b) => b.steps)).load),
    },
    percentiles: percentiles({
      io: s.stages.io,
      decode: s.stages.decode,
      preprocess: s.stages.preprocess,
      h2d: s.stages.h2d,
      "batch wait": s.stages.batch_wait,
      compute: s.stages.compute,
      ...(s.checkpoints && { "checkpoint file save": s.checkpoints.saveFile }),
      ...(s.checkpoints && { "checkpoint file restore": s.checkpoints.loadFile }),
    }),
    // Per-rank timelines: at most 8 ranks × 300 steps (step start, wait, compute; seconds).
    ranks: recs.slice(0, 8).map((r) => {
      const rows = blocks(r).flatMap((b) => b.steps.rows).slice(0, 300);
      return {
        rank: r.rank,
        t: rows.map(([t]) => (t! - t0) / 1000),
        wait: rows.map(([, load]) => load! / 1000),
        compute: rows.map(([, , comp]) => comp! / 1000),
      };
    }),
    moreRanks: Math.max(0, recs.length - 8),
    checkpoints: checkpointOps(recs),
    config: stringify({ workload: redact(c) }),
  };
}

/** The page data's type. */
export type ReportPageData = ReturnType<typeof reportPageData>;
