/**
 * MLPerf Storage mode (`dl-driver mlperf ...`): the rules' calculators, the run process and the
 * rules checker, following MLPerf Storage v2.0 (dlio.md §9.2–9.3).
 *
 * - `datasize`: files = max(⌊5 · Σ client RAM / (nspf · record_length)⌋,
 *   ⌊500 · accelerators · batch / nspf⌋): the dataset is ≥ 5× the clients' memory and an epoch
 *   has ≥ 500 steps.
 * - `check`: a run is INVALID when a parameter outside the allowed lists was overridden, the
 *   dataset is smaller than required, AU is below the workload's threshold (unet3d 90 %,
 *   resnet50 90 %, cosmoflow 70 %), unet3d trained without checkpoints, or `reader.odirect` is
 *   set for a model other than unet3d; OPEN when it overrides OPEN-only parameters; else CLOSED.
 * - `reportgen`: walks a results folder, checks every run, writes `dl-driver-results.json` and
 *   `dl-driver-results.csv`.
 * @module
 */
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { resolveConfig } from "../config/resolve.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import { UserError } from "../errors.ts";

/**
 * The training workloads of MLPerf Storage v2.0 and v3.0 (a100/h100 are v2.0's and v3.0's
 * whatif; b200/mi355 v3.0's), with their AU thresholds.
 */
export const MLPERF_MODELS: Record<
  string,
  { au: number; record: number; nspf: number; batch: Record<string, number> }
> = {
  unet3d: { au: 90, record: 146600628, nspf: 1, batch: { h100: 7, a100: 7, b200: 7 } },
  resnet50: { au: 90, record: 114660.07, nspf: 1251, batch: { h100: 400, a100: 400 } },
  cosmoflow: { au: 70, record: 2828486, nspf: 1, batch: { h100: 1, a100: 1 } },
  retinanet: { au: 85, record: 322957, nspf: 1, batch: { b200: 24, mi355: 32 } },
  flux: { au: 90, record: 2164832, nspf: 288, batch: { b200: 48, mi355: 72 } },
  dlrm: { au: 70, record: 761, nspf: 4718592, batch: { b200: 16384, mi355: 16384 } },
};

/** Overrides a CLOSED submission may make. */
export const CLOSED_ALLOWED = [
  "dataset.num_files_train",
  "dataset.num_subfolders_train",
  "dataset.data_folder",
  "reader.read_threads",
  "reader.computation_threads",
  "reader.transfer_size",
  "reader.odirect",
  "reader.prefetch_size",
  "checkpoint.checkpoint_folder",
  "storage.storage_type",
  "storage.storage_root",
  // v3.0 (PR #673); the v2.0 rules refuse it.
  "storage.storage_options.prefetch_window",
];

/** What OPEN submissions may override in addition. */
export const OPEN_ALLOWED = [
  "framework",
  "dataset.format",
  "dataset.num_samples_per_file",
  "reader.data_loader",
];

/** Keys mlpstorage injects itself: never counted as the user's overrides (v3.0). */
export const TOOL_INJECTED = [
  "dataset.skip_listing",
  "dataset.listing_validation_interval",
  "dataset.num_files_generated",
  "dataset.data_folder",
  "dataset.total_disk_bytes",
  "storage.storage_type",
  "storage.storage_root",
  "storage.storage_options.storage_library",
  "storage.storage_options.uri_scheme",
  "storage.s3_force_path_style",
  // dl-driver's MLPerf mode reads images as bytes, as v3.0's DLIO does.
  "reader.decode_images",
];

/** Overrides the run process itself makes (per-run seeds, results folders, run lengths). */
const PROCESS_KEYS = ["train.seed", "output.folder", "hydra.run.dir", "workflow.generate_data"];

/** The rules' dataset size for a training workload. */
export function datasize(o: {
  model: string;
  accelerator: string;
  accelerators: number;
  clients: number;
  clientMemoryGiB: number;
  /** v2.0 rounds the file counts down, v3.0 up (one file short of the checker otherwise). */
  round?: "floor" | "ceil";
}): { numFilesTrain: number; byMemory: number; bySteps: number; datasetBytes: number } {
  const m = MLPERF_MODELS[o.model];
  if (!m) {
    throw new UserError(
      `mlperf: unknown model '${o.model}' (${Object.keys(MLPERF_MODELS).join(", ")})`,
    );
  }
  const batch = m.batch[o.accelerator];
  if (!batch) {
    throw new UserError(
      `mlperf: unknown accelerator '${o.accelerator}' for ${o.model} ` +
        `(${Object.keys(m.batch).join(", ")})`,
    );
  }
  const memory = o.clientMemoryGiB * 2 ** 30 * o.clients;
  const round = o.round === "ceil" ? Math.ceil : Math.floor;
  const byMemory = round((5 * memory) / (m.nspf * m.record));
  const bySteps = round((500 * o.accelerators * batch) / m.nspf);
  const numFilesTrain = Math.max(byMemory, bySteps);
  return { numFilesTrain, byMemory, bySteps, datasetBytes: numFilesTrain * m.nspf * m.record };
}

/** The verdict on one run. */
export interface RunCheck {
  folder: string;
  model: string;
  category: "CLOSED" | "OPEN" | "INVALID";
  reasons: string[];
  num_accelerators: number;
  train_au_mean_percentage: number;
  train_throughput_mean_samples_per_second: number;
  train_io_mean_MB_per_second: number;
}

/** The key an override sets (`++workload.reader.read_threads=4` → `reader.read_threads`). */
export function overrideKey(arg: string): string {
  return arg.replace(/^[+~]+/, "").split("=")[0]!.replace(/^workload\./, "");
}

/** Which round's rules a check applies (v3.0 by default). */
export type RulesVersion = "v2.0" | "v3.0";

/** `--rules v2.0|v3.0` (also `v2`, `v3`). */
export function rulesOf(flag: string | undefined): RulesVersion {
  if (flag === undefined || flag === "v3.0" || flag === "v3") return "v3.0";
  if (flag === "v2.0" || flag === "v2") return "v2.0";
  throw new UserError(`mlperf: --rules is v2.0 or v3.0, got '${flag}'`);
}

type Section = Record<string, unknown> | undefined;

/** What a check reads from a results folder. */
interface RunFiles {
  summary: Record<string, unknown> & { metric?: Record<string, unknown> };
  config: Record<string, Section>;
  overrides: string[];
}

async function readRun(folder: string): Promise<RunFiles> {
  const read = async (f: string) => {
    try {
      return await Deno.readTextFile(join(folder, f));
    } catch {
      throw new UserError(`mlperf check: ${join(folder, f)} is missing; is this a results folder?`);
    }
  };
  const summary = JSON.parse(await read("summary.json"));
  const config = (parseYaml(await read("dlio_config/config.yaml")) as {
    workload: Record<string, Section>;
  }).workload;
  const overrides = (parseYaml(await read("dlio_config/overrides.yaml")) as string[] | null) ?? [];
  return { summary, config, overrides };
}

/** Overrides outside the allowed lists (INVALID) or OPEN-only ones. */
function overrideReasons(
  overrides: string[],
  allowed: string[],
  openAllowed: string[],
): { invalid: string[]; open: string[] } {
  const invalid: string[] = [], open: string[] = [];
  for (const arg of overrides) {
    const key = overrideKey(arg);
    // The workload choice is not an override; mlpstorage skips workflow.* keys.
    if (key === "workload" || key.startsWith("workflow.")) continue;
    if (allowed.includes(key) || PROCESS_KEYS.includes(key) || TOOL_INJECTED.includes(key)) {
      continue;
    }
    if (openAllowed.includes(key)) open.push(`${key} overridden (allowed in OPEN only)`);
    else invalid.push(`${key} may not be overridden`);
  }
  return { invalid, open };
}

/** The training rules: AU threshold, dataset size, v2.0's unet3d checkpoint, O_DIRECT. */
function trainingReasons(f: RunFiles, model: string, rules: RulesVersion): string[] {
  const { summary, config } = f;
  const invalid: string[] = [];
  const m = MLPERF_MODELS[model];
  if (!m) {
    return [`model '${config.model?.name}' is not an MLPerf Storage training workload`];
  }
  const au = Number(f.summary.metric?.train_au_mean_percentage ?? 0);
  if (au < m.au) {
    invalid.push(`AU ${au.toFixed(2)} % is below the ${m.au} % that ${model} requires`);
  }
  const memGiB = (summary.host_memory_GB as number[] ?? []).reduce((a, b) => a + b, 0);
  const batch = Number(config.reader?.batch_size ?? 1);
  const nspf = Number(config.dataset?.num_samples_per_file ?? m.nspf);
  const record = Number(
    config.dataset?.record_length_bytes ?? config.dataset?.record_length ?? m.record,
  );
  const round = rules === "v3.0" ? Math.ceil : Math.floor;
  const need = Math.max(
    round((5 * memGiB * 2 ** 30) / (nspf * record)),
    round((500 * Number(summary.num_accelerators) * batch) / nspf),
  );
  const files = Number(config.dataset?.num_files_train ?? 0);
  if (files < need) {
    invalid.push(
      `dataset.num_files_train ${files} is below the ${need} the rules require ` +
        `(≥ 5 × ${memGiB.toFixed(1)} GiB of client memory and ≥ 500 steps per epoch)`,
    );
  }
  // v2.0 only: v3.0's workloads do not checkpoint (PR #152; its rule never fires).
  if (rules === "v2.0" && model === "unet3d" && !config.workflow?.checkpoint) {
    invalid.push("unet3d must checkpoint (workflow.checkpoint: True)");
  }
  if (model !== "unet3d" && config.reader?.odirect) {
    invalid.push("reader.odirect is allowed for unet3d only");
  }
  return invalid;
}

/** The checkpointing rules: fsync, v3.0's 10-or-0 operations per invocation. */
function checkpointingReasons(f: RunFiles, rules: RulesVersion): string[] {
  const ck = f.config.checkpoint ?? {};
  const invalid: string[] = [];
  if (ck.fsync !== true) invalid.push("checkpoint.fsync must be True (rule 4.3.2)");
  if (rules === "v3.0") {
    for (const k of ["num_checkpoints_write", "num_checkpoints_read"]) {
      const n = Number(ck[k] ?? 10);
      if (n !== 10 && n !== 0) invalid.push(`checkpoint.${k} is ${n}; CLOSED needs 10 or 0`);
    }
  }
  return invalid;
}

/**
 * Check a results folder (summary.json, dlio_config/config.yaml, dlio_config/overrides.yaml)
 * by the rules of its benchmark: checkpointing runs (workflow.train False) by checkpointing's.
 */
export async function checkRun(folder: string, rules: RulesVersion = "v3.0"): Promise<RunCheck> {
  const f = await readRun(folder);
  const { summary, config } = f;
  const checkpointing = config.workflow?.train === false && config.workflow?.checkpoint === true;
  const model = String(config.model?.name ?? "").replace(/_.*$/, "");
  // v3.0 allows storage_options.prefetch_window in CLOSED (PR #673); checkpointing only the folder.
  const allowed = checkpointing
    ? ["checkpoint.checkpoint_folder", "checkpoint.mode", "model.parallelism.data"]
    : CLOSED_ALLOWED.filter((k) => rules === "v3.0" || !k.endsWith("prefetch_window"));
  const o = overrideReasons(f.overrides, allowed, checkpointing ? [] : OPEN_ALLOWED);
  const invalid = [
    ...o.invalid,
    ...(checkpointing ? checkpointingReasons(f, rules) : trainingReasons(f, model, rules)),
  ];
  const m = summary.metric ?? {};
  return {
    folder,
    model: checkpointing ? String(config.model?.name ?? "") : model,
    category: invalid.length ? "INVALID" : o.open.length ? "OPEN" : "CLOSED",
    reasons: [...invalid, ...o.open],
    num_accelerators: summary.num_accelerators as number,
    train_au_mean_percentage: round2(Number(m.train_au_mean_percentage ?? 0)),
    train_throughput_mean_samples_per_second: round2(
      Number(m.train_throughput_mean_samples_per_second ?? 0),
    ),
    train_io_mean_MB_per_second: round2(Number(m.train_io_mean_MB_per_second ?? 0)),
  };
}

/** The rules round results to two decimals. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Measured training runs a submission has per workload (plus one warm-up; Rules §2.1.17). */
const MEASURED_RUNS = 5;

/**
 * v3.0's tree (`…/training/<model>/run/<ts>/`, warm-up in `warmup/`): each `run/` folder must
 * hold exactly 5 measured runs; otherwise each of its runs is INVALID, saying so.
 */
function checkRunCounts(runs: RunCheck[]): void {
  const groups = Map.groupBy(
    runs.filter((r) => /\/training\/[^/]+\/run\/\d{8}_\d{6}$/.test(r.folder)),
    (r) => r.folder.slice(0, r.folder.lastIndexOf("/")),
  );
  for (const [folder, group] of groups) {
    if (group.length === MEASURED_RUNS) continue;
    for (const r of group) {
      r.category = "INVALID";
      r.reasons.push(
        `expected ${MEASURED_RUNS} measured runs in ${folder} (and 1 warm-up in warmup/, ` +
          `Rules §2.1.17); found ${group.length}`,
      );
    }
  }
}

/** dl-driver's reportgen files (mlpstorage's own are results.json/.csv). */
export const REPORT_JSON = "dl-driver-results.json", REPORT_CSV = "dl-driver-results.csv";

/** Every results folder (one holding summary.json and dlio_config/) under `dir`. */
export async function findRuns(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let hasSummary = false, hasConfig = false;
    const subdirs: string[] = [];
    for await (const e of Deno.readDir(d)) {
      if (e.isFile && e.name === "summary.json") hasSummary = true;
      else if (e.isDirectory && e.name === "dlio_config") hasConfig = true;
      else if (e.isDirectory) subdirs.push(join(d, e.name));
    }
    if (hasSummary && hasConfig) out.push(d);
    for (const s of subdirs.sort()) await walk(s);
  };
  await walk(dir);
  return out;
}

/**
 * Check every run under `dir`; write dl-driver's `dl-driver-results.json`/`.csv` there (never
 * mlpstorage's `results.json`, whose schema differs).
 */
export async function reportgen(dir: string, rules: RulesVersion = "v3.0"): Promise<RunCheck[]> {
  // Warm-ups (v3.0's tree keeps them in warmup/) are not results.
  const folders = (await findRuns(dir)).filter((f) => !/\/warmup\/\d{8}_\d{6}$/.test(f));
  const runs = await Promise.all(folders.map((f) => checkRun(f, rules)));
  if (rules === "v3.0") checkRunCounts(runs);
  await Deno.writeTextFile(join(dir, REPORT_JSON), JSON.stringify(runs, null, 2) + "\n");
  const cols = [
    "folder",
    "model",
    "category",
    "num_accelerators",
    "train_au_mean_percentage",
    "train_throughput_mean_samples_per_second",
    "train_io_mean_MB_per_second",
    "reasons",
  ] as const;
  const cell = (v: unknown) => {
    const s = Array.isArray(v) ? v.join("; ") : String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  await Deno.writeTextFile(
    join(dir, REPORT_CSV),
    [cols.join(","), ...runs.map((r) => cols.map((c) => cell(r[c])).join(","))].join("\n") + "\n",
  );
  return runs;
}

/** Closed-division process counts of the checkpointing workloads. */
export const CHECKPOINT_MODELS: Record<string, { workload: string; closed: number }> = {
  "llama3-8b": { workload: "llama3_8b", closed: 8 },
  "llama3-70b": { workload: "llama3_70b", closed: 64 },
  "llama3-405b": { workload: "llama3_405b", closed: 512 },
  "llama3-1t": { workload: "llama3_1t", closed: 1024 },
};

/** The overrides of a checkpointing run on `processes` ranks (subset mode below closed). */
export function checkpointingArgs(
  model: string,
  processes: number,
  tpTimesPp: number,
): string[] {
  const m = CHECKPOINT_MODELS[model];
  if (!m) {
    throw new UserError(
      `mlperf: unknown checkpointing model '${model}' (${
        Object.keys(CHECKPOINT_MODELS).join(", ")
      })`,
    );
  }
  if (processes >= m.closed) return [];
  // Fewer processes than the closed count: each writes its share of a subset (DLIO's subset
  // mode), DP = closed / (TP · PP).
  return ["checkpoint.mode=subset", `model.parallelism.data=${m.closed / tpTimesPp}`];
}

/** TP·PP of a checkpointing model's workload: its unit of processes (with `params` applied). */
export function checkpointingUnit(model: string, params: string[] = []): number {
  const m = CHECKPOINT_MODELS[model]!;
  const p = resolveConfig({ args: [`workload=${m.workload}`, ...params] }).config.model.parallelism;
  return p.tensor * p.pipeline;
}

/** A checkpointing model on `processes` ranks: the subset-mode overrides and the config. */
export function checkpointingSetup(
  model: string,
  processes: number,
  params: string[] = [],
): { extra: string[]; config: WorkloadConfig } {
  const m = CHECKPOINT_MODELS[model]!;
  const extra = checkpointingArgs(model, processes, checkpointingUnit(model, params));
  const config = resolveConfig({ args: [`workload=${m.workload}`, ...extra, ...params] }).config;
  return { extra, config };
}

/** Mean and spread of the measured runs, rounded as the rules say. */
export function aggregateRuns(metrics: Record<string, number>[]): Record<string, number | boolean> {
  const keys = [
    "train_au_mean_percentage",
    "train_throughput_mean_samples_per_second",
    "train_io_mean_MB_per_second",
  ];
  const out: Record<string, number | boolean> = { runs: metrics.length };
  for (const k of keys) {
    const v = metrics.map((m) => Number(m[k] ?? 0));
    const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    out[k] = round2(mean);
    out[`${k}_min`] = round2(Math.min(...v));
    out[`${k}_max`] = round2(Math.max(...v));
  }
  const t = metrics.map((m) => Number(m.train_throughput_mean_samples_per_second ?? 0));
  const mean = t.reduce((a, b) => a + b, 0) / Math.max(1, t.length);
  // The rules ask for results within 5 %: the largest deviation from the mean.
  out.within_5_percent = t.every((x) => Math.abs(x - mean) <= 0.05 * mean);
  return out;
}
