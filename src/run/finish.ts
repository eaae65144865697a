/**
 * The last step of a run: every process writes its ranks' files; rank 0 gathers every process's
 * records, host facts and storage counts (fixed-size JSON per process), summarises once, writes
 * the job's files; then everyone cleans up.
 * @module
 */
import type { HostInfo, ProcessUsage } from "../metrics/host.ts";
import {
  type BackendStats,
  recordFromData,
  recordToData,
  type TrainRecordData,
} from "../metrics/records.ts";
import { buildReport } from "../metrics/report.ts";
import { summarize } from "../metrics/summarize.ts";
import { formatHumanSummary } from "../metrics/summary_text.ts";
import type { RunResult } from "./options.ts";
import type { Job, Prepared } from "./prepare.ts";
import { writeJobFiles, writeRankFiles } from "./results.ts";
import { removeStepSpools } from "./step_spool.ts";
import type { Started } from "./start.ts";

/** What each process sends to rank 0. */
interface ProcessPart {
  records: TrainRecordData[];
  host: HostInfo;
  storage: BackendStats;
  usage: ProcessUsage;
}

/** This process's part: its ranks' records (fixed-size data), host, storage counts, CPU. */
function localPart(job: Job, s: Started, host: HostInfo): ProcessPart {
  // CPU of the training (all threads of this process: loop, readers, decoders).
  const now = job.deps.usage();
  const usage = { ...now, cpuSeconds: now.cpuSeconds - (s.cpu0 ?? 0) };
  return { records: s.local.map(recordToData), host, storage: s.storage, usage };
}

/** Gather every process's part on rank 0 (others get an empty list). */
async function gatherParts(job: Job, s: Started, host: HostInfo): Promise<ProcessPart[]> {
  const mine = localPart(job, s, host);
  const parts = await job.proc.gather(new TextEncoder().encode(JSON.stringify(mine)));
  return parts.map((p) => JSON.parse(new TextDecoder().decode(p)) as ProcessPart);
}

/** Rank 0: summarise the job and write its files. */
async function writeJob(
  job: Job,
  s: Started,
  parts: ProcessPart[],
  host: HostInfo,
  wallEnd: number,
  incomplete?: string,
): Promise<{ report: Record<string, unknown>; summaryText: string }> {
  const { c, opts, outputDir, generated } = job;
  const records = parts.flatMap((p) => p.records.map(recordFromData));
  const nodes = [...new Map(parts.map((p) => [p.host.hostname, p.host])).values()];
  const sum = (k: keyof BackendStats) => parts.reduce((a, p) => a + p.storage[k], 0);
  const summary = summarize(records, c);
  const ranks = records.length;
  const ctx = { ranks, hosts: nodes.length, host, nodes, wallStart: job.wallStart, wallEnd };
  const report = buildReport(c, summary, records, {
    backendType: s.backend.type,
    odirectFallback: s.fallback,
    backendSdk: s.backend.sdk,
    dataFolder: s.dataFolder,
    ranks,
    processes: job.proc.size,
    acceleratorsPerProcess: job.n,
    comm: job.proc.kind,
    ioThreads: s.ioThreads,
    storage: { requests: sum("requests"), retries: sum("retries") },
    usage: parts.map((p) => p.usage),
    totalSeconds: job.elapsed() / 1000,
    incomplete,
    provenance: job.deps.provenance(job.rc),
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
  await writeJobFiles(outputDir, {
    rc: job.rc,
    toolKeys: opts.toolKeys,
    summary,
    records,
    ctx,
    report,
    summaryText,
    incomplete,
  });
  return { report, summaryText };
}

/** Close what the run opened; `keep_files: False` deletes the dataset (rank 0). */
async function cleanup(p: Exclude<Prepared, { kind: "generate" }>): Promise<void> {
  if (p.kind === "checkpoint") {
    await p.checkpoint.backend.close();
    return;
  }
  const { c, proc, deps } = p.job;
  if (!c.dataset.keep_files && proc.rank === 0) {
    await p.backend.deletePrefix("train");
    await p.backend.deletePrefix("valid");
    deps.log(`keep_files is False: deleted the dataset in ${p.backend.root}`);
  }
  await p.backend.close();
  await p.checkpoint?.backend.close();
}

/** Write every file of the run and clean up. */
export async function finish(
  p: Exclude<Prepared, { kind: "generate" }>,
  s: Started,
): Promise<RunResult> {
  const job = p.job;
  const wallEnd = job.deps.clock(job.proc.rank * job.n).wallNow();
  const host = job.deps.host();
  const ctxLocal = {
    ranks: job.n * job.proc.size,
    hosts: 1,
    host,
    wallStart: job.wallStart,
    wallEnd,
  };
  const trace = job.opts.trace ?? false;
  // A signal stops the report phase too (the last epoch's results are already on disk).
  const signal = job.deps.signal;
  await writeRankFiles(job.outputDir, job.c, s.local, ctxLocal, { trace, final: true, signal })
    .finally(() => removeStepSpools(job.outputDir, s.local.map((r) => r.rank)));
  signal?.throwIfAborted();
  // Every process arrives before the gather (a missing one is named, not waited for forever).
  await job.proc.barrier();
  const parts = await gatherParts(job, s, host);
  const out = job.proc.rank === 0
    ? await writeJob(job, s, parts, host, wallEnd)
    : { report: {}, summaryText: "" };
  await job.proc.barrier();
  await cleanup(p);
  return {
    outputDir: job.outputDir,
    ...out,
    record: s.local[0],
    records: s.local,
    generated: job.generated,
  };
}

/**
 * Results so far, from this process alone (no MPI gather: other processes may be gone): its
 * ranks' files, and on rank 0 the job's files marked incomplete with the reason. Written after
 * every epoch (`running: …`, not `final`) and when a failure or a signal stops the run.
 */
export async function writeIncomplete(
  p: Exclude<Prepared, { kind: "generate" }>,
  s: Started,
  reason: string,
  final = true,
): Promise<void> {
  const job = p.job;
  if (s.local.length === 0) {
    // Nothing completed: no files, and no step spool left behind.
    if (final) await removeStepSpools(job.outputDir, p.group.members.map((m) => m.rank));
    return;
  }
  const wallEnd = job.deps.clock(job.proc.rank * job.n).wallNow();
  const host = job.deps.host();
  const ranks = job.n * job.proc.size;
  const ctxLocal = { ranks, hosts: 1, host, wallStart: job.wallStart, wallEnd };
  const trace = job.opts.trace ?? false;
  try {
    await writeRankFiles(job.outputDir, job.c, s.local, ctxLocal, { trace, final });
  } finally {
    // Even when the files cannot be written (a full disk), no spool is left behind.
    if (final) await removeStepSpools(job.outputDir, p.group.members.map((m) => m.rank));
  }
  if (job.proc.rank !== 0) return;
  const why = job.proc.size > 1 ? `${reason} (this process's ranks only)` : reason;
  await writeJob(job, s, [localPart(job, s, host)], host, wallEnd, why);
}
