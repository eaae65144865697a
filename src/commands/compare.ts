/**
 * `compare A B ...`: runs side by side (results folders or report.json files), each value with
 * its ratio to the first run, for before/after and backend-vs-backend comparisons. And
 * `--csv-append FILE`: one row per run appended to a CSV for spreadsheets.
 * @module
 */
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { REPORT_FIELDS } from "../metrics/fields.ts";
import { reportCsv } from "../metrics/report.ts";

/** A run to compare: its label and its report. */
export interface ComparedRun {
  label: string;
  report: Record<string, unknown>;
}

/** The rows of a comparison: the report fields marked for it, in their order (fields.ts). */
const ROWS = REPORT_FIELDS.flatMap((f) =>
  f.compare ? [{ ...f.compare, name: f.name, unit: f.unit }] : []
)
  .sort((a, b) => a.at - b.at)
  .map((r) => [r.name, r.unit, r.better ?? ""] as const);

/** Read a run from a results folder or a report.json path. */
export async function loadRun(path: string): Promise<ComparedRun> {
  let file = path;
  try {
    if ((await Deno.stat(path)).isDirectory) file = join(path, "report.json");
  } catch {
    throw new UserError(`compare: ${path}: no such results folder or report file`, 2);
  }
  try {
    return { label: path, report: JSON.parse(await Deno.readTextFile(file)) };
  } catch (e) {
    throw new UserError(
      `compare: ${file}: not a dl-driver report (${(e as Error).message.split("\n")[0]})`,
      2,
    );
  }
}

function fmt(v: unknown): string {
  if (typeof v !== "number") return v === undefined || v === null ? "-" : String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

/** One compared field: its values per run and each other run's ratio to the first. */
export interface ComparedField {
  field: string;
  unit: string;
  better?: "higher" | "lower";
  /** Per run: the number (or text) reported, null when the run lacks it. */
  values: (number | string | null)[];
  /** Per run after the first: value ÷ the first run's value, null when not a number. */
  ratios: (number | null)[];
}

/** The comparison as data (numbers stay numbers: `compare --json`). */
export function compareFields(runs: ComparedRun[]): ComparedField[] {
  const out: ComparedField[] = [];
  for (const [field, unit, better] of ROWS) {
    const vals = runs.map((r) => r.report[field]);
    if (vals.every((v) => v === undefined || v === null)) continue;
    const base = vals[0];
    out.push({
      field,
      unit,
      ...(better && { better }),
      values: vals.map((v) => typeof v === "number" || typeof v === "string" ? v : null),
      ratios: vals.slice(1).map((v) =>
        typeof v === "number" && typeof base === "number" && base !== 0 ? v / base : null
      ),
    });
  }
  return out;
}

/** The comparison as text rows (field, unit, value per run, ratio to the first per other run). */
export function compareRows(runs: ComparedRun[]): string[][] {
  return compareFields(runs).map((f) => [
    f.field + (f.better ? (f.better === "higher" ? " ↑" : " ↓") : ""),
    f.unit,
    ...f.values.map(fmt),
    ...f.ratios.map((r) => r === null ? "" : `${r.toFixed(2)}×`),
  ]);
}

/** The comparison as an aligned text table. */
export function compareTable(runs: ComparedRun[]): string {
  const header = [
    "field (↑ higher is better)",
    "unit",
    ...runs.map((_, i) => `run ${String.fromCharCode(65 + i)}`),
    ...runs.slice(1).map((_, i) => `${String.fromCharCode(66 + i)}/A`),
  ];
  const rows = [header, ...compareRows(runs)];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join("  ");
  const legend = runs.map((r, i) => `run ${String.fromCharCode(65 + i)}: ${r.label}`);
  return [...legend, "", ...rows.map(line)].join("\n") + "\n";
}

/**
 * Append a run's scalar fields to a CSV (header written when the file is new). A file whose
 * header differs (another dl-driver version) is refused rather than misaligned.
 */
export async function appendCsv(file: string, report: Record<string, unknown>): Promise<void> {
  const [header, row] = reportCsv(report).split("\n");
  let existing = "";
  try {
    existing = await Deno.readTextFile(file);
  } catch {
    // a new file
  }
  if (existing) {
    const first = existing.slice(0, existing.indexOf("\n"));
    if (first !== header) {
      throw new UserError(
        `--csv-append ${file}: its header has other columns than this run's; ` +
          "use a new file (columns change between dl-driver versions and workload kinds)",
        2,
      );
    }
    await Deno.writeTextFile(file, `${row}\n`, { append: true });
  } else await Deno.writeTextFile(file, `${header}\n${row}\n`);
}

/** The data of the HTML comparison: each run's fields, ratios and per-epoch figures. */
export function comparePageData(runs: ComparedRun[]) {
  const epochs = (r: ComparedRun) =>
    (r.report.epochs as { epoch: number; train: Record<string, unknown> }[] | undefined) ?? [];
  return {
    kind: "compare",
    title: `${runs.length} runs compared`,
    runs: runs.map((r, i) => ({
      name: `run ${String.fromCharCode(65 + i)}`,
      label: r.label,
      benchmark: r.report.benchmark_name,
      status: r.report.status,
    })),
    fields: compareFields(runs),
    epochs: runs.map((r) => ({
      epoch: epochs(r).map((e) => e.epoch),
      au: epochs(r).map((e) => Number(e.train.au_percentage ?? 0)),
      measured: epochs(r).map((e) =>
        Number((e.train.measured as Record<string, unknown>)?.samples_per_second ?? 0)
      ),
    })),
    threshold: Number(runs[0]!.report.au_threshold_percentage ?? 90),
  };
}

/** The comparison as one self-contained HTML page (the report's uPlot and script). */
export async function compareHtml(runs: ComparedRun[]): Promise<string> {
  const { htmlPage, REPORT_SCRIPT } = await import("../metrics/html.ts");
  const body = `<h1 id="title"></h1>
<table id="runs"></table>
<section><h2>Throughput per epoch (measured samples/s), each run</h2><div id="cmp-throughput"></div></section>
<section><h2>Accelerator utilization per epoch, each run (threshold line)</h2><div id="cmp-au"></div></section>
<section><h2>Fields side by side (ratio to run A; ↑ higher is better, ↓ lower is better)</h2>
<table id="fields"></table></section>`;
  const data = comparePageData(runs);
  return htmlPage(`dl-driver compare: ${data.title}`, body, data, REPORT_SCRIPT);
}

/** `compare A B ...`: print the runs side by side (or as JSON), and as HTML with `--html FILE`. */
export async function compareCommand(
  paths: string[],
  json?: boolean,
  html?: string,
): Promise<number> {
  if (paths.length < 2) {
    throw new UserError("compare needs two or more results folders (or report.json files)");
  }
  const runs = [];
  for (const p of paths) runs.push(await loadRun(p));
  if (html !== undefined) {
    const { writeText } = await import("../run/output_dir.ts");
    await writeText(html, await compareHtml(runs));
    console.error(`compare: wrote ${html}`);
  }
  if (json) {
    console.log(
      JSON.stringify({ runs: runs.map((r) => r.label), fields: compareFields(runs) }, null, 2),
    );
  } else console.log(compareTable(runs));
  return 0;
}
