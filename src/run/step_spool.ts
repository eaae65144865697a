/**
 * A rank's step spool: every step's batch wait, batch wait + compute and compute (ms, float64
 * triples) appended to a hidden file in the results folder as the run goes, so DLIO's per-step
 * lists in `<rank>_output.json` are written from disk, never held in memory. The JSON writer
 * replaces each list marker (`stepListMarker`) with the block's values in seconds, formatted
 * exactly as `JSON.stringify(…, null, 2)` would. The spool is removed when the run's files are
 * final.
 * @module
 */
import { join } from "node:path";
import { STEP_LIST_MARKER, type StepColumn } from "../metrics/dlio_output.ts";
import type { StepSink } from "../metrics/steps.ts";
import { jsonText, partialPath, resultsError, resultsIo } from "./output_dir.ts";

const COLS: Record<StepColumn, number> = { load: 0, proc: 1, compute: 2 };
/** Steps buffered before a write. */
const BUFFER_STEPS = 8192;

/** The spool file of rank `rank` in results folder `dir`. */
export function stepSpoolPath(dir: string, rank: number): string {
  return join(dir, `.steps-${rank}.f64`);
}

/** Remove ranks' spools (the run's files are final, or it stopped before they could be). */
export async function removeStepSpools(dir: string, ranks: number[]): Promise<void> {
  for (const r of ranks) await Deno.remove(stepSpoolPath(dir, r)).catch(() => {});
}

/** Appends steps to a spool file. */
export class StepSpool implements StepSink {
  #file: Deno.FsFile;
  #buf = new Float64Array(BUFFER_STEPS * 3);
  #used = 0;
  written = 0;

  constructor(readonly path: string) {
    this.#file = resultsIo(path, "create", () => {
      Deno.mkdirSync(join(path, ".."), { recursive: true });
      return Deno.openSync(path, { write: true, create: true, truncate: true });
    });
  }

  step(load: number, proc: number, compute: number): void {
    const b = this.#buf, i = this.#used * 3;
    b[i] = load;
    b[i + 1] = proc;
    b[i + 2] = compute;
    this.written++;
    if (++this.#used === BUFFER_STEPS) this.flush();
  }

  flush(): void {
    const bytes = new Uint8Array(this.#buf.buffer, 0, this.#used * 24);
    resultsIo(this.path, "write", () => {
      for (let at = 0; at < bytes.byteLength;) at += this.#file.writeSync(bytes.subarray(at));
    });
    this.#used = 0;
  }

  close(): void {
    this.flush();
    this.#file.close();
  }
}

/** One column of steps [first, first + count) of a spool, in seconds. */
function* spooled(
  file: Deno.FsFile,
  first: number,
  count: number,
  col: StepColumn,
): Generator<number> {
  const buf = new Float64Array(BUFFER_STEPS * 3);
  const bytes = new Uint8Array(buf.buffer);
  file.seekSync(first * 24, Deno.SeekMode.Start);
  for (let left = count; left > 0;) {
    const n = Math.min(left, BUFFER_STEPS);
    let got = 0;
    while (got < n * 24) {
      const r = file.readSync(bytes.subarray(got, n * 24));
      if (r === null) throw new Error(`step spool ${first + count - left + got / 24}: truncated`);
      got += r;
    }
    for (let i = 0; i < n; i++) yield buf[i * 3 + COLS[col]]! / 1000;
    left -= n;
  }
}

const num = (v: number) => Number.isFinite(v) ? String(v) : "null";

/**
 * Write `text` (JSON with step-list markers) to `out`, each marker replaced by its values from
 * the spool, in JSON.stringify's two-space layout.
 */
export function writeWithSteps(
  out: Deno.FsFile,
  text: string,
  spool: string | undefined,
  signal?: AbortSignal,
): void {
  const enc = new TextEncoder();
  const put = (s: string) => {
    const b = enc.encode(s);
    for (let at = 0; at < b.byteLength;) at += out.writeSync(b.subarray(at));
  };
  const file = spool === undefined ? undefined : Deno.openSync(spool, { read: true });
  try {
    let at = 0;
    for (const m of text.matchAll(STEP_LIST_MARKER)) {
      put(text.slice(at, m.index));
      at = m.index + m[0].length;
      const count = Number(m[2]);
      if (count === 0) {
        put("[]");
        continue;
      }
      if (!file) throw new Error("per-step lists without a step spool");
      const lineIndent = lineIndentOf(text, m.index);
      let chunk = "[";
      let sep = "\n";
      for (const v of spooled(file, Number(m[1]), count, m[3] as StepColumn)) {
        chunk += `${sep}${lineIndent}  ${num(v)}`;
        sep = ",\n";
        if (chunk.length > 65536) {
          signal?.throwIfAborted();
          put(chunk);
          chunk = "";
        }
      }
      put(`${chunk}\n${lineIndent}]`);
    }
    put(text.slice(at));
  } finally {
    file?.close();
  }
}

/**
 * Write `value` as pretty JSON to `path` atomically, its step-list markers streamed from `spool`.
 * A signal stops it within a chunk (nothing half-written is left).
 */
export async function writeJsonWithSteps(
  path: string,
  value: unknown,
  spool: string | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const tmp = partialPath(path);
  let out: Deno.FsFile | undefined;
  try {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    out = await Deno.open(tmp, { write: true, create: true, truncate: true });
    writeWithSteps(out, jsonText(value), spool, signal);
    out.close();
    out = undefined;
    await Deno.rename(tmp, path);
  } catch (e) {
    out?.close();
    await Deno.remove(tmp).catch(() => {});
    throw resultsError(e, path, "write");
  }
}

/** The leading spaces of the line holding position `i`. */
function lineIndentOf(text: string, i: number): string {
  const start = text.lastIndexOf("\n", i) + 1;
  let n = 0;
  while (text[start + n] === " ") n++;
  return " ".repeat(n);
}
