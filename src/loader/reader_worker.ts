/**
 * A reader thread: opens the backend from its URI, reads samples (blocking I/O where the
 * backend has it), writes them
 * into the shared batch buffers and reports timings. Messages: `init`, `epoch`, `jobs` (a batch).
 * @module
 */
/// <reference lib="deno.worker" />
import { codecFor } from "../formats/mod.ts";
import { openBackend, type OpenOptions } from "../storage/open.ts";
import { UserError } from "../errors.ts";
import {
  type EpochSetup,
  type Fetched,
  type SampleJob,
  SampleReader,
  type SampleResult,
} from "./sample_reader.ts";
import { packResult, RESULT_FIELDS, unpackJobs } from "./wire.ts";
import type { RequestRecord } from "../storage/request_log.ts";

let reader: SampleReader | undefined;
const sessions = new Map<number, EpochSetup>();
// A private cell to sleep on (reader threads may block; DLIO's preprocess sleep blocks too).
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
let readerId = 0;

// Control messages run one at a time, in order. Jobs run through a small pipeline: one read in
// flight at a time; on backends with a non-blocking read (direct://, object stores) the next
// object's read overlaps the current one's decode and copy.
let queue: Promise<void> = Promise.resolve();
const jobs: { id: number; job: SampleJob }[] = [];
let pumping = false;
self.onmessage = (ev: MessageEvent) => {
  const m = ev.data as Message;
  if (m.type === "jobs") {
    jobs.push(...unpackJobs(m.packed, m.keys));
    if (!pumping) queue = queue.then(pump);
  } else queue = queue.then(() => handle(m));
};

// Results go back together, packed as numbers: when the queue runs dry, every 64 results, or
// 1 ms after the oldest unsent one (so a batch's last sample is never held back behind slow
// reads).
const FLUSH_AT = 64;
let packed = new Float64Array(FLUSH_AT * RESULT_FIELDS);
let doneCount = 0;
let doneRequests: (RequestRecord[] | undefined)[] | undefined;
let oldestDone = 0;

function report(id: number, r: SampleResult) {
  if (doneCount === 0) oldestDone = performance.now();
  packResult(packed, doneCount * RESULT_FIELDS, id, r);
  if (r.requests) (doneRequests ??= [])[doneCount] = r.requests;
  doneCount++;
  if (jobs.length === 0 || doneCount >= FLUSH_AT || performance.now() - oldestDone >= 1) {
    flushDone();
  }
}

function flushDone() {
  if (doneCount === 0) return;
  const v = packed.subarray(0, doneCount * RESULT_FIELDS);
  self.postMessage({ type: "dones", packed: v, requests: doneRequests }, [packed.buffer]);
  packed = new Float64Array(FLUSH_AT * RESULT_FIELDS);
  doneCount = 0;
  doneRequests = undefined;
}

type Settled = { ok: true; value: Fetched } | { ok: false; error: unknown };
const settle = (p: Promise<Fetched>): Promise<Settled> =>
  p.then((value) => ({ ok: true as const, value }), (error) => ({ ok: false as const, error }));

async function pump() {
  pumping = true;
  const r = reader!;
  const overlap = r.backend.capabilities.directIO || !r.backend.getSync;
  let next: { job: SampleJob; slot: number; fetched: Promise<Settled> } | undefined;
  let slot = 0;
  try {
    while (jobs.length > 0) {
      const { id, job } = jobs.shift()!;
      const e = sessions.get(job.session ?? 0)!;
      let fetched: Fetched | undefined;
      try {
        if (r.cached(job, e)) fetched = undefined;
        else if (next && next.job === job) {
          const s = await next.fetched;
          if (!s.ok) throw s.error;
          fetched = s.value;
        } else {
          // Blocking reads complete without a promise; the rest (and pipelined reads) await.
          fetched = overlap ? undefined : r.fetchJobSync(job, e, slot);
          fetched ??= await r.fetchJob(job, e, slot, !overlap);
        }
        next = undefined;
        slot ^= 1;
        const ahead = jobs[0];
        const ae = ahead && sessions.get(ahead.job.session ?? 0);
        if (overlap && ahead && ae && !r.cached(ahead.job, ae)) {
          next = { job: ahead.job, slot, fetched: settle(r.fetchJob(ahead.job, ae, slot, false)) };
        }
        const result = r.place(job, fetched, e);
        const ms = r.preprocessMs(e, readerId);
        if (ms > 0) {
          const t = r.now();
          Atomics.wait(sleepCell, 0, 0, ms);
          result.preprocessMs = r.now() - t;
        }
        report(id, result);
      } catch (err) {
        next = undefined;
        postError(err, id);
      }
    }
  } finally {
    flushDone();
    pumping = false;
  }
}

/** Messages from the pool. */
type Message =
  | {
    type: "init";
    uri: string;
    format: string;
    openOptions: OpenOptions;
    id: number;
    traceRequests: boolean;
    /** The pool thread's performance.timeOrigin: this thread's clock is aligned with it. */
    origin: number;
  }
  | { type: "end"; session: number }
  | {
    type: "epoch";
    session: number;
    setup: Omit<EpochSetup, "ring" | "counter"> & {
      ring: SharedArrayBuffer[];
      counter: SharedArrayBuffer;
    };
  }
  | { type: "stats" }
  | { type: "jobs"; packed: Float64Array; keys: string[] };

async function handle(m: Message) {
  try {
    if (m.type === "init") {
      readerId = m.id;
      const shift = performance.timeOrigin - m.origin;
      reader = new SampleReader(
        await openBackend(m.uri, m.openOptions),
        await codecFor(m.format),
        () => performance.now() + shift,
        true,
        m.traceRequests,
      );
      self.postMessage({ type: "ready" });
    } else if (m.type === "epoch") {
      sessions.set(m.session, {
        ...m.setup,
        ring: m.setup.ring.map((b) => new Uint8Array(b)),
        counter: new Int32Array(m.setup.counter),
      });
      self.postMessage({ type: "ready" });
    } else if (m.type === "end") {
      sessions.delete(m.session);
      // Files kept open between samples are closed between epochs (none stays open for good).
      if (sessions.size === 0) reader?.release();
    } else if (m.type === "stats") {
      const stats = reader?.backend.stats?.() ?? { requests: 0, retries: 0 };
      self.postMessage({ type: "stats", stats });
    }
  } catch (e) {
    postError(e, undefined);
  }
}

function postError(e: unknown, id: number | undefined) {
  flushDone(); // results finished before the failure arrive first
  self.postMessage({
    type: "error",
    id,
    error: {
      message: (e as Error)?.message ?? String(e),
      name: (e as Error)?.name ?? "Error",
      user: e instanceof UserError,
      exitCode: e instanceof UserError ? e.exitCode : undefined,
    },
  });
}
