/**
 * Per-sample stage events of one rank, in memory that does not grow with the samples read:
 * per epoch a latency histogram per stage (io, decode, preprocess, h2d) with exact counts and
 * sums, bytes over time in a fixed number of buckets, the first few items for the report, and
 * the first `traceLimit` samples' rows for `--trace`. Every value can also stream to a sink
 * (`--latency-lists`, `--visited-items`) that writes it to disk as the run goes.
 * @module
 */
import { Histogram, type HistogramData } from "./histogram.ts";

/** An item visited by the loader. */
export interface VisitedItem {
  epoch: number;
  /** Object key relative to the dataset root. */
  key: string;
  /** Sample index inside the object. */
  sample: number;
}

/** One sample's full row (kept for the first `traceLimit` samples only). */
export interface SampleRow extends VisitedItem {
  ioMs: number;
  decodeMs: number;
  h2dMs: number;
  preprocessMs: number;
  bytes: number;
  /** When the sample's result reached the loader (run clock, ms). */
  doneMs: number;
}

/** One storage request (`--trace`'s POSIX layer): object, byte offset and size, start, duration. */
export interface RequestRecord {
  key: string;
  offset: number;
  size: number;
  /** Start on the run clock, ms. */
  startMs: number;
  durMs: number;
  /** A ranged read (pread), or a whole object (read). */
  ranged: boolean;
}

/** Where every sample's row streams to (files in the results folder). */
export interface SampleSink {
  sample(row: SampleRow): void;
}

/** Where visited (planned) items stream to (`--visited-items`). */
export interface ItemSink {
  item(v: VisitedItem): void;
}

/** The per-sample stages that have histograms. */
export const SAMPLE_STAGES = ["io", "decode", "preprocess", "h2d"] as const;
export type SampleStage = (typeof SAMPLE_STAGES)[number];

/** One epoch's stage histograms, samples and bytes. */
export class StageHistograms {
  readonly io = new Histogram();
  readonly decode = new Histogram();
  readonly preprocess = new Histogram();
  readonly h2d = new Histogram();
  samples = 0;
  bytes = 0;

  merge(o: StageHistograms): void {
    for (const s of SAMPLE_STAGES) this[s].merge(o[s]);
    this.samples += o.samples;
    this.bytes += o.bytes;
  }
}

/**
 * Bytes over time in at most `max` buckets: when the run outlasts them, neighbours merge and
 * the bucket width doubles (fixed memory for any run length).
 */
export class Timeline {
  t0 = NaN;
  widthMs: number;
  bytes: number[] = [];
  constructor(widthMs = 50, readonly max = 512) {
    this.widthMs = widthMs;
  }

  add(t: number, bytes: number): void {
    if (Number.isNaN(this.t0)) this.t0 = t;
    let i = Math.max(0, Math.floor((t - this.t0) / this.widthMs));
    while (i >= this.max) {
      const merged: number[] = [];
      for (let k = 0; k < this.bytes.length; k += 2) {
        merged.push((this.bytes[k] ?? 0) + (this.bytes[k + 1] ?? 0));
      }
      this.bytes = merged;
      this.widthMs *= 2;
      i = Math.floor((t - this.t0) / this.widthMs);
    }
    while (this.bytes.length <= i) this.bytes.push(0);
    this.bytes[i] = this.bytes[i]! + bytes;
  }
}

/** Per-sample stage events for one rank. */
export class SampleEvents {
  readonly epochs = new Map<number, StageHistograms>();
  readonly timeline = new Timeline();
  /** The first `visitedLimit` items in arrival order. */
  readonly visited: VisitedItem[] = [];
  /** The first `traceLimit` samples' rows (for the trace; 0 keeps none). */
  readonly rows: SampleRow[] = [];
  /** The first `traceLimit` storage requests (`--trace`'s POSIX layer). */
  readonly requests: RequestRecord[] = [];
  /** Storage requests reported in all. */
  requestsTotal = 0;
  /** Samples recorded in all. */
  samples = 0;
  constructor(
    readonly traceLimit = 0,
    readonly visitedLimit = 32,
    public sink?: SampleSink,
  ) {}

  /** Storage requests a reader made (traced runs): the first `traceLimit` are kept. */
  recordRequests(reqs: RequestRecord[]): void {
    this.requestsTotal += reqs.length;
    for (const r of reqs) if (this.requests.length < this.traceLimit) this.requests.push(r);
  }

  record(row: SampleRow): void {
    let h = this.epochs.get(row.epoch);
    if (!h) this.epochs.set(row.epoch, h = new StageHistograms());
    h.io.add(row.ioMs);
    h.decode.add(row.decodeMs);
    h.preprocess.add(row.preprocessMs);
    h.h2d.add(row.h2dMs);
    h.samples++;
    h.bytes += row.bytes;
    this.samples++;
    this.timeline.add(row.doneMs, row.bytes);
    if (this.visited.length < this.visitedLimit) {
      this.visited.push({ epoch: row.epoch, key: row.key, sample: row.sample });
    }
    if (this.rows.length < this.traceLimit) this.rows.push(row);
    this.sink?.sample(row);
  }

  /** Every epoch's histograms merged. */
  total(): StageHistograms {
    const t = new StageHistograms();
    for (const h of this.epochs.values()) t.merge(h);
    return t;
  }
}

/** Plain data of a rank's sample events (fixed size whatever the samples read). */
export interface SampleEventsData {
  epochs: {
    epoch: number;
    samples: number;
    bytes: number;
    stages: Record<SampleStage, HistogramData>;
  }[];
  timeline: { t0: number; widthMs: number; bytes: number[] };
  visited: VisitedItem[];
  rows: SampleRow[];
  samples: number;
}

/** Events as plain data. */
export function eventsToData(e: SampleEvents): SampleEventsData {
  return {
    epochs: [...e.epochs].map(([epoch, h]) => ({
      epoch,
      samples: h.samples,
      bytes: h.bytes,
      stages: Object.fromEntries(SAMPLE_STAGES.map((s) => [s, h[s].toData()])) as Record<
        SampleStage,
        HistogramData
      >,
    })),
    timeline: { t0: e.timeline.t0, widthMs: e.timeline.widthMs, bytes: e.timeline.bytes },
    visited: e.visited,
    rows: e.rows,
    samples: e.samples,
  };
}

/** Events from plain data. */
export function eventsFromData(d: SampleEventsData): SampleEvents {
  const e = new SampleEvents(d.rows.length, d.visited.length);
  for (const ep of d.epochs) {
    const h = new StageHistograms();
    for (const s of SAMPLE_STAGES) h[s].merge(Histogram.from(ep.stages[s]));
    h.samples = ep.samples;
    h.bytes = ep.bytes;
    e.epochs.set(ep.epoch, h);
  }
  e.timeline.t0 = d.timeline.t0 ?? NaN;
  e.timeline.widthMs = d.timeline.widthMs;
  e.timeline.bytes = d.timeline.bytes;
  e.visited.push(...d.visited);
  e.rows.push(...d.rows);
  e.samples = d.samples;
  return e;
}
