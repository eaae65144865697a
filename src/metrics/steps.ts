/**
 * A block's per-step timers in constant memory: exact count and sums, DLIO's metric-window sums
 * (compute inside the window, batch wait + compute outside it), histograms of batch wait,
 * compute and batch assembly, and the first `keep` steps' rows for timelines and traces. Every
 * step can also stream to a sink (the run spools them to disk for DLIO's `<rank>_output.json`
 * per-step lists), so nothing is held per step however long the run.
 * @module
 */
import { Histogram, type HistogramData } from "./histogram.ts";

/** Where every step's timers go as they are recorded (ms). */
export interface StepSink {
  /** Steps written so far (the next step's index in the sink). */
  readonly written: number;
  step(load: number, proc: number, compute: number): void;
  /** Make every step so far readable (called as each block ends). */
  flush?(): void;
}

/** A kept step: when the loop asked for the batch (run clock), batch wait, compute (ms). */
export type StepRow = [start: number, load: number, compute: number];

/** DLIO's metric window of a block: 0-based step indices [start, end], both included. */
export interface StepWindow {
  start: number;
  end: number;
}

/** The plain-data form (JSON), for gathering over MPI. */
export interface StepSeriesData {
  window: StepWindow;
  keep: number;
  first: number;
  count: number;
  computeSum: number;
  computeInWindow: number;
  procOutsideWindow: number;
  load: HistogramData;
  compute: HistogramData;
  batch: HistogramData;
  rows: StepRow[];
}

/** One block's steps. */
export class StepSeries {
  count = 0;
  computeSum = 0;
  /** Σ compute of the steps inside DLIO's window. */
  computeInWindow = 0;
  /** Σ (batch wait + compute) of the steps outside DLIO's window. */
  procOutsideWindow = 0;
  /** Batch wait (the loop waiting for the loader). */
  readonly load = new Histogram();
  readonly compute = new Histogram();
  /** Time the loader took to assemble each batch. */
  readonly batch = new Histogram();
  readonly rows: StepRow[] = [];

  /**
   * @param window DLIO's metric window (steps outside it are excluded from its AU and time)
   * @param keep how many steps' rows to keep
   * @param sink where every step streams (absent: none)
   * @param first the block's first step's index in the sink
   */
  constructor(
    readonly window: StepWindow,
    readonly keep = 0,
    readonly sink?: StepSink,
    readonly first = sink?.written ?? 0,
  ) {}

  /**
   * Record one step from its run-clock times (ms): asked for the batch (t0), got it (t1),
   * compute ended (t2); and the loader's time to assemble the batch.
   */
  add(t0: number, t1: number, t2: number, batch: number): void {
    const load = t1 - t0, compute = t2 - t1, proc = t2 - t0;
    const i = this.count++;
    this.computeSum += compute;
    if (i >= this.window.start && i <= this.window.end) this.computeInWindow += compute;
    else this.procOutsideWindow += proc;
    this.load.add(load);
    this.compute.add(compute);
    this.batch.add(batch);
    if (this.rows.length < this.keep) this.rows.push([t0, load, compute]);
    this.sink?.step(load, proc, compute);
  }

  /** The block ended: its streamed steps become readable. */
  end(): void {
    this.sink?.flush?.();
  }

  toData(): StepSeriesData {
    const { window, keep, first, count, computeSum, computeInWindow, procOutsideWindow, rows } =
      this;
    return {
      window,
      keep,
      first,
      count,
      computeSum,
      computeInWindow,
      procOutsideWindow,
      load: this.load.toData(),
      compute: this.compute.toData(),
      batch: this.batch.toData(),
      rows,
    };
  }

  static from(d: StepSeriesData): StepSeries {
    const s = new StepSeries(d.window, d.keep, undefined, d.first);
    s.count = d.count;
    s.computeSum = d.computeSum;
    s.computeInWindow = d.computeInWindow;
    s.procOutsideWindow = d.procOutsideWindow;
    s.load.merge(Histogram.from(d.load));
    s.compute.merge(Histogram.from(d.compute));
    s.batch.merge(Histogram.from(d.batch));
    s.rows.push(...d.rows);
    return s;
  }
}

/** DLIO's window for an epoch of `expectedSteps` steps (`output.metric` exclusions). */
export function dlioWindow(
  expectedSteps: number,
  excludeStart: number,
  excludeEnd: number,
): StepWindow {
  return { start: excludeStart, end: expectedSteps - 1 - excludeEnd };
}

/** The histograms of several blocks merged. */
export function mergedSteps(
  series: StepSeries[],
): { load: Histogram; compute: Histogram; batch: Histogram } {
  const out = { load: new Histogram(), compute: new Histogram(), batch: new Histogram() };
  for (const s of series) {
    out.load.merge(s.load);
    out.compute.merge(s.compute);
    out.batch.merge(s.batch);
  }
  return out;
}
