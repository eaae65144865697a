/**
 * The files a run writes: per rank (DLIO's `<rank>_per_epoch_stats.json`, `<rank>_output.json`,
 * traces) and, on rank 0, the job's (summary.json, dlio_config/, report.json/csv/html, the log).
 * @module
 */
import { join } from "node:path";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import {
  dlioPerEpochStats,
  dlioRankOutput,
  dlioSummary,
  type RunContext,
} from "../metrics/dlio_output.ts";
import { htmlReport } from "../metrics/html.ts";
import type { TrainRecord } from "../metrics/records.ts";
import { reportCsv } from "../metrics/report.ts";
import type { RunSummary } from "../metrics/summarize.ts";
import { pfw, traceEvents } from "../metrics/trace.ts";
import { writeJson, writeText } from "./output_dir.ts";
import { stepSpoolPath, writeJsonWithSteps } from "./step_spool.ts";
import { writeDlioConfig } from "./dlio_config.ts";

/**
 * Write each of this process's ranks' files (the per-step lists of `<rank>_output.json` from
 * the rank's step spool). `final`: the run is over, so the spools are removed.
 */
export async function writeRankFiles(
  dir: string,
  c: WorkloadConfig,
  local: TrainRecord[],
  ctx: RunContext,
  opts: { trace: boolean; final: boolean; signal?: AbortSignal },
): Promise<void> {
  for (const rec of local) {
    opts.signal?.throwIfAborted();
    await writeJson(join(dir, `${rec.rank}_per_epoch_stats.json`), dlioPerEpochStats(rec));
    const spool = stepSpoolPath(dir, rec.rank);
    const has = await Deno.stat(spool).then(() => true, () => false);
    const out = join(dir, `${rec.rank}_output.json`);
    await writeJsonWithSteps(
      out,
      dlioRankOutput(c, rec, ctx),
      has ? spool : undefined,
      opts.signal,
    );
    if (opts.final && has) await Deno.remove(spool);
    if (opts.trace) {
      await writeText(join(dir, `trace-${rec.rank}-of-${ctx.ranks}.pfw`), pfw(traceEvents(rec)));
    }
  }
}

/** What the job's files are made of. */
export interface JobFiles {
  rc: ResolvedConfig;
  summary: RunSummary;
  records: TrainRecord[];
  ctx: RunContext;
  report: Record<string, unknown>;
  summaryText: string;
  /** Why the results are incomplete (a failure, a signal, or a run still going); absent: complete. */
  incomplete?: string;
  /** Keys the tool set for itself (not listed as overrides). */
  toolKeys?: string[];
}

/** Write the job's files (rank 0). */
export async function writeJobFiles(dir: string, f: JobFiles): Promise<void> {
  const c = f.rc.config;
  // DLIO's files first: a failure writing dl-driver's report never loses them.
  const summary = dlioSummary(c, f.summary, f.records[0]!, f.ctx);
  const marked = f.incomplete === undefined
    ? summary
    : { ...summary, incomplete: true, incomplete_reason: f.incomplete };
  await writeJson(join(dir, "summary.json"), marked);
  await writeDlioConfig(dir, f.rc, f.toolKeys);
  await writeJson(join(dir, "report.json"), f.report);
  await writeText(join(dir, "report.csv"), reportCsv(f.report));
  await writeText(join(dir, "report.html"), htmlReport(c, f.summary, f.records, f.report, f.ctx));
  await writeText(join(dir, c.output.log_file), f.summaryText);
}
