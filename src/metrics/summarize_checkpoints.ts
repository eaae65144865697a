/**
 * Checkpoint numbers of a job from every rank's checkpoint events: DLIO's fields (rank 0's
 * durations), the MLPerf rule values (slowest rank), and what was stored.
 * @module
 */
import type { CheckpointEvent } from "./records.ts";
import { type LatencyStats, latencyStats, mean, stdev } from "./stats.ts";

/** Checkpoint numbers of a job: DLIO's fields, the MLPerf rule values, and measured extras. */
export interface CheckpointSummary {
  /** Fields for summary.json `metric` (DLIO's names first). */
  metric: Record<string, number>;
  /** Per-file write and read latency statistics. */
  saveFile: LatencyStats;
  loadFile: LatencyStats;
  saves: number;
  loads: number;
}

/**
 * Checkpoints over all ranks. DLIO: size = Σ bytes over ranks; throughput = size ÷ rank 0's
 * duration; mean and std over checkpoints. MLPerf's rules: duration = max over ranks,
 * throughput = min over ranks (of each writing rank's bytes ÷ its duration); both are reported.
 */
export function summarizeCheckpoints(events: CheckpointEvent[]): CheckpointSummary | undefined {
  if (events.length === 0) return undefined;
  const GiB = 2 ** 30;
  const metric: Record<string, number> = {};
  let sizeGB = 0;
  for (const kind of ["save", "load"] as const) {
    const byCkpt = new Map<string, CheckpointEvent[]>();
    for (const e of events.filter((x) => x.kind === kind)) {
      const k = `${e.epoch}/${e.step}`;
      byCkpt.set(k, [...(byCkpt.get(k) ?? []), e]);
    }
    const groups = [...byCkpt.values()];
    if (groups.length === 0) {
      for (
        const f of [
          "io_mean_GB_per_second",
          "io_stdev_GB_per_second",
          "duration_mean_seconds",
          "duration_stdev_seconds",
        ]
      ) {
        metric[`${kind}_checkpoint_${f}`] = 0;
      }
      continue;
    }
    const dur = (e: CheckpointEvent) => (e.endMs - e.startMs) / 1000;
    const size = groups.map((g) => g.reduce((a, e) => a + e.bytes, 0) / GiB);
    const stored = groups.map((g) => g.reduce((a, e) => a + e.storedBytes, 0) / GiB);
    const d0 = groups.map((g) => dur(g.find((e) => e.rank === 0) ?? g[0]!));
    const dmax = groups.map((g) => Math.max(...g.map(dur)));
    const minRank = groups.map((g) =>
      Math.min(...g.filter((e) => e.bytes > 0).map((e) => e.bytes / GiB / Math.max(dur(e), 1e-9)))
    );
    const thr0 = size.map((s, i) => s / Math.max(d0[i]!, 1e-9));
    const thrJob = size.map((s, i) => s / Math.max(dmax[i]!, 1e-9));
    sizeGB = Math.max(sizeGB, ...size);
    Object.assign(metric, {
      [`${kind}_checkpoint_io_mean_GB_per_second`]: mean(thr0),
      [`${kind}_checkpoint_io_stdev_GB_per_second`]: stdev(thr0),
      [`${kind}_checkpoint_duration_mean_seconds`]: mean(d0),
      [`${kind}_checkpoint_duration_stdev_seconds`]: stdev(d0),
      // dl-driver: the MLPerf rule values and what was stored.
      [`${kind}_checkpoint_duration_max_over_ranks_mean_seconds`]: mean(dmax),
      [`${kind}_checkpoint_io_job_mean_GB_per_second`]: mean(thrJob),
      [`${kind}_checkpoint_io_min_rank_mean_GB_per_second`]: mean(minRank),
      [`${kind}_checkpoint_stored_GB`]: mean(stored),
      [`${kind}_checkpoint_${kind === "save" ? "compress" : "decompress"}_seconds`]: groups
        .reduce((a, g) => a + g.reduce((b, e) => b + e.codecMs, 0), 0) / 1000,
      [`num_checkpoints_${kind === "save" ? "written" : "read"}`]: groups.length,
    });
  }
  metric.checkpoint_size_GB = sizeGB;
  const files = (kind: string) => events.filter((e) => e.kind === kind).flatMap((e) => e.fileMs);
  return {
    metric,
    saveFile: latencyStats(files("save")),
    loadFile: latencyStats(files("load")),
    saves: events.filter((e) => e.kind === "save" && e.rank === 0).length,
    loads: events.filter((e) => e.kind === "load" && e.rank === 0).length,
  };
}
