// Tests of summarize(): DLIO's formulas beside the measured values.
import assert from "node:assert/strict";
import { resolveConfig } from "../config/resolve.ts";
import { yamlFile } from "../../tests/_helpers.ts";
import { SampleEvents } from "./recorder.ts";
import { dlioBlockMetrics, dlioEvalMetrics, measuredBlock, summarize } from "./summarize.ts";
import { latencyStats, percentile } from "./stats.ts";
import { reportCsv } from "./report.ts";
import type { BlockRecord, TrainRecord } from "./records.ts";
import { dlioWindow, StepSeries } from "./steps.ts";

/** Five steps (batch wait, compute), DLIO's window excluding `ex` = [start, end] steps. */
function steps(compute = [100, 100, 100, 100, 100], ex: [number, number] = [1, 0]): StepSeries {
  const s = new StepSeries(dlioWindow(5, ex[0], ex[1]), 300);
  let t = 0;
  [50, 10, 10, 10, 10].forEach((load, i) => {
    s.add(t, t + load, t + load + compute[i]!, i === 0 ? 40 : 9);
    t += load + compute[i]!;
  });
  return s;
}

/** A rank's record without epochs (tests add theirs). */
const RECORD: Omit<TrainRecord, "epochs"> = {
  startMs: 0,
  endMs: 2000,
  wallStart: 0,
  wallEnd: 0,
  rank: 0,
  profile: { name: "pytorch", sampler: "index", access_order: "native" },
  loader: { maxOutstanding: 0, maxBatchesAhead: 0 },
  trainEvents: new SampleEvents(),
  evalEvents: new SampleEvents(),
  planned: [],
  randomSeed: 0,
  slotBytes: 1,
  storage: { requests: 0, retries: 0 },
};

const block = (over: Partial<BlockRecord> = {}): BlockRecord => ({
  block: 1,
  startMs: 1000,
  endMs: 1600,
  wallStart: 0,
  wallEnd: 600,
  expectedSteps: 5,
  steps: steps(),
  samples: 20,
  bytesRead: 20 * 1024 * 1024,
  ...over,
});

Deno.test("DLIO block formula: first step excluded, n−2 steps in throughput", () => {
  const m = dlioBlockMetrics(block(), 4);
  // T = 600 − proc[0] (150) = 450 ms; AU = 400 / 450; throughput = (5 − 2) · 4 / 0.45
  assert.ok(Math.abs(m.au_percentage - 88.8888889) < 1e-6);
  assert.ok(Math.abs(m.throughput_samples_per_second - 26.6666667) < 1e-6);
  assert.equal(m.metric_time_seconds, 0.45);
  const end = dlioBlockMetrics(block({ steps: steps(undefined, [1, 1]) }), 4); // and the last
  assert.ok(Math.abs(end.au_percentage - (300 / 340) * 100) < 1e-9);
  const ev = dlioEvalMetrics(block(), 2);
  assert.ok(Math.abs(ev.throughput_samples_per_second - (5 / 0.6) * 2) < 1e-9);
  assert.equal(dlioBlockMetrics(block({ steps: steps([0, 0, 0, 0, 0]) }), 4).au_percentage, 0);
});

Deno.test("measured block values count real samples, bytes and time", () => {
  const m = measuredBlock(block());
  assert.equal(m.samples_per_second, 20 / 0.6);
  assert.equal(m.bytes_per_second, (20 * 1024 * 1024) / 0.6);
  assert.ok(Math.abs(m.au_all_steps_percentage - (500 / 600) * 100) < 1e-9);
});

Deno.test("summary: DLIO fields (mean/std over epochs, MiB from record length) and measured", async () => {
  const c = resolveConfig({
    file: await yamlFile(
      "dataset:\n  record_length_bytes: 1048576\nreader:\n  batch_size: 4\nmetric:\n  au: 0.85\n",
    ),
  }).config;
  const rec: TrainRecord = {
    epochs: [
      { epoch: 1, startMs: 1000, endMs: 1600, wallStart: 0, wallEnd: 0, blocks: [block()] },
      {
        epoch: 2,
        startMs: 2000,
        endMs: 2600,
        wallStart: 0,
        wallEnd: 0,
        blocks: [
          block({ startMs: 2000, endMs: 2600, bytesRead: 10 }),
        ],
      },
    ],
    ...RECORD,
    endMs: 3000,
  };
  const s = summarize(rec, c);
  const au = s.metric.train_au_percentage as number[];
  assert.ok(Math.abs(au[0]! - 88.8888889) < 1e-6);
  assert.ok(Math.abs(au[1]! - (400 / 450) * 100) < 1e-6);
  assert.equal(s.metric.train_au_meet_expectation, "success");
  const thr = s.metric.train_throughput_samples_per_second as number[];
  assert.ok(
    Math.abs((s.metric.train_io_mean_MB_per_second as number) - (thr[0]! + thr[1]!) / 2) < 1e-9,
  );
  assert.ok(
    Math.abs(
      (s.metric.train_io_measured_mean_MB_per_second as number) -
        ((20 / 0.6) + 10 / 0.6 / 2 ** 20) / 2,
    ) < 1e-9,
  );
  assert.equal(s.totals.steps, 10);
  assert.equal(s.totals.samples, 40);
  assert.equal(s.stages.batch.count, 10);
});

Deno.test("percentiles are exact with linear interpolation (numpy's default)", () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([10], 99), 10);
  assert.equal(percentile([], 50), 0);
  const st = latencyStats(Float64Array.from({ length: 101 }, (_, i) => 100 - i));
  assert.equal(st.p50_ms, 50);
  assert.equal(st.p95_ms, 95);
  assert.equal(st.p99_ms, 99);
  assert.equal(st.max_ms, 100);
  assert.equal(st.count, 101);
});

Deno.test("report CSV: one header and one row, quoted where needed", () => {
  const csv = reportCsv({
    a: 1,
    b: 'say "hi", ok',
    c: null,
    d: { nested: true },
    access_order_sample: ["x", "y"],
  });
  const [head, row] = csv.trimEnd().split("\n");
  assert.equal(head, "a,b,c,access_order_sample");
  assert.equal(row, '1,"say ""hi"", ok",,x y');
});

Deno.test("eval over ranks: DLIO's names carry DLIO's concatenated lists; the combination beside", async () => {
  const c = resolveConfig({
    file: await yamlFile(
      "workflow:\n  evaluation: True\nreader:\n  batch_size: 4\n  batch_size_eval: 4\n" +
        "dataset:\n  record_length_bytes: 1048576\n",
    ),
  }).config;
  // Two ranks, one epoch with eval: eval blocks of 600 and 800 ms, each 5 steps of 100 ms compute.
  const rank = (r: number, evalMs: number): TrainRecord => ({
    epochs: [{
      epoch: 1,
      startMs: 0,
      endMs: 2000,
      wallStart: 0,
      wallEnd: 0,
      blocks: [block()],
      eval: block({ startMs: 1000, endMs: 1000 + evalMs }),
    }],
    ...RECORD,
    rank: r,
  });
  const m = summarize([rank(0, 600), rank(1, 800)], c).metric;
  // Per rank (DLIO's eval formula): AU = 400 / (T − 150); throughput = 5 · 4 / T.
  const au = [400 / 450 * 100, 400 / 650 * 100], thr = [20 / 0.6, 20 / 0.8];
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  // DLIO: the lists concatenated, AU divided by P = 2, throughput per rank.
  const dAu = m.eval_au_percentage as number[],
    dThr = m.eval_throughput_samples_per_second as number[];
  assert.ok(dAu.length === 2 && close(dAu[0]!, au[0]! / 2) && close(dAu[1]!, au[1]! / 2));
  assert.ok(close(m.eval_au_mean_percentage as number, (au[0]! + au[1]!) / 4));
  assert.ok(dThr.length === 2 && close(dThr[0]!, thr[0]!) && close(dThr[1]!, thr[1]!));
  assert.ok(close(m.eval_throughput_mean_samples_per_second as number, (thr[0]! + thr[1]!) / 2));
  // dl-driver's combination: mean AU, summed throughput (as for training).
  assert.ok(close(m.eval_au_combined_mean_percentage as number, (au[0]! + au[1]!) / 2));
  assert.ok(close(m.eval_throughput_combined_mean_samples_per_second as number, thr[0]! + thr[1]!));
});
