/**
 * A self-contained HTML report of a run (`report.html`): no network, nothing loaded from
 * elsewhere. The data (html_data.ts) is embedded as JSON and drawn by uPlot, a maintained
 * charting library (npm `uplot`) whose script and stylesheet are inlined into the page, by the
 * page's own script (html_script.js): the headline in human units with the AU verdict,
 * throughput and AU per epoch against the threshold, bytes/s over time with epoch and checkpoint
 * markers, latency CDFs on decade ticks beside their percentile table, per-rank wait vs compute
 * as step charts, and checkpoint save/restore throughput and latency. A checkpoint-only run's
 * page is built around its checkpoints.
 *
 * The page records its own errors in `<body data-errors>`, the charts it drew in `data-charts`
 * and each chart's tick labels, so a headless browser test can check them.
 * @module
 */
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import type { WorkloadConfig } from "../config/schema.ts";
import type { RunContext } from "./dlio_output.ts";
import { reportPageData } from "./html_data.ts";
import pageScript from "./html_script.js" with { type: "text" };
import type { TrainRecord } from "./records.ts";
import type { RunSummary } from "./summarize.ts";

const STYLE = `
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1260px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 10px;border-bottom:1px solid #ddd;
text-align:right}td:first-child,th:first-child{text-align:left}
#facts td:last-child{text-align:left}.pass{color:#1a7f1a;font-weight:600}
.fail{color:#c62020;font-weight:600}.chart{margin:6px 0 14px}
.side{display:flex;gap:16px;align-items:flex-start}#percentiles{flex:1 1 auto;overflow-x:auto}
#percentiles td,#percentiles th{white-space:nowrap;padding:2px 6px}
#latency{flex:0 0 580px;max-width:580px}
pre{background:#f5f5f5;padding:8px;overflow:auto;max-height:400px}
`;

/** Embed text in a <script> element safely (no `</script>` can end it early). */
export function scriptText(text: string): string {
  return text.replaceAll("</script", "<\\/script");
}

/** A page around embedded data and the drawing script (report and compare pages share it). */
export function htmlPage(title: string, body: string, data: unknown, script: string): string {
  const json = JSON.stringify(data).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title.replaceAll("<", "&lt;")}</title>
<style>${uplotCss}${STYLE}</style></head>
<body data-errors="" data-charts="">
${body}
<script id="data" type="application/json">${json}</script>
<script>${scriptText(uplotJs)}</script>
<script>${scriptText(script)}</script>
</body></html>
`;
}

const BODY = `<h1 id="title"></h1>
<table id="facts"></table>
<section class="training"><h2>Throughput per epoch</h2><div id="epochs"></div></section>
<section class="training"><h2>Accelerator utilization per epoch (threshold line; verdict per epoch)</h2>
<div id="au"></div></section>
<section class="training"><h2>Bytes read per second over time (all ranks; epoch and checkpoint markers)</h2>
<div id="timeline"></div></section>
<section class="training"><h2>Latency distributions (CDF) and percentiles</h2>
<div class="side"><div id="latency"></div><div id="percentiles"></div></div></section>
<section class="training"><h2>Per-rank timelines (waiting for data vs compute, per step)</h2>
<div id="ranks"></div></section>
<section><h2>Checkpoints (save and restore throughput, per operation)</h2><div id="checkpoints"></div>
<div id="checkpoint-percentiles"></div></section>
<section><h2>Configuration</h2><pre id="config"></pre></section>`;

/** The page script (report and compare pages). */
export const REPORT_SCRIPT: string = pageScript;

/** The HTML page of a run. */
export function htmlReport(
  c: WorkloadConfig,
  s: RunSummary,
  recs: TrainRecord[],
  report: Record<string, unknown>,
  ctx: RunContext,
): string {
  const data = reportPageData(c, s, recs, report, ctx);
  return htmlPage(`dl-driver report: ${data.title}`, BODY, data, pageScript);
}
