/**
 * A Chrome trace-event trace of one rank (`--trace`): a JSON array written one event per line
 * (`[` first, no closing `]`, as dftracer's `.pfw` files; Perfetto, chrome://tracing and
 * speedscope open it). Names and categories follow dftracer's `dft_ai` scheme (pydftracer's
 * `ai` module, which DLIO 2.x uses):
 *
 * | track | event | cat | what |
 * |---|---|---|---|
 * | training loop | `epoch.block` | `pipeline` | an epoch: its training blocks and its evaluation |
 * | training loop | `train` | `pipeline` | a timing block (an epoch's steps between checkpoints) |
 * | training loop | `evaluate` | `pipeline` | an evaluation pass |
 * | training loop | `fetch.iter` | `dataloader` | the loop waiting for a batch (args: epoch, step) |
 * | training loop | `compute` | `compute` | emulated compute of a step |
 * | samples k | `item` | `data` | one sample: its read, decode + preprocess and transfer, ending when it reached the loader (args: epoch, image_idx, image_size, fname) |
 * | samples k | `io` | `data` | the sample's storage time, inside `item` (args: fname, size) |
 * | samples k | `preprocess` | `data` | decode + preprocess, inside `item` |
 * | samples k | `transfer` | `device` | the copy into the batch (DLIO's host-to-device), inside `item` |
 * | checkpoints | `capture`, `restart` | `checkpoint` | a checkpoint save / restore (args: bytes, files) |
 * | storage requests k | `read`, `pread` | `POSIX` | one storage request: a whole object, or a range (args: fname, offset, size) |
 *
 * `pid` is the rank; `tid` 0 is the training loop, 1 checkpoints, 10 + k the k-th "samples"
 * track and 1000 + k the k-th "storage requests" track: samples (and requests) in flight are
 * packed onto the fewest tracks on which none overlaps (a track is a concurrency slot of the
 * rank's reader threads, not one OS thread). Requests are timed in the reader threads around
 * each backend read; HDF5 on local files is read by the HDF5 library itself, whose reads are not
 * seen (its samples' `io` spans stay). Times are
 * wall-clock microseconds (ranks of an MPI job line up); every event's end is computed from its
 * rounded start and end, so events nest exactly on every track. Per-sample events are capped
 * (`maxSamples`, default 100,000 per rank) so a trace stays bounded; the cap is recorded.
 * @module
 */
import type { RequestRecord, SampleRow } from "./recorder.ts";
import type { TrainRecord } from "./records.ts";

/** A trace event (complete event, `ph: "X"`, or metadata, `ph: "M"`). */
export interface TraceEvent {
  name: string;
  cat?: string;
  ph: "X" | "M";
  ts?: number;
  dur?: number;
  pid: number;
  tid?: number;
  args?: Record<string, unknown>;
}

/** Tracks (`tid`) of a rank's trace. */
export const TRACK = { loop: 0, checkpoints: 1, samples: 10, requests: 1000 } as const;

/** Adds complete events on a rank's tracks, times from the run clock (ms). */
class Tracks {
  readonly out: TraceEvent[] = [];
  constructor(readonly pid: number, readonly us: (ms: number) => number) {}

  /** A complete event; its end is the rounded end, so nested events never stick out. */
  x(name: string, cat: string, t0: number, t1: number, tid: number, args?: object): void {
    const ts = this.us(t0), end = Math.max(ts, this.us(t1));
    this.out.push({
      name,
      cat,
      ph: "X",
      ts,
      dur: end - ts,
      pid: this.pid,
      tid,
      ...(args ? { args: args as Record<string, unknown> } : {}),
    });
  }

  meta(name: string, args: Record<string, unknown>, tid?: number): void {
    this.out.push({ name, ph: "M", pid: this.pid, ...(tid !== undefined && { tid }), args });
  }
}

/** The training loop's track: epochs, blocks, evaluation, and each step's wait and compute. */
function loopEvents(rec: TrainRecord, t: Tracks): void {
  for (const e of rec.epochs) {
    const end = Math.max(e.endMs, e.eval?.endMs ?? 0, ...e.blocks.map((b) => b.endMs));
    t.x("epoch.block", "pipeline", e.startMs, end, TRACK.loop, { epoch: e.epoch });
    for (const b of e.eval ? [...e.blocks, e.eval] : e.blocks) {
      const isEval = b === e.eval;
      const args = { epoch: e.epoch, block: b.block, steps: b.steps.count };
      t.x(isEval ? "evaluate" : "train", "pipeline", b.startMs, b.endMs, TRACK.loop, args);
      b.steps.rows.forEach(([s, load, compute], i) => {
        const step = { epoch: e.epoch, step: i + 1 };
        t.x("fetch.iter", "dataloader", s, s + load, TRACK.loop, step);
        t.x("compute", "compute", s + load, s + load + compute, TRACK.loop, step);
      });
      if (b.steps.rows.length < b.steps.count) {
        t.meta("trace_truncated", {
          epoch: e.epoch,
          block: b.block,
          steps_recorded: b.steps.rows.length,
          steps_total: b.steps.count,
        });
      }
    }
  }
}

/** When a sample's stages began: its arrival less their times (run clock, ms). */
const sampleStart = (row: SampleRow) =>
  row.doneMs - (row.ioMs + row.decodeMs + row.preprocessMs + row.h2dMs);

/** One sample: `item`, and inside it its reads, its decode + preprocess and its transfer. */
function sampleEvents(row: SampleRow, tid: number, t: Tracks): void {
  const done = row.doneMs, start = sampleStart(row);
  t.x("item", "data", start, done, tid, {
    epoch: row.epoch,
    image_idx: row.sample,
    image_size: row.bytes,
    fname: row.key,
  });
  const ioEnd = start + row.ioMs, prepEnd = ioEnd + row.decodeMs + row.preprocessMs;
  if (row.ioMs > 0) t.x("io", "data", start, ioEnd, tid, { fname: row.key, size: row.bytes });
  if (prepEnd > ioEnd) {
    t.x("preprocess", "data", ioEnd, prepEnd, tid, {
      decode_ms: row.decodeMs,
      preprocess_ms: row.preprocessMs,
    });
  }
  if (row.h2dMs > 0) t.x("transfer", "device", prepEnd, done, tid);
}

/** The sample tracks: each sample on the first track free at its start (none overlap). */
function samplesEvents(rows: SampleRow[], t: Tracks): number {
  const placed = pack(rows, (row) => [t.us(sampleStart(row)), t.us(row.doneMs)]);
  for (const [row, k] of placed) sampleEvents(row, TRACK.samples + k, t);
  return placed.reduce((n, [, k]) => Math.max(n, k + 1), 0);
}

/** Intervals packed onto the fewest tracks on which none overlaps; each item's track index. */
function pack<T>(items: T[], span: (x: T) => [number, number]): [T, number][] {
  const frees: number[] = []; // per track, when its last interval ended
  const sorted = items.map((x) => ({ x, s: span(x) })).sort((a, b) => a.s[0] - b.s[0]);
  return sorted.map(({ x, s: [start, end] }) => {
    let k = frees.findIndex((free) => free <= start);
    if (k < 0) k = frees.push(0) - 1;
    frees[k] = Math.max(start, end);
    return [x, k];
  });
}

/** The storage requests (POSIX layer): `read` (whole object) or `pread` (a range), packed. */
function requestEvents(reqs: RequestRecord[], t: Tracks): number {
  const placed = pack(reqs, (r) => [t.us(r.startMs), t.us(r.startMs + r.durMs)]);
  for (const [r, k] of placed) {
    t.x(r.ranged ? "pread" : "read", "POSIX", r.startMs, r.startMs + r.durMs, TRACK.requests + k, {
      fname: r.key,
      offset: r.offset,
      size: r.size,
    });
  }
  return placed.reduce((n, [, k]) => Math.max(n, k + 1), 0);
}

/** The events of one rank's record. */
export function traceEvents(rec: TrainRecord, maxSamples = 100_000): TraceEvent[] {
  // Run clock (ms) → wall-clock microseconds, rounded once per instant.
  const t = new Tracks(rec.rank, (ms) => Math.round((rec.wallStart + (ms - rec.startMs)) * 1000));
  t.meta("process_name", { name: `rank ${rec.rank}` });
  t.meta("thread_name", { name: "training loop" }, TRACK.loop);
  t.meta("thread_name", { name: "checkpoints" }, TRACK.checkpoints);
  loopEvents(rec, t);
  const ev = rec.trainEvents, rows = ev.rows.slice(0, maxSamples);
  const tracks = samplesEvents(rows, t);
  for (let k = 0; k < tracks; k++) {
    t.meta("thread_name", { name: `samples ${k + 1} (reader threads)` }, TRACK.samples + k);
  }
  if (rows.length < ev.samples) {
    t.meta("trace_truncated", { samples_recorded: rows.length, samples_total: ev.samples });
  }
  const requestTracks = requestEvents(ev.requests, t);
  for (let k = 0; k < requestTracks; k++) {
    t.meta("thread_name", { name: `storage requests ${k + 1}` }, TRACK.requests + k);
  }
  if (ev.requests.length < ev.requestsTotal) {
    t.meta("trace_truncated", {
      requests_recorded: ev.requests.length,
      requests_total: ev.requestsTotal,
    });
  }
  for (const ck of rec.checkpoints ?? []) {
    t.x(ck.kind === "save" ? "capture" : "restart", "checkpoint", ck.startMs, ck.endMs, 1, {
      folder: ck.folder,
      bytes: ck.bytes,
      stored_bytes: ck.storedBytes,
      files: ck.files,
    });
  }
  return t.out;
}

/** The `.pfw` text: `[` then one event per line, each followed by a comma. */
export function pfw(events: TraceEvent[]): string {
  return "[\n" + events.map((e) => JSON.stringify(e) + ",\n").join("");
}

/**
 * Events on one track that overlap without nesting (a viewer draws them wrong): for each
 * (pid, tid), events sorted by start must each end within the enclosing one or start after it.
 */
export function nestingErrors(events: TraceEvent[]): string[] {
  const errors: string[] = [];
  const x = events.filter((e) => e.ph === "X");
  for (const [track, es] of Map.groupBy(x, (e) => `${e.pid}/${e.tid}`)) {
    es.sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const stack: TraceEvent[] = [];
    for (const e of es) {
      while (stack.length && stack.at(-1)!.ts! + stack.at(-1)!.dur! <= e.ts!) stack.pop();
      const top = stack.at(-1);
      if (top && e.ts! + e.dur! > top.ts! + top.dur!) {
        errors.push(`${track}: ${e.name} @${e.ts} overlaps ${top.name} @${top.ts}`);
      }
      stack.push(e);
    }
  }
  return errors;
}
