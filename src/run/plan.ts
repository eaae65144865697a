/**
 * The step arithmetic of a workload once the job's ranks are known, checked before any data is
 * touched (by `run` before generation and by `validate`): `reader.file_trimming` (upstream
 * DLIO's cut of the file lists to a multiple of nspf × batch × ranks; the v3.0 fork's per-rank
 * trim), epochs of 0 steps (refused: DLIO runs 0 steps and exits 0), epochs of fewer than 3
 * steps (DLIO's throughput counts steps − 2), an empty metric window, and DLIO's world-size
 * rules. `trimSplits` then applies the cut to the listed files.
 * @module
 */
import { worldSizeRules } from "../config/rules.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import type { Locations } from "../config/source.ts";
import { ConfigError, type Diagnostic, formatDiagnostic } from "../errors.ts";
import type { Codec } from "../formats/codec.ts";
import type { FileKeys } from "../loader/files.ts";
import { dlioTrimmedFiles, shardedSteps, shardingOf } from "../loader/sampler.ts";

/** The first `n` of `files`. */
const firstOf = (files: FileKeys, n: number): FileKeys => ({ length: n, key: (i) => files.key(i) });

/** How many of a split's `files` `reader.file_trimming` keeps. */
function keptFiles(c: WorkloadConfig, files: number, split: "train" | "valid", ranks: number) {
  if (c.reader.file_trimming !== "dlio" || files === 0) return files;
  const batch = split === "train" ? c.reader.batch_size : c.reader.batch_size_eval;
  return dlioTrimmedFiles(files, c.dataset.num_samples_per_file, batch, ranks);
}

/** A diagnostic builder at the key's position. */
function adder(out: Diagnostic[], locations: Locations) {
  return (path: string, message: string, severity: "error" | "warning" = "error") =>
    out.push({ path, message, severity, location: locations.value(path) });
}

/** What `reader.file_trimming` does to the file counts, as warnings (or the error: none left). */
function trimDiagnostics(c: WorkloadConfig, ranks: number, add: ReturnType<typeof adder>): void {
  const d = c.dataset, nspf = d.num_samples_per_file;
  for (const split of ["train", "valid"] as const) {
    const files = split === "train" ? d.num_files_train : evalFileCount(c);
    const keep = keptFiles(c, files, split, ranks);
    if (keep === files) continue;
    const batch = split === "train" ? c.reader.batch_size : c.reader.batch_size_eval;
    const unit = `num_samples_per_file × batch × ranks = ${nspf} × ${batch} × ${ranks}`;
    if (keep === 0 && split === "train") {
      add(
        "reader.file_trimming",
        `dlio cuts the ${files} training files to a multiple of ${unit}: none are left (DLIO ` +
          "would run 0 steps and exit 0); set reader.file_trimming=none (every file) or " +
          "mlperf_v3 (v3.0's DLIO), or use more files",
      );
    } else {
      add(
        "reader.file_trimming",
        `dlio: ${split} files ${files} → ${keep} (a multiple of ${unit}), as upstream DLIO ` +
          "trims them",
        "warning",
      );
    }
  }
}

/** Eval files the run reads (none when evaluation is off). */
function evalFileCount(c: WorkloadConfig): number {
  return c.workflow.evaluation ? c.dataset.num_files_eval : 0;
}

/** Steps per epoch: 0 refused, < 3 warned (DLIO's throughput), an empty metric window. */
function stepsDiagnostics(
  c: WorkloadConfig,
  codec: Codec,
  ranks: number,
  locations: Locations,
  add: ReturnType<typeof adder>,
): void {
  const d = c.dataset, r = c.reader, nspf = d.num_samples_per_file;
  const sharding = shardingOf(c, codec);
  const train = keptFiles(c, d.num_files_train, "train", ranks);
  if (train === 0) return; // trimming's error (or num_files_train's) says why
  if (sharding === "round_robin" && train % ranks !== 0) {
    add(
      "reader.file_trimming",
      `mlperf_v3: ${train % ranks} of ${train} training files are not read (each of the ` +
        `${ranks} ranks takes ⌊files/ranks⌋)`,
      "warning",
    );
  }
  let steps = shardedSteps(train, nspf, r.batch_size, ranks, sharding);
  if (steps === 0) {
    add(
      "reader.batch_size",
      `batch_size ${r.batch_size} × ${ranks} rank${ranks === 1 ? "" : "s"} is more than the ` +
        `${train * nspf} training samples (${train} files × ${nspf}): epochs would run 0 steps ` +
        "(DLIO runs 0 steps and exits 0); use a smaller batch_size or more files",
    );
    return;
  }
  if (c.train.total_training_steps > 0) steps = Math.min(steps, c.train.total_training_steps);
  if (steps < 3) {
    add(
      "reader.batch_size",
      `epochs have ${steps} step${steps === 1 ? "" : "s"}: DLIO's throughput ((steps − 2) × ` +
        "batch / time) is then ≤ 0; the measured samples/s are in report.json",
      "warning",
    );
  }
  const m = c.output.metric, excluded = m.exclude_start_steps + m.exclude_end_steps;
  if (excluded >= steps) {
    // Refused when the user set the window; DLIO's default (1) on a 1-step epoch only warns.
    const set = ["exclude_start_steps", "exclude_end_steps"].some((k) =>
      locations.has(`output.metric.${k}`)
    );
    add(
      "output.metric.exclude_start_steps",
      `the metric window excludes ${excluded} of the ${steps} steps per epoch ` +
        "(exclude_start_steps + exclude_end_steps): AU and DLIO's throughput would be computed " +
        "from no steps",
      set ? "error" : "warning",
    );
  }
  const evalFiles = keptFiles(c, evalFileCount(c), "valid", ranks);
  if (evalFiles > 0 && shardedSteps(evalFiles, nspf, r.batch_size_eval, ranks) === 0) {
    add(
      "reader.batch_size_eval",
      `batch_size_eval ${r.batch_size_eval} × ${ranks} rank(s) is more than the ` +
        `${evalFiles * nspf} eval samples: no eval steps will run`,
      "warning",
    );
  }
}

/** Everything the job's size decides, before any data is touched: errors and warnings. */
export function planDiagnostics(rc: ResolvedConfig, codec: Codec, ranks: number): Diagnostic[] {
  const c = rc.config, out: Diagnostic[] = [];
  const add = adder(out, rc.locations);
  if (!c.workflow.train && !c.workflow.generate_data && !c.workflow.checkpoint) {
    add("workflow", "nothing to do: workflow.train, generate_data and checkpoint are all False");
  }
  out.push(...worldSizeRules(c, rc.locations, ranks));
  if (!c.workflow.train) return out;
  trimDiagnostics(c, ranks, add);
  stepsDiagnostics(c, codec, ranks, rc.locations, add);
  return out;
}

/** Refuse (exit 2, every problem at once) what the job's size makes impossible; log warnings. */
export function checkPlan(
  rc: ResolvedConfig,
  codec: Codec,
  ranks: number,
  log?: (line: string) => void,
): void {
  const diagnostics = planDiagnostics(rc, codec, ranks);
  if (diagnostics.some((d) => d.severity === "error")) throw new ConfigError(diagnostics);
  for (const d of diagnostics) log?.(formatDiagnostic(d));
}

/** The splits as the run reads them: `reader.file_trimming: dlio` cuts the lists. */
export function trimSplits(
  c: WorkloadConfig,
  splits: { train: FileKeys; eval: FileKeys },
  ranks: number,
): { train: FileKeys; eval: FileKeys } {
  const cut = (files: FileKeys, split: "train" | "valid") => {
    const keep = keptFiles(c, files.length, split, ranks);
    return keep === files.length ? files : firstOf(files, keep);
  };
  return { train: cut(splits.train, "train"), eval: cut(splits.eval, "valid") };
}
