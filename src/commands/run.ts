/**
 * `run` (alias `dlio`): the benchmark lifecycle. prepare (config, generate if asked, list
 * files) → train → summarise → write DLIO's files and dl-driver's report → clean up.
 * @module
 */
import { join } from "node:path";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import { DataError, UserError } from "../errors.ts";
import { codecFor } from "../formats/mod.ts";
import { generateDataset, type GenerateResult } from "../generate/generate.ts";
import { planDataset } from "../generate/plan.ts";
import { dlioPerEpochStats, dlioRankOutput, dlioSummary } from "../metrics/dlio_output.ts";
import { hostInfo } from "../metrics/host.ts";
import { buildReport, reportCsv } from "../metrics/report.ts";
import { summarize } from "../metrics/summarize.ts";
import { type StorageBackend, StorageError } from "../storage/backend.ts";
import { DirectBackend } from "../storage/direct.ts";
import { FileBackend } from "../storage/file.ts";
import { configLocation } from "../config/location.ts";
import { openBackend } from "../storage/open.ts";
import { soloComm } from "../train/comm.ts";
import { train, type TrainRecord } from "../train/loop.ts";
import { type Clock, realClock } from "../util/clock.ts";
import { progressBar } from "../util/progress.ts";
import { provenance } from "../version.ts";
import { defaultOutputDir, writeJson, writeText, writeYaml } from "./output_dir.ts";
import { formatHumanSummary } from "./summary_text.ts";

/** Options of a run. */
export interface RunOptions {
  /** Results folder (default: `output.folder`, `hydra.run.dir=`, or results/<name>/<stamp>). */
  output?: string;
  maxEpochs?: number;
  maxSteps?: number;
  quiet?: boolean;
  latencyLists?: boolean;
  visitedItems?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
}

/** What a run produced. */
export interface RunResult {
  outputDir: string;
  report: Record<string, unknown>;
  summaryText: string;
  /** The training record (absent when workflow.train is False). */
  record?: TrainRecord;
  generated?: GenerateResult;
}

/** Keys of a split's files as DLIO lists them: matching extension, sorted by name. */
export async function listSplit(
  backend: StorageBackend,
  split: string,
  ext: string,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of backend.list(split)) if (o.key.endsWith(`.${ext}`)) keys.push(o.key);
  const base = (k: string) => k.slice(k.lastIndexOf("/") + 1);
  return keys.sort((a, b) =>
    base(a) < base(b) ? -1 : base(a) > base(b) ? 1 : a < b ? -1 : a > b ? 1 : 0
  );
}

async function filesFor(
  backend: StorageBackend,
  split: "train" | "valid",
  want: number,
  ext: string,
  c: WorkloadConfig,
): Promise<string[]> {
  if (c.storage.skip_listing) {
    // MLCommons' skip_listing: names from DLIO's convention, no LIST requests.
    return planDataset(c, ext).filter((f) => f.split === split).map((f) => f.key).slice(0, want);
  }
  const files = await listSplit(backend, split, ext);
  if (files.length < want) {
    throw new DataError(
      `found ${files.length} of the ${want} ${split} files (*.${ext}) in ${backend.root}/${split}; ` +
        "generate them first (dl-driver generate <workload>, or workflow.generate_data=True)",
    );
  }
  return files.slice(0, want);
}

/**
 * The backend samples are read through: `reader.odirect` on a local path reads with O_DIRECT
 * (direct://). If the file system refuses O_DIRECT, that is an error unless
 * `reader.odirect_fallback` allows buffered reads, which the report then says.
 */
async function readBackend(
  c: WorkloadConfig,
  backend: StorageBackend,
  probeKey: string,
  log: (s: string) => void,
): Promise<{ backend: StorageBackend; fallback: boolean }> {
  let reader = backend;
  if (c.reader.odirect && backend instanceof FileBackend) reader = new DirectBackend(backend.dir);
  if (!reader.capabilities.directIO) return { backend: reader, fallback: false };
  try {
    await reader.getRange(probeKey, 0, 1);
    return { backend: reader, fallback: false };
  } catch (e) {
    const refused = e instanceof StorageError && /refuses O_DIRECT/.test(e.message);
    if (!refused || !c.reader.odirect_fallback) throw e;
    const dir = reader instanceof DirectBackend ? reader.path("") : backend.root;
    log(`warning: ${e.message}; reading buffered instead (reader.odirect_fallback is True)`);
    return { backend: new FileBackend(dir), fallback: true };
  }
}

/** Run a resolved workload. */
export async function runWorkload(rc: ResolvedConfig, opts: RunOptions = {}): Promise<RunResult> {
  const c: WorkloadConfig = rc.config;
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? ((s: string) => console.error(s));
  const t0 = performance.now();
  const wallStart = clock.wallNow();
  if (!c.workflow.train && !c.workflow.generate_data) {
    throw new UserError(
      c.workflow.checkpoint
        ? "checkpoint-only mode (workflow.train: False, checkpoint: True) is not implemented yet"
        : "nothing to do: workflow.train and workflow.generate_data are both False",
    );
  }
  let generated: GenerateResult | undefined;
  if (c.workflow.generate_data) {
    generated = await generateDataset(c, { quiet: opts.quiet, signal: opts.signal, log });
    log(
      `generate: ${generated.written} written, ${generated.skipped} already complete, ` +
        `${(generated.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${
          generated.seconds.toFixed(2)
        } s → ${generated.location}`,
    );
  }
  const outputDir = opts.output ?? rc.runDir ?? c.output.folder ??
    defaultOutputDir(c.model.name, wallStart);
  const codec = await codecFor(c.dataset.format);
  const location = configLocation(c);
  const backend = await openBackend(location, { storageOptions: c.storage.storage_options });
  if (!c.workflow.train) {
    return {
      outputDir,
      report: { generation: generated },
      summaryText: "",
      generated,
    };
  }
  const trainFiles = await filesFor(
    backend,
    "train",
    c.dataset.num_files_train,
    codec.extension,
    c,
  );
  const evalFiles = c.workflow.evaluation && c.dataset.num_files_eval > 0
    ? await filesFor(backend, "valid", c.dataset.num_files_eval, codec.extension, c)
    : [];

  const reader = await readBackend(c, backend, trainFiles[0]!, log);

  let bar = progressBar("train", 1, "steps", { quiet: true });
  let barEpoch = 0;
  const record = await train({
    config: c,
    backend: reader.backend,
    codec,
    trainFiles,
    evalFiles,
    clock,
    comm: soloComm,
    maxEpochs: opts.maxEpochs,
    maxSteps: opts.maxSteps,
    keepVisited: opts.visitedItems,
    signal: opts.signal,
    onStep: (i) => {
      if (i.phase !== "train") return;
      if (i.epoch !== barEpoch) {
        bar.stop();
        barEpoch = i.epoch;
        bar = progressBar(`epoch ${i.epoch}/${c.train.epochs}`, i.steps, "steps", {
          quiet: opts.quiet,
          extra: " | {sps} samples/s | {mbps} MiB/s",
        });
      }
      const s = Math.max(i.elapsedMs / 1000, 1e-6);
      bar.update(i.step, {
        sps: (i.samples / s).toFixed(1),
        mbps: (i.bytes / 2 ** 20 / s).toFixed(1),
      });
    },
  });
  bar.stop();
  const wallEnd = clock.wallNow();
  const host = hostInfo();
  const summary = summarize(record, c, soloComm.size);
  const ctx = { ranks: soloComm.size, hosts: 1, host, wallStart, wallEnd };
  const report = buildReport(c, summary, record, {
    backendType: reader.backend.type,
    odirectFallback: reader.fallback,
    backendSdk: reader.backend.sdk,
    dataFolder: backend.root,
    ranks: soloComm.size,
    totalSeconds: (performance.now() - t0) / 1000,
    provenance: { ...provenance(), config_file: rc.sourceFile, overrides: rc.overrides },
    latencyLists: opts.latencyLists ?? false,
    visitedItems: opts.visitedItems ?? false,
    outputFolder: outputDir,
    generated: generated && {
      written: generated.written,
      skipped: generated.skipped,
      bytes_written: generated.bytesWritten,
      seconds: generated.seconds,
      storage_retries: generated.retries,
    },
  });
  const summaryText = formatHumanSummary(c, summary, report, outputDir);
  await writeJson(join(outputDir, "summary.json"), dlioSummary(c, summary, record, ctx));
  await writeJson(join(outputDir, "0_per_epoch_stats.json"), dlioPerEpochStats(record));
  await writeJson(join(outputDir, "0_output.json"), dlioRankOutput(c, record, ctx));
  await writeYaml(join(outputDir, "dlio_config", "config.yaml"), { workload: c });
  await writeYaml(join(outputDir, "dlio_config", "overrides.yaml"), rc.overrides);
  await writeJson(join(outputDir, "report.json"), report);
  await writeText(join(outputDir, "report.csv"), reportCsv(report));
  await writeText(join(outputDir, c.output.log_file), summaryText);
  if (!c.dataset.keep_files) {
    await backend.deletePrefix("train");
    await backend.deletePrefix("valid");
    log(`keep_files is False: deleted the dataset in ${backend.root}`);
  }
  await backend.close();
  return { outputDir, report, summaryText, record, generated };
}
