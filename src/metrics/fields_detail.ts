/**
 * Report fields of the details: per-stage latencies, checkpoints, per-epoch and per-rank lists,
 * provenance and the opt-in lists.
 * @module
 */
import { ckf, f, type FieldInputs, lat, m, type ReportField, st } from "./field_def.ts";
import { mean } from "./stats.ts";
import { meanOf } from "../util/distribution.ts";

export const LATENCY_FIELDS: ReportField[] = [
  lat("p50_latency_ms", "batch", "p50_ms", "batch latency (first read to complete)", {
    at: 11,
    better: "lower",
  }),
  lat("p95_latency_ms", "batch", "p95_ms", "batch latency (first read to complete)"),
  lat("p99_latency_ms", "batch", "p99_ms", "batch latency (first read to complete)", {
    at: 12,
    better: "lower",
  }),
  lat("batch_wait_p50_latency_ms", "batch_wait", "p50_ms", "time the loop waited for a batch"),
  lat("batch_wait_p95_latency_ms", "batch_wait", "p95_ms", "time the loop waited for a batch"),
  lat(
    "batch_wait_p99_latency_ms",
    "batch_wait",
    "p99_ms",
    "time the loop waited for a batch",
    { at: 13, better: "lower" },
  ),
  lat("io_mean_latency_ms", "io", "mean_ms", "per-sample storage read"),
  lat("io_p50_latency_ms", "io", "p50_ms", "per-sample storage read", { at: 14, better: "lower" }),
  lat("io_p95_latency_ms", "io", "p95_ms", "per-sample storage read"),
  lat("io_p99_latency_ms", "io", "p99_ms", "per-sample storage read", { at: 15, better: "lower" }),
  lat("io_max_latency_ms", "io", "max_ms", "per-sample storage read"),
  lat("decode_mean_latency_ms", "decode", "mean_ms", "per-sample decode"),
  lat("decode_p50_latency_ms", "decode", "p50_ms", "per-sample decode", {
    at: 16,
    better: "lower",
  }),
  lat("decode_p95_latency_ms", "decode", "p95_ms", "per-sample decode"),
  lat("decode_p99_latency_ms", "decode", "p99_ms", "per-sample decode"),
  lat("preprocess_mean_latency_ms", "preprocess", "mean_ms", "per-sample emulated preprocessing"),
  lat("preprocess_p99_latency_ms", "preprocess", "p99_ms", "per-sample emulated preprocessing"),
  lat("h2d_mean_latency_ms", "h2d", "mean_ms", "per-sample copy into the batch"),
  lat("h2d_p50_latency_ms", "h2d", "p50_ms", "per-sample copy into the batch"),
  lat("h2d_p95_latency_ms", "h2d", "p95_ms", "per-sample copy into the batch"),
  lat("h2d_p99_latency_ms", "h2d", "p99_ms", "per-sample copy into the batch"),
  f(
    "compute_mean_ms",
    "ms",
    "pooled",
    "measured emulated compute per step",
    (x) => st(x).compute.mean_ms,
  ),
  f(
    "compute_configured_ms",
    "ms",
    "config",
    "`train.computation_time` (its distribution's mean), beside the measured `compute_mean_ms`",
    (x) => meanOf(x.c.train.computation_time) * 1000,
  ),
];

/** Rank 0's page-cache drops (`reader.drop_page_cache`). */
const drops = (x: FieldInputs) => x.all[0]?.pageCacheDrops ?? [];
const dropped = (x: FieldInputs) => drops(x).length > 0;

export const PAGE_CACHE_FIELDS: ReportField[] = [
  f(
    "page_cache_drops",
    "",
    "rank 0",
    "page-cache drops before epochs (outside the timed window)",
    (x) => drops(x).length,
    { when: dropped },
  ),
  f(
    "page_cache_drop_method",
    "",
    "rank 0",
    "`fadvise` (posix_fadvise DONTNEED per file), `drop_caches`, or `none` (object store); " +
      "with the reason when it differs from the one asked for",
    (x) => {
      const d = drops(x).at(-1)!;
      return d.note ? `${d.method} (${d.note})` : d.method;
    },
    { when: dropped },
  ),
  f(
    "page_cache_dropped_files",
    "",
    "rank 0",
    "files dropped per epoch (last drop)",
    (x) => drops(x).at(-1)!.files,
    { when: dropped },
  ),
  f(
    "page_cache_dropped_bytes",
    "B",
    "rank 0",
    "bytes of those files (last drop)",
    (x) => drops(x).at(-1)!.bytes,
    { when: dropped },
  ),
  f(
    "page_cache_drop_seconds",
    "s",
    "rank 0",
    "time spent dropping, all epochs (not timed)",
    (x) => drops(x).reduce((a, d) => a + d.seconds, 0),
    { when: dropped },
  ),
];

export const CHECKPOINT_FIELDS: ReportField[] = [
  ckf(
    "checkpoints_written",
    "",
    "sum",
    "checkpoint saves (all ranks)",
    (x) => x.s.checkpoints!.saves,
  ),
  ckf(
    "checkpoints_read",
    "",
    "sum",
    "checkpoint restores (all ranks)",
    (x) => x.s.checkpoints!.loads,
  ),
  ckf(
    "checkpoint_size_GB",
    "GiB",
    "job",
    "one checkpoint, all ranks (2^30 bytes, as DLIO)",
    (x) => m(x).checkpoint_size_GB,
    { at: 22 },
    "Checkpoint size (GB)",
  ),
  ckf(
    "checkpoint_compression",
    "",
    "config",
    "`checkpoint.compression`",
    (x) => x.c.checkpoint.compression,
  ),
  ckf(
    "save_checkpoint_stored_GB",
    "GiB",
    "job",
    "bytes stored per checkpoint (compressed)",
    (x) => m(x).save_checkpoint_stored_GB ?? 0,
  ),
  ckf(
    "save_checkpoint_compress_seconds",
    "s",
    "rank 0",
    "time spent compressing per save",
    (x) => m(x).save_checkpoint_compress_seconds ?? 0,
  ),
  ckf(
    "save_checkpoint_io_mean_GB_per_second",
    "GiB/s",
    "rank 0",
    "DLIO's: checkpoint size ÷ rank 0's save time",
    (x) => m(x).save_checkpoint_io_mean_GB_per_second,
    { at: 23, better: "higher" },
    "Checkpoint save I/O Throughput (GB/second)",
  ),
  ckf(
    "save_checkpoint_io_job_mean_GB_per_second",
    "GiB/s",
    "max",
    "checkpoint size ÷ the slowest rank's save time (MLPerf)",
    (x) => m(x).save_checkpoint_io_job_mean_GB_per_second ?? 0,
    { at: 24, better: "higher" },
  ),
  ckf(
    "save_checkpoint_duration_max_over_ranks_mean_seconds",
    "s",
    "max",
    "slowest rank's save time, mean over saves",
    (x) => m(x).save_checkpoint_duration_max_over_ranks_mean_seconds ?? 0,
  ),
  ckf(
    "load_checkpoint_io_mean_GB_per_second",
    "GiB/s",
    "rank 0",
    "DLIO's: checkpoint size ÷ rank 0's load time",
    (x) => m(x).load_checkpoint_io_mean_GB_per_second,
    { at: 25, better: "higher" },
    "Checkpoint load I/O Throughput (GB/second)",
  ),
  ckf(
    "load_checkpoint_io_job_mean_GB_per_second",
    "GiB/s",
    "max",
    "checkpoint size ÷ the slowest rank's load time (MLPerf)",
    (x) => m(x).load_checkpoint_io_job_mean_GB_per_second ?? 0,
  ),
  ckf(
    "save_file_p50_latency_ms",
    "ms",
    "pooled",
    "per-file checkpoint write: p50",
    (x) => x.s.checkpoints!.saveFile.p50_ms,
  ),
  ckf(
    "save_file_p99_latency_ms",
    "ms",
    "pooled",
    "per-file checkpoint write: p99",
    (x) => x.s.checkpoints!.saveFile.p99_ms,
  ),
  ckf(
    "load_file_p50_latency_ms",
    "ms",
    "pooled",
    "per-file checkpoint read: p50",
    (x) => x.s.checkpoints!.loadFile.p50_ms,
  ),
  ckf(
    "load_file_p99_latency_ms",
    "ms",
    "pooled",
    "per-file checkpoint read: p99",
    (x) => x.s.checkpoints!.loadFile.p99_ms,
  ),
];

/** Items as the access order shows them: the key, with `#sample` when files hold several. */
const itemKey = (x: FieldInputs) => (v: { key: string; sample: number }) =>
  x.c.dataset.num_samples_per_file === 1 ? v.key : `${v.key}#${v.sample}`;

/** Per rank: DLIO's AU and throughput, and what it read. */
function rankRows(x: FieldInputs) {
  return x.all.map((r, i) => {
    const eps = x.s.rankEpochs[i] ?? [];
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
  });
}

/** Rank r's latency list (`--latency-lists`), relative to the results folder. */
export const latencyListFile = (rank: number) => `latencies-${rank}.tsv.gz`;
/** Rank r's visited items (`--visited-items`), relative to the results folder. */
export const visitedItemsFile = (rank: number) => `visited-${rank}.tsv.gz`;

export const DETAIL_FIELDS: ReportField[] = [
  f(
    "eval_samples",
    "samples",
    "sum",
    "evaluation samples delivered",
    (x) => x.s.totals.eval_samples,
  ),
  f("eval_bytes", "B", "sum", "bytes read for evaluation", (x) => x.s.totals.eval_bytes_read),
  f(
    "dl_driver_version",
    "",
    "job",
    "dl-driver's version",
    (x) => x.ctx.provenance.dl_driver_version,
  ),
  f("output_folder", "", "job", "the results folder", (x) => x.ctx.outputFolder),
  f(
    "access_order_sample",
    "",
    "rank 0",
    "the first 32 items of the order the sampler planned for rank 0 (keys relative to " +
      "`data_folder`, `#sample` when files hold several): depends only on config, seed, epoch " +
      "and rank, not on read threads, prefetch or timing",
    (x) => x.all[0]!.planned.slice(0, 32).map(itemKey(x)),
  ),
  f(
    "access_order_arrival_sample",
    "",
    "rank 0",
    "the first 32 items in the order their reads completed (depends on thread timing)",
    (x) => x.all[0]!.trainEvents.visited.slice(0, 32).map(itemKey(x)),
  ),
  f(
    "stages",
    "ms",
    "pooled",
    "full statistics per stage (count, mean, min, p50, p95, p99, max)",
    st,
  ),
  f(
    "checkpoint_files",
    "ms",
    "pooled",
    "per-file save/load latency statistics (or null)",
    (x) =>
      x.s.checkpoints ? { save: x.s.checkpoints.saveFile, load: x.s.checkpoints.loadFile } : null,
  ),
  f(
    "epochs",
    "",
    "per epoch",
    "DLIO's values and `measured` (all ranks: bytes, samples, rates, AU over every step)",
    (x) => x.s.epochs.map(({ spanTrain: _, spanEval: _e, ...e }) => e),
  ),
  f(
    "ranks",
    "",
    "per rank",
    "AU, DLIO throughput, samples, bytes, measured rate, loader statistics",
    rankRows,
  ),
  f("generation", "", "job", "files written/skipped, bytes and seconds when the run generated", (
    x,
  ) => x.ctx.generated ?? null),
  f(
    "provenance",
    "",
    "job",
    "versions, OS, host, dependencies, arguments, config file",
    (x) => x.ctx.provenance,
  ),
  f(
    "latency_list_files",
    "",
    "per rank",
    "with `--latency-lists`: gzip TSV files in the results folder, one per rank, a line per " +
      "sample as it completed (epoch, key, sample, io_ms, decode_ms, preprocess_ms, h2d_ms, " +
      "bytes, done_ms), written as the run goes",
    (x) => x.all.map((r) => latencyListFile(r.rank)),
    { when: (x) => x.ctx.latencyLists },
  ),
  f(
    "visited_items_files",
    "",
    "per rank",
    "with `--visited-items`: gzip TSV files in the results folder, one per rank, a line per " +
      "training item in the order the sampler planned (epoch, key, sample), written as the run goes",
    (x) => x.all.map((r) => visitedItemsFile(r.rank)),
    { when: (x) => x.ctx.visitedItems },
  ),
];
