/**
 * A self-contained HTML report of a run (`report.html`): no network, no external scripts. The
 * data is embedded as JSON and drawn as inline SVG by a small script: throughput and AU per
 * epoch, bytes/s over time, latency distributions per stage (CDF), per-rank timelines (wait vs
 * compute per step), checkpoint bars, and the config that produced the run.
 *
 * The page records its own errors (`window.onerror`, `console.error`) in
 * `<body data-errors>` and the charts it drew in `data-charts`, so a headless browser test can
 * check both.
 * @module
 */
import { stringify } from "yaml";
import type { WorkloadConfig } from "../config/schema.ts";
import type { Histogram } from "./histogram.ts";
import { StageHistograms } from "./recorder.ts";
import type { RunSummary } from "./summarize.ts";
import type { TrainRecord } from "./records.ts";
import { mergedSteps } from "./steps.ts";
import { redact } from "../util/redact.ts";

/** Bounded series for the page (at most ~600 points per series). */
function pageData(
  c: WorkloadConfig,
  s: RunSummary,
  recs: TrainRecord[],
  report: Record<string, unknown>,
) {
  // Bytes/s over time from every rank's timeline (fixed-size buckets), in ≤ 600 buckets.
  const t0 = Math.min(...recs.map((r) => r.startMs));
  const t1 = Math.max(...recs.map((r) => r.endMs), t0 + 1);
  // Buckets of at least 50 ms (fewer, smoother points for short runs), at most 600.
  const n = Math.max(10, Math.min(600, Math.floor((t1 - t0) / 50))), width = (t1 - t0) / n;
  const buckets = new Float64Array(n);
  for (const r of recs) {
    const tl = r.trainEvents.timeline;
    tl.bytes.forEach((bytes, i) => {
      const mid = tl.t0 + (i + 0.5) * tl.widthMs;
      const b = Math.min(n - 1, Math.max(0, Math.floor((mid - t0) / width)));
      buckets[b] = buckets[b]! + bytes;
    });
  }
  const throughput = Array.from(
    buckets,
    (b, i) => [((i + 0.5) * width) / 1000, b / (width / 1000)],
  );
  // Latency CDFs (≤ 200 points each) from the merged histograms.
  const samples = new StageHistograms();
  for (const r of recs) samples.merge(r.trainEvents.total());
  const hcdf = (h: Histogram) => {
    const pts: number[][] = [];
    let seen = 0;
    for (const [v, c] of h.buckets()) pts.push([v, (seen += c) / h.count]);
    const step = Math.max(1, Math.ceil(pts.length / 200));
    return pts.filter((_, i) => i % step === step - 1 || i === pts.length - 1);
  };
  const blocks = (r: TrainRecord) => r.epochs.flatMap((e) => e.blocks);
  const steps = (r: TrainRecord) => blocks(r).flatMap((b) => b.steps.rows);
  return {
    title: `${c.model.name}: ${report.format} on ${report.data_folder}`,
    report,
    epochs: s.epochs.map((e) => ({
      epoch: e.epoch,
      au: e.train.au_percentage,
      throughput: e.train.throughput_samples_per_second,
      measured: e.train.measured.samples_per_second,
      mibps: e.train.measured.bytes_per_second / 2 ** 20,
    })),
    throughput,
    latency: {
      io: hcdf(samples.io),
      decode: hcdf(samples.decode),
      h2d: hcdf(samples.h2d),
      "batch wait": hcdf(mergedSteps(recs.flatMap(blocks).map((b) => b.steps)).load),
    },
    // Per-rank timelines: at most 16 ranks × 300 steps.
    ranks: recs.slice(0, 16).map((r) => ({
      rank: r.rank,
      steps: steps(r).slice(0, 300).map((
        [t, load, comp],
      ) => [(t! - t0) / 1000, load! / 1000, comp! / 1000]),
    })),
    checkpoints: recs.flatMap((r) =>
      (r.checkpoints ?? []).map((k) => ({
        rank: r.rank,
        kind: k.kind,
        name: `${k.kind} ${k.folder}`,
        seconds: (k.endMs - k.startMs) / 1000,
        gib: k.bytes / 2 ** 30,
      }))
    ).slice(0, 400),
    config: stringify({ workload: redact(c) }),
  };
}

/** The HTML page. */
export function htmlReport(
  c: WorkloadConfig,
  s: RunSummary,
  recs: TrainRecord[],
  report: Record<string, unknown>,
): string {
  const data = JSON.stringify(pageData(c, s, recs, report)).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dl-driver report</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
svg{background:#fafafa;border:1px solid #eee}
pre{background:#f5f5f5;padding:8px;overflow:auto;max-height:400px}
.legend span{margin-right:14px}
</style></head>
<body data-errors="" data-charts="">
<h1 id="title"></h1>
<table id="facts"></table>
<h2>Throughput per epoch</h2><div id="epochs"></div>
<h2>Accelerator utilization per epoch</h2><div id="au"></div>
<h2>Bytes read per second over time (all ranks)</h2><div id="timeline"></div>
<h2>Latency distributions (CDF)</h2><div id="latency"></div>
<h2>Per-rank timelines (waiting for data vs compute)</h2><div id="ranks"></div>
<h2>Checkpoints</h2><div id="checkpoints"></div>
<h2>Configuration</h2><pre id="config"></pre>
<script id="data" type="application/json">${data}</script>
<script>
(function () {
  var errors = [];
  function record(m) { errors.push(String(m)); document.body.dataset.errors = errors.join(" | "); }
  window.onerror = function (m) { record(m); };
  var origError = console.error;
  console.error = function () { record(Array.prototype.join.call(arguments, " ")); origError.apply(console, arguments); };
  var D = JSON.parse(document.getElementById("data").textContent);
  var drawn = [];
  var NS = "http://www.w3.org/2000/svg";
  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) { return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2); }
  var colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
  // A line or bar chart: series = [{name, points: [[x, y]...], bar?}]
  function chart(id, name, series, xLabel, yLabel, opts) {
    opts = opts || {};
    var W = 1000, H = 260, L = 70, B = 40, T = 14, R = 20;
    var host = document.getElementById(id);
    var svg = el("svg", { width: W, height: H, "data-chart": name, role: "img" }, null);
    var xs = [], ys = [0];
    series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    if (xs.length === 0) { host.textContent = "no data"; return; }
    var x0 = opts.logX ? Math.log10(Math.max(1e-6, Math.min.apply(null, xs.filter(function (x) { return x > 0; }).concat([1])))) : Math.min.apply(null, xs);
    var x1 = opts.logX ? Math.log10(Math.max.apply(null, xs) || 1) : Math.max.apply(null, xs);
    if (x1 <= x0) x1 = x0 + 1;
    if (series.some(function (s) { return s.bar; })) { x0 -= 0.5; x1 += 0.5; }
    var y1 = Math.max.apply(null, ys) || 1;
    function X(x) { var v = opts.logX ? Math.log10(Math.max(x, 1e-6)) : x; return L + (v - x0) / (x1 - x0) * (W - L - R); }
    function Y(y) { return H - B - y / y1 * (H - B - T); }
    el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#888" }, svg);
    el("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#888" }, svg);
    for (var i = 0; i <= 4; i++) {
      var yv = y1 * i / 4;
      el("text", { x: L - 6, y: Y(yv) + 4, "text-anchor": "end", "font-size": 11 }, svg, fmt(yv));
      var xv = x0 + (x1 - x0) * i / 4;
      el("text", { x: X(opts.logX ? Math.pow(10, xv) : xv), y: H - B + 16, "text-anchor": "middle", "font-size": 11 }, svg, fmt(opts.logX ? Math.pow(10, xv) : xv));
    }
    el("text", { x: (W + L) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12 }, svg, xLabel);
    el("text", { x: 14, y: H / 2, "font-size": 12, transform: "rotate(-90 14 " + H / 2 + ")", "text-anchor": "middle" }, svg, yLabel);
    series.forEach(function (s, k) {
      var c = colors[k % colors.length];
      if (s.bar) {
        var bw = Math.max(2, (W - L - R) / Math.max(1, s.points.length) / (series.length + 1));
        s.points.forEach(function (p, j) {
          el("rect", { x: X(p[0]) - bw * series.length / 2 + k * bw, y: Y(p[1]), width: bw - 1, height: H - B - Y(p[1]), fill: c }, svg);
        });
      } else {
        el("polyline", { points: s.points.map(function (p) { return X(p[0]) + "," + Y(p[1]); }).join(" "), fill: "none", stroke: c, "stroke-width": 1.5 }, svg);
      }
    });
    var legend = document.createElement("div");
    legend.className = "legend";
    series.forEach(function (s, k) { var sp = document.createElement("span"); sp.style.color = colors[k % colors.length]; sp.textContent = "■ " + s.name; legend.appendChild(sp); });
    host.appendChild(svg);
    host.appendChild(legend);
    drawn.push(name);
  }
  document.getElementById("title").textContent = "dl-driver report: " + D.title;
  var facts = document.getElementById("facts");
  ["num_accelerators", "profile", "backend_type", "train_au_mean_percentage", "train_throughput_mean_samples_per_second",
   "throughput_bytes_per_sec", "total_bytes", "p99_latency_ms", "checkpoint_size_GB", "dl_driver_version"].forEach(function (k) {
    if (D.report[k] === undefined) return;
    var tr = facts.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = typeof D.report[k] === "number" ? fmt(D.report[k]) : String(D.report[k]);
  });
  chart("epochs", "epochs", [
    { name: "DLIO throughput (samples/s)", points: D.epochs.map(function (e) { return [e.epoch, e.throughput]; }), bar: true },
    { name: "measured samples/s", points: D.epochs.map(function (e) { return [e.epoch, e.measured]; }), bar: true },
  ], "epoch", "samples/s");
  chart("au", "au", [
    { name: "AU % (DLIO's formula)", points: D.epochs.map(function (e) { return [e.epoch, e.au]; }), bar: true },
  ], "epoch", "AU %");
  chart("timeline", "timeline", [{ name: "MiB/s", points: D.throughput.map(function (p) { return [p[0], p[1] / 1048576]; }) }], "seconds since start", "MiB/s");
  var lat = Object.keys(D.latency).map(function (k) { return { name: k + " (ms)", points: D.latency[k].filter(function (p) { return p[0] > 0; }) }; })
    .filter(function (s) { return s.points.length > 0; });
  chart("latency", "latency", lat, "milliseconds (log)", "fraction ≤ x", { logX: true });
  var rankSeries = [];
  D.ranks.forEach(function (r) {
    rankSeries.push({ name: "rank " + r.rank + " wait", points: r.steps.map(function (s) { return [s[0], s[1]]; }) });
    rankSeries.push({ name: "rank " + r.rank + " compute", points: r.steps.map(function (s) { return [s[0] + s[1], s[2]]; }) });
  });
  chart("ranks", "ranks", rankSeries, "seconds since start", "seconds per step");
  if (D.checkpoints.length) {
    chart("checkpoints", "checkpoints", ["save", "load"].map(function (k) {
      return { name: k + " seconds", points: D.checkpoints.filter(function (c) { return c.kind === k; }).map(function (c, i) { return [i + 1, c.seconds]; }), bar: true };
    }).filter(function (s) { return s.points.length; }), "checkpoint (per rank)", "seconds");
  } else document.getElementById("checkpoints").textContent = "no checkpoints in this run";
  document.getElementById("config").textContent = D.config;
  document.body.dataset.charts = drawn.join(",");
})();
</script></body></html>
`;
}
