/**
 * A Chrome trace-event trace of one rank (`--trace`), in DLIO's `.pfw` layout (a JSON array
 * written one event per line, `[` first, no closing `]`, which Perfetto and chrome://tracing
 * accept) with DLIO's event names and categories where DLIO has them:
 *
 * | event | cat | what |
 * |---|---|---|
 * | `pipeline/epoch.block` | `dlio_benchmark` | a timing block (an epoch's steps between checkpoints) |
 * | `pipeline/evaluate` | `dlio_benchmark` | an evaluation pass |
 * | `dataloader/fetch.iter` | `data_loader` | the loop waiting for a batch |
 * | `compute` | `ai_framework` | emulated compute of a step |
 * | `data/item` | `reader` | one sample: read + decode + preprocess + copy (args: key, sample, bytes, stage ms) |
 * | `checkpoint/capture`, `checkpoint/restart` | `checkpoint` | a checkpoint save / restore (args: bytes, files) |
 *
 * `pid` is the rank, `tid` 0 the training loop, 1 the samples, 2 checkpoints; `ts`/`dur` are
 * microseconds of wall time, so ranks of an MPI job line up. Per-sample events are capped
 * (`maxSamples`, default 100,000 per rank) so a trace stays bounded; the cap is recorded.
 * @module
 */
import type { TrainRecord } from "./records.ts";

/** A trace event (complete event, `ph: "X"`, or metadata, `ph: "M"`). */
export interface TraceEvent {
  name: string;
  cat?: string;
  ph: "X" | "M" | "C";
  ts?: number;
  dur?: number;
  pid: number;
  tid?: number;
  args?: Record<string, unknown>;
}

/** The events of one rank's record. */
export function traceEvents(rec: TrainRecord, maxSamples = 100_000): TraceEvent[] {
  const pid = rec.rank;
  // Run clock (ms) → wall-clock microseconds.
  const us = (t: number) => Math.round((rec.wallStart + (t - rec.startMs)) * 1000);
  const out: TraceEvent[] = [
    { name: "process_name", ph: "M", pid, args: { name: `rank ${pid}` } },
    { name: "thread_name", ph: "M", pid, tid: 0, args: { name: "training loop" } },
    { name: "thread_name", ph: "M", pid, tid: 1, args: { name: "samples (reader threads)" } },
    { name: "thread_name", ph: "M", pid, tid: 2, args: { name: "checkpoints" } },
  ];
  const x = (name: string, cat: string, t0: number, t1: number, tid: number, args?: object) =>
    out.push({
      name,
      cat,
      ph: "X",
      ts: us(t0),
      dur: Math.max(0, Math.round((t1 - t0) * 1000)),
      pid,
      tid,
      ...(args ? { args: args as Record<string, unknown> } : {}),
    });
  for (const e of rec.epochs) {
    const blocks = e.eval ? [...e.blocks, e.eval] : e.blocks;
    for (const b of blocks) {
      const isEval = b === e.eval;
      x(
        isEval ? "pipeline/evaluate" : "pipeline/epoch.block",
        "dlio_benchmark",
        b.startMs,
        b.endMs,
        0,
        { epoch: e.epoch, block: b.block, steps: b.steps.count },
      );
      b.steps.rows.forEach(([t, load, compute], i) => {
        x("dataloader/fetch.iter", "data_loader", t, t + load, 0, { step: i + 1 });
        x("compute", "ai_framework", t + load, t + load + compute, 0, { step: i + 1 });
      });
      if (b.steps.rows.length < b.steps.count) {
        out.push({
          name: "trace_truncated",
          ph: "M",
          pid,
          args: {
            epoch: e.epoch,
            block: b.block,
            steps_recorded: b.steps.rows.length,
            steps_total: b.steps.count,
          },
        });
      }
    }
  }
  const ev = rec.trainEvents;
  const n = ev.samples, rows = ev.rows.slice(0, maxSamples), keep = rows.length;
  for (const row of rows) {
    const total = row.ioMs + row.decodeMs + row.preprocessMs + row.h2dMs;
    x("data/item", "reader", row.doneMs - total, row.doneMs, 1, {
      key: row.key,
      sample: row.sample,
      epoch: row.epoch,
      bytes: row.bytes,
      io_ms: row.ioMs,
      decode_ms: row.decodeMs,
      preprocess_ms: row.preprocessMs,
      h2d_ms: row.h2dMs,
    });
  }
  if (keep < n) {
    out.push({
      name: "trace_truncated",
      ph: "M",
      pid,
      args: { samples_recorded: keep, samples_total: n },
    });
  }
  for (const ck of rec.checkpoints ?? []) {
    x(
      ck.kind === "save" ? "checkpoint/capture" : "checkpoint/restart",
      "checkpoint",
      ck.startMs,
      ck.endMs,
      2,
      { folder: ck.folder, bytes: ck.bytes, stored_bytes: ck.storedBytes, files: ck.files },
    );
  }
  return out;
}

/** The `.pfw` text: `[` then one event per line, each followed by a comma. */
export function pfw(events: TraceEvent[]): string {
  return "[\n" + events.map((e) => JSON.stringify(e) + ",\n").join("");
}
