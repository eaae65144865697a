/**
 * Raw per-operation events: one row per sample (io, decode, h2d, bytes) and per step
 * (batch wait, compute). Aggregation happens later in one pure function.
 * @module
 */

/** A growable column of numbers. */
export class Column {
  #data = new Float64Array(1024);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#data.length) {
      const d = new Float64Array(this.#data.length * 2);
      d.set(this.#data);
      this.#data = d;
    }
    this.#data[this.#n++] = v;
  }
  get length(): number {
    return this.#n;
  }
  /** The values recorded (a copy). */
  values(): Float64Array {
    return this.#data.slice(0, this.#n);
  }
  sum(): number {
    let s = 0;
    for (let i = 0; i < this.#n; i++) s += this.#data[i]!;
    return s;
  }
}

/** An item visited by the loader. */
export interface VisitedItem {
  epoch: number;
  /** Object key relative to the dataset root. */
  key: string;
  /** Sample index inside the object. */
  sample: number;
}

/** Per-sample stage events for one rank. */
export class SampleEvents {
  readonly ioMs = new Column();
  readonly decodeMs = new Column();
  readonly h2dMs = new Column();
  readonly bytes = new Column();
  /** Emulated preprocessing per sample (reader.preprocess_time), measured. */
  readonly preprocessMs = new Column();
  /** When each sample's result reached the loader (run clock, ms). */
  readonly doneMs = new Column();
  /** Visited items (all when `keepAll`, else the first `sampleLimit`). */
  readonly visited: VisitedItem[] = [];
  constructor(readonly keepAll = false, readonly sampleLimit = 32) {}

  record(
    io: number,
    decode: number,
    h2d: number,
    bytes: number,
    item: VisitedItem,
    preprocess = 0,
    done = 0,
  ): void {
    this.ioMs.push(io);
    this.doneMs.push(done);
    this.preprocessMs.push(preprocess);
    this.decodeMs.push(decode);
    this.h2dMs.push(h2d);
    this.bytes.push(bytes);
    if (this.keepAll || this.visited.length < this.sampleLimit) this.visited.push(item);
  }
}

/** Plain data of a rank's sample events (to send them to rank 0). */
export interface SampleEventsData {
  ioMs: number[];
  decodeMs: number[];
  h2dMs: number[];
  bytes: number[];
  preprocessMs: number[];
  doneMs: number[];
  visited: VisitedItem[];
}

/** Events as plain data. */
export function eventsToData(e: SampleEvents): SampleEventsData {
  return {
    ioMs: Array.from(e.ioMs.values()),
    decodeMs: Array.from(e.decodeMs.values()),
    h2dMs: Array.from(e.h2dMs.values()),
    bytes: Array.from(e.bytes.values()),
    preprocessMs: Array.from(e.preprocessMs.values()),
    doneMs: Array.from(e.doneMs.values()),
    visited: e.visited,
  };
}

/** Events from plain data. */
export function eventsFromData(d: SampleEventsData, keepAll = true): SampleEvents {
  const e = new SampleEvents(keepAll);
  for (const k of ["ioMs", "decodeMs", "h2dMs", "bytes", "preprocessMs", "doneMs"] as const) {
    const col = e[k];
    for (const v of d[k]) col.push(v);
  }
  e.visited.push(...d.visited);
  return e;
}
