/**
 * dl-driver's own report (`report.json`, `report.csv`) with the field names of the spec:
 * measured per-stage percentiles, real byte counts, access order, provenance.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { redact } from "../util/redact.ts";
import { type ReportContext, reportFrom } from "./fields.ts";
import type { RunSummary } from "./summarize.ts";
import type { TrainRecord } from "./records.ts";

export type { ReportContext } from "./fields.ts";

/** Build the report object from the field table (fields.ts). Scalars first (they also go to
 * the CSV). */
export function buildReport(
  c: WorkloadConfig,
  s: RunSummary,
  recs: TrainRecord | TrainRecord[],
  ctx: ReportContext,
): Record<string, unknown> {
  // No credential reaches report.json, report.csv, report.html or --json.
  return redact(reportFrom({ c, s, all: Array.isArray(recs) ? recs : [recs], ctx }));
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The scalar fields of a report as CSV: a header row and one data row. */
export function reportCsv(report: Record<string, unknown>): string {
  const keys = Object.keys(report).filter((k) => {
    const v = report[k];
    return v === null || ["string", "number", "boolean"].includes(typeof v);
  });
  keys.push("access_order_sample");
  const row = keys.map((k) =>
    csvCell(Array.isArray(report[k]) ? (report[k] as unknown[]).join(" ") : report[k])
  );
  return keys.map(csvCell).join(",") + "\n" + row.join(",") + "\n";
}
