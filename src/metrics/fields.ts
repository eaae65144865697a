/**
 * The one table of report fields: name, unit, how it aggregates over ranks and processes, what
 * it means, and how it is computed. `report.json`/`report.csv`, `compare`, the text summary's
 * labels and the field table in docs/metrics.md are all produced from it.
 * @module
 */
import type { FieldInputs, ReportField } from "./field_def.ts";
import {
  CHECKPOINT_FIELDS,
  DETAIL_FIELDS,
  LATENCY_FIELDS,
  PAGE_CACHE_FIELDS,
} from "./fields_detail.ts";
import { RUN_FIELDS } from "./fields_run.ts";

export type { Aggregation, FieldInputs, ReportContext, ReportField } from "./field_def.ts";

/** Every report field, in report order. */
export const REPORT_FIELDS: readonly ReportField[] = [
  ...RUN_FIELDS,
  ...LATENCY_FIELDS,
  ...CHECKPOINT_FIELDS,
  ...PAGE_CACHE_FIELDS,
  ...DETAIL_FIELDS,
];

/** A field by name (throws for a name that is not in the table: a programming error). */
export function fieldOf(name: string): ReportField {
  const fd = REPORT_FIELDS.find((x) => x.name === name);
  if (!fd) throw new Error(`no report field ${name}`);
  return fd;
}

/** The report as an object, field by field. */
export function reportFrom(x: FieldInputs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fd of REPORT_FIELDS) if (!fd.when || fd.when(x)) out[fd.name] = fd.value(x);
  return out;
}

/** The field table of docs/metrics.md (between its report-fields markers). */
export function fieldsDoc(): string {
  const rows = REPORT_FIELDS.map((x) =>
    `| \`${x.name}\` | ${x.unit} | ${x.aggregation} | ${x.description} |`
  );
  return ["| field | unit | over ranks | meaning |", "| --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}
