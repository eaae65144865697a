/**
 * `reader.file_trimming` once the job's ranks are known: upstream DLIO's cut of the file lists
 * (`dlio`: a multiple of nspf × batch × ranks; nothing left is refused, as DLIO would run 0
 * steps), a warning when files are dropped, and a warning when epochs have fewer than 3 steps
 * (DLIO's throughput counts steps − 2). `mlperf_v3`'s per-rank trim is the sampler's.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { UserError } from "../errors.ts";
import type { Codec } from "../formats/codec.ts";
import type { FileKeys } from "../loader/files.ts";
import { dlioTrimmedFiles, shardedSteps, shardingOf } from "../loader/sampler.ts";

/** The first `n` of `files`. */
const firstOf = (files: FileKeys, n: number): FileKeys => ({ length: n, key: (i) => files.key(i) });

/** Trim one split as `reader.file_trimming: dlio` does (warns what it drops). */
function dlioTrim(
  c: WorkloadConfig,
  files: FileKeys,
  split: "train" | "valid",
  ranks: number,
  log: (s: string) => void,
): FileKeys {
  const batch = split === "train" ? c.reader.batch_size : c.reader.batch_size_eval;
  const nspf = c.dataset.num_samples_per_file;
  const keep = dlioTrimmedFiles(files.length, nspf, batch, ranks);
  if (keep === files.length) return files;
  const unit = `num_samples_per_file × batch × ranks = ${nspf} × ${batch} × ${ranks}`;
  if (keep === 0 && split === "train") {
    throw new UserError(
      `reader.file_trimming: dlio cuts the ${files.length} training files to a multiple of ` +
        `${unit}: none are left (DLIO would run 0 steps and exit 0); use none or mlperf_v3, or ` +
        "more files",
    );
  }
  log(
    `warning: reader.file_trimming dlio: ${split} files ${files.length} → ${keep} (a multiple ` +
      `of ${unit}), as upstream DLIO trims them`,
  );
  return firstOf(files, keep);
}

/** The splits as the run reads them, with the warnings DLIO users need. */
export function trimSplits(
  c: WorkloadConfig,
  codec: Codec,
  splits: { train: FileKeys; eval: FileKeys },
  ranks: number,
  log: (s: string) => void,
): { train: FileKeys; eval: FileKeys } {
  const dlio = c.reader.file_trimming === "dlio";
  const train = dlio ? dlioTrim(c, splits.train, "train", ranks, log) : splits.train;
  const evalFiles = dlio && splits.eval.length > 0
    ? dlioTrim(c, splits.eval, "valid", ranks, log)
    : splits.eval;
  const sharding = shardingOf(c, codec);
  const nspf = c.dataset.num_samples_per_file;
  if (sharding === "round_robin" && train.length % ranks !== 0) {
    log(
      `warning: reader.file_trimming mlperf_v3: ${train.length % ranks} of ${train.length} ` +
        `training files are not read (each of the ${ranks} ranks takes ⌊files/ranks⌋)`,
    );
  }
  const steps = shardedSteps(train.length, nspf, c.reader.batch_size, ranks, sharding);
  if (steps < 3) {
    log(
      `warning: epochs have ${steps} step${steps === 1 ? "" : "s"}: DLIO's throughput ` +
        "((steps − 2) × batch / time) is then ≤ 0; the measured samples/s are in report.json",
    );
  }
  return { train, eval: evalFiles };
}
