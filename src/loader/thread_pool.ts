/**
 * The thread engine: `read_threads` reader threads (Web Workers), like DLIO's PyTorch worker
 * processes. Each reads one sample at a time with blocking I/O, decodes it and copies it into a
 * shared batch buffer; the training loop's thread only schedules. Sixteen jobs are queued per
 * thread to hide the message round trip; reads in flight never exceed the thread count. Jobs
 * and results cross threads in batches, packed as numbers: the jobs asked for in one task go as
 * one message per thread (each key once in a row; while a thread still has 8 to answer, new
 * ones wait until 8 are ready), and a thread sends its results together (when its queue runs
 * dry, every 64 results, or 1 ms after the oldest unsent one), not one message per sample.
 * @module
 */
import { UserError } from "../errors.ts";
import type { OpenOptions } from "../storage/open.ts";
import type { Executor, SampleDone } from "./executor.ts";
import type { EpochSetup, SampleJob } from "./sample_reader.ts";
import { JobPacker, RESULT_FIELDS, unpackResult } from "./wire.ts";
import type { RequestRecord } from "../storage/request_log.ts";
import type { BackendStats } from "../metrics/records.ts";

/** Jobs a reader thread gets at once while it still has this many to answer (see #flush). */
const CHUNK = 8;

/** A pool of reader threads over a backend that can be reopened from its URI. */
export class ThreadExecutor implements Executor {
  readonly readers: number;
  readonly lanes: number;
  #workers: Worker[];
  #pending = new Map<number, SampleDone>();
  #nextId = 0;
  #ready: Promise<void>;
  #readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Set when a reader thread crashed: every later call fails with it instead of waiting. */
  #crashed: unknown;
  #statsWaiters: ((s: BackendStats) => void)[] = [];

  constructor(
    uri: string,
    format: string,
    threads: number,
    openOptions: OpenOptions = {},
    traceRequests = false,
  ) {
    this.readers = Math.max(1, threads);
    this.lanes = this.readers * 16;
    this.#posted = new Array(this.readers).fill(0);
    this.#workers = Array.from({ length: this.readers }, (_, i) => {
      const w = new Worker(new URL("./reader_worker.ts", import.meta.url), { type: "module" });
      w.onmessage = (ev) => this.#onMessage(ev.data, i);
      w.onerror = (ev) => {
        ev.preventDefault();
        const e = /Requires \w+ access/.test(ev.message)
          ? new UserError(`a reader thread could not start: ${ev.message}`)
          : new Error(`reader thread crashed: ${ev.message}`);
        this.#crashed ??= e;
        this.#failAll(e);
      };
      return w;
    });
    // Reader threads time requests on this thread's clock (performance.now() here).
    const origin = performance.timeOrigin;
    this.#ready = this.#broadcast((id: number) => ({
      type: "init",
      uri,
      format,
      openOptions,
      id,
      traceRequests,
      origin,
    }));
    this.#ready.catch(() => {}); // awaited by begin(); a crash before that is reported there
  }

  #broadcast(msg: unknown | ((i: number) => unknown)): Promise<void> {
    if (this.#crashed !== undefined) return Promise.reject(this.#crashed);
    const waits = this.#workers.map(() =>
      new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject }))
    );
    this.#workers.forEach((w, i) => w.postMessage(typeof msg === "function" ? msg(i) : msg));
    return Promise.all(waits).then(() => {});
  }

  #onMessage(m: {
    type: string;
    id?: number;
    /** `dones`: RESULT_FIELDS numbers per result (see wire.ts), and their requests. */
    packed?: Float64Array;
    requests?: (RequestRecord[] | undefined)[];
    stats?: BackendStats;
    error?: { message: string; user: boolean; exitCode?: number; name: string };
  }, from: number) {
    if (m.type === "ready") {
      this.#readyWaiters.shift()?.resolve();
      return;
    }
    if (m.type === "stats") {
      this.#statsWaiters.shift()?.(m.stats!);
      return;
    }
    if (m.type === "dones") {
      // A thread's results since its last message, in the order it finished them.
      const v = m.packed!;
      this.#posted[from]! -= v.length / RESULT_FIELDS;
      for (let i = 0, at = 0; at < v.length; i++, at += RESULT_FIELDS) {
        const done = this.#pending.get(v[at]!);
        this.#pending.delete(v[at]!);
        done?.(unpackResult(v, at, m.requests?.[i]));
      }
      this.#queueFlush(); // jobs held back for this thread may go now
      return;
    }
    if (m.type === "error" && m.id === undefined) {
      this.#failAll(rebuild(m.error!));
      return;
    }
    this.#posted[from]!--;
    const done = this.#pending.get(m.id!);
    this.#pending.delete(m.id!);
    done?.(undefined, rebuild(m.error!));
    this.#queueFlush();
  }

  #failAll(e: unknown) {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const done of pending) done(undefined, e);
    for (const r of this.#readyWaiters.splice(0)) r.reject(e);
  }

  #nextSession = 0;

  async begin(e: EpochSetup): Promise<number> {
    await this.#ready;
    const session = this.#nextSession++;
    await this.#broadcast({
      type: "epoch",
      session,
      setup: {
        ...e,
        ring: e.ring.map((b) => b.buffer as SharedArrayBuffer),
        counter: e.counter.buffer as SharedArrayBuffer,
      },
    });
    return session;
  }

  async end(session: number): Promise<void> {
    // Jobs of a session are all answered before its loader ends it; messages to a worker are
    // handled in order, so no job of the session can follow this.
    for (const w of this.#workers) w.postMessage({ type: "end", session });
    await Promise.resolve();
  }

  /** Jobs waiting to be posted, per thread: posted together at the end of the current task. */
  #outbox: JobPacker[] = [];
  #flushQueued = false;
  /** Jobs posted to each thread and not yet answered. */
  #posted: number[];
  /** Job messages posted to the threads, and the jobs they carried. */
  readonly traffic = { messages: 0, jobs: 0 };

  submit(job: SampleJob, lane: number, done: SampleDone): void {
    const crashed = this.#crashed;
    if (crashed !== undefined) {
      queueMicrotask(() => done(undefined, crashed));
      return;
    }
    const id = this.#nextId++;
    this.#pending.set(id, done);
    const w = (job.reader ?? lane) % this.readers;
    (this.#outbox[w] ??= new JobPacker()).add(id, job);
    this.#queueFlush();
  }

  #queueFlush() {
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /**
   * One message per thread for the jobs asked for since the last one, not one per job. A thread
   * with CHUNK or more jobs still to answer gets new ones CHUNK at a time: its answers free
   * lanes a few at a time, and posting each few as they come would settle into a message (and
   * an answer) per job or two, each costing the loop's thread more than the read.
   */
  #flush() {
    this.#flushQueued = false;
    this.#outbox.forEach((jobs, w) => {
      if (jobs.size === 0 || (jobs.size < CHUNK && this.#posted[w]! >= CHUNK)) return;
      this.#posted[w]! += jobs.size;
      this.traffic.messages++;
      this.traffic.jobs += jobs.size;
      const { packed, keys } = jobs.take();
      this.#workers[w]!.postMessage({ type: "jobs", packed, keys }, [packed.buffer]);
    });
  }

  async close(): Promise<BackendStats> {
    const total: BackendStats = { requests: 0, retries: 0 };
    const replies = this.#workers.map(() =>
      new Promise<BackendStats>((r) => this.#statsWaiters.push(r))
    );
    for (const w of this.#workers) w.postMessage({ type: "stats" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<BackendStats[]>((r) => (timer = setTimeout(() => r([]), 2000)));
    const all = await Promise.race([Promise.all(replies), timeout]).finally(() =>
      clearTimeout(timer)
    );
    for (const s of all) {
      total.requests += s.requests;
      total.retries += s.retries;
    }
    for (const w of this.#workers) w.terminate();
    this.#failAll(new Error("reader threads closed"));
    return total;
  }
}

function rebuild(e: { message: string; user: boolean; exitCode?: number; name: string }): Error {
  if (e.user) {
    const err = new UserError(e.message, e.exitCode);
    err.name = e.name;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
