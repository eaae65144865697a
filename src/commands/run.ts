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
import { dlioPerEpochStats, dlioRankOutput, dlioSummary } from "../metrics/dlio_output.ts";
import { hostInfo, type ProcessUsage, processUsage } from "../metrics/host.ts";
import { buildReport, reportCsv } from "../metrics/report.ts";
import { summarize } from "../metrics/summarize.ts";
import { pfw, traceEvents } from "../metrics/trace.ts";
import { htmlReport } from "../metrics/html.ts";
import { type StorageBackend, StorageError } from "../storage/backend.ts";
import { DirectBackend } from "../storage/direct.ts";
import { FileBackend } from "../storage/file.ts";
import { checkpointLocation, configLocation } from "../config/location.ts";
import type { Checkpointer } from "../checkpoint/checkpoint.ts";
import { PluginHost } from "../train/plugins.ts";
import { SampleEvents } from "../metrics/recorder.ts";
import { profileFor } from "../loader/profile.ts";
import { openBackend } from "../storage/open.ts";
import { type Comm, LocalGroup, type ProcessComm, soloProcess } from "../train/comm.ts";
import { makeExecutor, train, type TrainSetup } from "../train/loop.ts";
import { fileKey } from "../generate/plan.ts";
import type { HostInfo } from "../metrics/host.ts";
import { type Clock, realClock } from "../util/clock.ts";
import { progressBar } from "../util/progress.ts";
import { provenance } from "../version.ts";
import { defaultOutputDir, writeJson, writeText, writeYaml } from "./output_dir.ts";
import { formatHumanSummary } from "./summary_text.ts";
import {
  type BackendStats,
  type CheckpointEvent,
  recordFromData,
  recordToData,
  type StepInfo,
  type TrainRecord,
  type TrainRecordData,
} from "../metrics/records.ts";
import { type FileKeys, keyList } from "../loader/files.ts";

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
  /** Emulated accelerators in this process (each a rank with its own loader and timeline). */
  accelerators?: number;
  /** Reader threads of the process's shared I/O engine (default read_threads × accelerators). */
  ioThreads?: number;
  /** The job's process communicator (MPI), default: this process alone. */
  process?: ProcessComm;
  /** Write a Chrome trace per rank (`trace-<rank>-of-<ranks>.pfw`). */
  trace?: boolean;
}

/** What a run produced. */
export interface RunResult {
  outputDir: string;
  report: Record<string, unknown>;
  summaryText: string;
  /** The training record of this process's first rank (absent when workflow.train is False). */
  record?: TrainRecord;
  /** The records of this process's ranks. */
  records?: TrainRecord[];
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

/**
 * A split's files. Names are derived from DLIO's convention (no list held in memory, so a
 * 10 M-file dataset costs a bitset) when `storage.skip_listing` is set, or when the listing
 * holds exactly the derived names; otherwise the sorted listing is kept, as DLIO does.
 */
async function filesFor(
  backend: StorageBackend,
  split: "train" | "valid",
  want: number,
  ext: string,
  c: WorkloadConfig,
): Promise<FileKeys> {
  const d = c.dataset;
  const sub = split === "train" ? d.num_subfolders_train : d.num_subfolders_eval;
  const derived: FileKeys = {
    length: want,
    key: (i) => fileKey(split, d.file_prefix, i, want, ext, sub),
  };
  if (c.storage.skip_listing) return derived;
  // One streamed pass: derived names tick a bitset; anything else means a foreign layout.
  const seen = new Uint8Array(Math.ceil(want / 8));
  const re = new RegExp(
    `^${split}/(?:\\d+/)?${
      d.file_prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    }_(\\d+)_of_${want}\\.${ext}$`,
  );
  let found = 0, foreign = 0;
  for await (const o of backend.list(split)) {
    if (!o.key.endsWith(`.${ext}`)) continue;
    const m = re.exec(o.key);
    const i = m ? Number(m[1]) : -1;
    if (i >= 0 && i < want && derived.key(i) === o.key && !(seen[i >> 3]! & (1 << (i & 7)))) {
      seen[i >> 3] = seen[i >> 3]! | (1 << (i & 7));
      found++;
    } else foreign++;
  }
  if (found === want && foreign === 0) return derived;
  const files = await listSplit(backend, split, ext);
  if (files.length < want) {
    throw new DataError(
      `found ${files.length} of the ${want} ${split} files (*.${ext}) in ${backend.root}/${split}; ` +
        "generate them first (dl-driver generate <workload>, or workflow.generate_data=True)",
    );
  }
  return keyList(files.slice(0, want));
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
  const checkpointOnly = !c.workflow.train && c.workflow.checkpoint;
  if (!c.workflow.train && !c.workflow.generate_data && !checkpointOnly) {
    throw new UserError("nothing to do: workflow.train and workflow.generate_data are both False");
  }
  let generated: GenerateResult | undefined;
  const proc0 = opts.process ?? soloProcess;
  if (c.workflow.generate_data && proc0.rank === 0) {
    generated = await generateDataset(c, { quiet: opts.quiet, signal: opts.signal, log });
    log(
      `generate: ${generated.written} written, ${generated.skipped} already complete, ` +
        `${(generated.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${
          generated.seconds.toFixed(2)
        } s → ${generated.location}`,
    );
  }
  // Other processes wait for rank 0's data; every process uses rank 0's output folder name.
  await proc0.barrier();
  const outputDir = new TextDecoder().decode(
    await proc0.broadcast(
      new TextEncoder().encode(
        opts.output ?? rc.runDir ?? c.output.folder ?? defaultOutputDir(c.model.name, wallStart),
      ),
    ),
  );
  const codec = await codecFor(c.dataset.format);
  const location = configLocation(c);
  const backend = await openBackend(location, { storageOptions: c.storage.storage_options });
  if (!c.workflow.train && !checkpointOnly) {
    return {
      outputDir,
      report: { generation: generated },
      summaryText: "",
      generated,
    };
  }
  const proc = opts.process ?? soloProcess;
  const n = Math.max(1, Math.floor(opts.accelerators ?? 1));
  const group = new LocalGroup(n, proc);
  const checkpointing = c.workflow.checkpoint || c.checkpoint.enabled;
  const ckBackend = checkpointing
    ? await openBackend(checkpointLocation(c), { storageOptions: c.storage.storage_options })
    : undefined;
  if (checkpointing) checkGeometry(c, n * proc.size);
  // What every ending of the run (checkpoint-only or training) passes to finishRun.
  const job = { rc, opts, c, proc, n, outputDir, wallStart, t0, generated, log };
  // Loaded only when used (its CRC-32C addon needs more permissions than a plain run).
  const ckMod = checkpointing ? await import("../checkpoint/checkpoint.ts") : undefined;
  const plugMod = checkpointing ? await import("../checkpoint/plugin.ts") : undefined;
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
  // One rank failed: release the others (no hang at a barrier), keep the first error.
  const rankFailed = (e: unknown): never => {
    group.fail(e);
    abort.abort(e);
    throw e;
  };
  const checkpointer = (comm: Comm) =>
    new ckMod!.Checkpointer({ config: c, backend: ckBackend!, comm, clock, signal });
  if (checkpointOnly) {
    const local = await Promise.all(
      group.members.map((comm) =>
        runCheckpointOnly(c, checkpointer(comm), comm, clock).catch(rankFailed)
      ),
    );
    return await finishRun({
      ...job,
      local,
      backendType: ckBackend!.type,
      backendSdk: ckBackend!.sdk,
      dataFolder: ckBackend!.root,
      storage: ckBackend!.stats?.() ?? { requests: 0, retries: 0 },
      ioThreads: 0,
      fallback: false,
      cleanup: async () => await ckBackend!.close(),
    });
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
    : keyList([]);

  const reader = await readBackend(c, backend, trainFiles.key(0), log);

  // N emulated accelerators in this process, sharing one I/O engine; P processes (MPI).
  const perRank = Math.max(1, c.reader.read_threads);
  const ioThreads = c.reader.read_threads === 0
    ? 0
    : Math.max(1, opts.ioThreads ?? c.reader.read_threads * n);
  const setup = (comm: Comm): TrainSetup => ({
    config: c,
    backend: reader.backend,
    codec,
    trainFiles,
    evalFiles,
    clock,
    comm,
    maxEpochs: opts.maxEpochs,
    maxSteps: opts.maxSteps,
    keepVisited: opts.visitedItems || opts.trace,
    signal,
  });
  const executor = makeExecutor(setup(group.members[0]!), ioThreads || n);

  let bar = progressBar("train", 1, "steps", { quiet: true });
  let barEpoch = 0;
  const onStep = (i: StepInfo) => {
    if (i.phase !== "train") return;
    if (i.epoch !== barEpoch) {
      bar.stop();
      barEpoch = i.epoch;
      bar = progressBar(`epoch ${i.epoch}/${c.train.epochs}`, i.steps, "steps", {
        quiet: opts.quiet || proc.rank !== 0,
        extra: " | {sps} samples/s | {mbps} MiB/s | AU {au}%" +
          (n * proc.size > 1 ? " (rank 0)" : ""),
      });
    }
    const s = Math.max(i.elapsedMs / 1000, 1e-6);
    bar.update(i.step, {
      sps: (i.samples / s).toFixed(1),
      mbps: (i.bytes / 2 ** 20 / s).toFixed(1),
      au: (i.elapsedMs > 0 ? (100 * i.computeMs) / i.elapsedMs : 0).toFixed(1),
    });
  };
  let local: TrainRecord[];
  let storage: BackendStats;
  const cpu0 = processUsage().cpuSeconds;
  try {
    local = await Promise.all(group.members.map((comm, i) => {
      const saves: CheckpointEvent[] = [];
      const plugins = new PluginHost(
        checkpointing ? [plugMod!.checkpointPlugin(c, checkpointer(comm), comm, saves)] : [],
      );
      return train({
        ...setup(comm),
        executor,
        readerBase: i * perRank,
        plugins,
        onStep: i === 0 ? onStep : undefined,
      }).then((rec) => ({ ...rec, checkpoints: saves })).catch(rankFailed);
    }));
  } finally {
    bar.stop();
    storage = await executor.close();
  }
  const result = await finishRun({
    ...job,
    local,
    cpu0,
    backendType: reader.backend.type,
    backendSdk: reader.backend.sdk,
    dataFolder: backend.root,
    storage,
    ioThreads,
    fallback: reader.fallback,
    cleanup: async () => {
      if (!c.dataset.keep_files && proc.rank === 0) {
        await backend.deletePrefix("train");
        await backend.deletePrefix("valid");
        log(`keep_files is False: deleted the dataset in ${backend.root}`);
      }
      await backend.close();
      await ckBackend?.close();
    },
  });
  return result;
}

/** What the end of a run needs. */
interface Finish {
  rc: ResolvedConfig;
  opts: RunOptions;
  c: WorkloadConfig;
  proc: ProcessComm;
  n: number;
  local: TrainRecord[];
  outputDir: string;
  wallStart: number;
  t0: number;
  cpu0?: number;
  generated?: GenerateResult;
  log: (s: string) => void;
  backendType: string;
  backendSdk?: string;
  dataFolder: string;
  storage: BackendStats;
  ioThreads: number;
  fallback: boolean;
  cleanup: () => Promise<void>;
}

/**
 * Per-rank files from every process; rank 0 gathers every process's records, host facts and
 * storage counts and writes the job's summary and report.
 */
async function finishRun(f: Finish): Promise<RunResult> {
  const { c, proc, local, outputDir, wallStart, opts, rc, generated } = f;
  const clock = opts.clock ?? realClock;
  const wallEnd = clock.wallNow();
  const host = hostInfo();
  const ctxLocal = { ranks: f.n * proc.size, hosts: 1, host, wallStart, wallEnd };
  for (const rec of local) {
    await writeJson(join(outputDir, `${rec.rank}_per_epoch_stats.json`), dlioPerEpochStats(rec));
    await writeJson(join(outputDir, `${rec.rank}_output.json`), dlioRankOutput(c, rec, ctxLocal));
    if (opts.trace) {
      await writeText(
        join(outputDir, `trace-${rec.rank}-of-${f.n * proc.size}.pfw`),
        pfw(traceEvents(rec)),
      );
    }
  }
  // CPU of the training (all threads of this process: loop, readers, decoders).
  const now = processUsage();
  const usage = { ...now, cpuSeconds: now.cpuSeconds - (f.cpu0 ?? 0) };
  const payload = new TextEncoder().encode(JSON.stringify({
    records: local.map(recordToData),
    host,
    storage: f.storage,
    usage,
  }));
  const parts = (await proc.gather(payload)).map((p) =>
    JSON.parse(new TextDecoder().decode(p)) as {
      records: TrainRecordData[];
      host: HostInfo;
      storage: BackendStats;
      usage: ProcessUsage;
    }
  );
  let report: Record<string, unknown> = {};
  let summaryText = "";
  if (proc.rank === 0) {
    const records = parts.flatMap((p) => p.records.map(recordFromData));
    const nodes = [...new Map(parts.map((p) => [p.host.hostname, p.host])).values()];
    const jobStorage = parts.reduce(
      (a, p) => ({
        requests: a.requests + p.storage.requests,
        retries: a.retries + p.storage.retries,
      }),
      { requests: 0, retries: 0 },
    );
    const summary = summarize(records, c);
    const ranks = records.length;
    const ctx = { ranks, hosts: nodes.length, host, nodes, wallStart, wallEnd };
    report = buildReport(c, summary, records, {
      backendType: f.backendType,
      odirectFallback: f.fallback,
      backendSdk: f.backendSdk,
      dataFolder: f.dataFolder,
      ranks,
      processes: proc.size,
      acceleratorsPerProcess: f.n,
      comm: proc.kind,
      ioThreads: f.ioThreads,
      storage: jobStorage,
      usage: parts.map((p) => p.usage),
      totalSeconds: (performance.now() - f.t0) / 1000,
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
    summaryText = formatHumanSummary(c, summary, report, outputDir);
    await writeJson(join(outputDir, "summary.json"), dlioSummary(c, summary, records[0]!, ctx));
    await writeYaml(join(outputDir, "dlio_config", "config.yaml"), { workload: c });
    await writeYaml(join(outputDir, "dlio_config", "overrides.yaml"), rc.overrides);
    await writeJson(join(outputDir, "report.json"), report);
    await writeText(join(outputDir, "report.csv"), reportCsv(report));
    await writeText(join(outputDir, "report.html"), htmlReport(c, summary, records, report));
    await writeText(join(outputDir, c.output.log_file), summaryText);
  }
  await proc.barrier();
  await f.cleanup();
  return { outputDir, report, summaryText, record: local[0], records: local, generated };
}

/** In checkpoint-only mode each world size must split into TP × PP groups (DLIO's rule). */
function checkGeometry(c: WorkloadConfig, world: number): void {
  const m = c.model, mp = m.parallelism.tensor * m.parallelism.pipeline;
  if (m.type === "transformer" && c.checkpoint.mode !== "subset" && world % mp !== 0) {
    throw new UserError(
      `model.parallelism: ${world} ranks are not a multiple of TP × PP = ${mp} ` +
        "(use a multiple of it, or checkpoint.mode: subset with parallelism.data)",
    );
  }
}

/**
 * Checkpoint-only mode (DLIO's `workflow.train: False, checkpoint: True`): write
 * `num_checkpoints_write` checkpoints (sleep `time_between_checkpoints`, barrier, save), then
 * restore `num_checkpoints_read` of them, each after a barrier.
 */
async function runCheckpointOnly(
  c: WorkloadConfig,
  ck: Checkpointer,
  comm: Comm,
  clock: Clock,
): Promise<TrainRecord> {
  const events: CheckpointEvent[] = [];
  const ckc = c.checkpoint;
  for (let i = 1; i <= ckc.num_checkpoints_write; i++) {
    if (ckc.time_between_checkpoints > 0) await clock.sleep(ckc.time_between_checkpoints * 1000);
    await comm.barrier();
    events.push(await ck.save(1, i));
  }
  for (let i = 1; i <= ckc.num_checkpoints_read; i++) {
    await comm.barrier();
    events.push(await ck.load(1, i));
  }
  const profile = profileFor(c);
  return {
    epochs: [],
    startMs: events[0]?.startMs ?? clock.now(),
    endMs: clock.now(),
    wallStart: events[0]?.wallStart ?? clock.wallNow(),
    wallEnd: clock.wallNow(),
    trainEvents: new SampleEvents(),
    evalEvents: new SampleEvents(),
    randomSeed: 0,
    slotBytes: 0,
    storage: { requests: 0, retries: 0 },
    rank: comm.rank,
    profile: { name: profile.name, sampler: profile.sampler, access_order: profile.accessOrder },
    loader: { maxOutstanding: 0, maxBatchesAhead: 0 },
    checkpoints: events,
  };
}
