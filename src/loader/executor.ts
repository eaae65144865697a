/**
 * Where sample reads run. `inline`: async reads on the calling thread (any backend, fake clocks
 * in tests). `threads` (see thread_pool.ts): one reader thread per `read_threads`, each reading
 * synchronously and writing into shared batch buffers, so the training loop's thread only
 * schedules and never copies sample bytes.
 * @module
 */
import type { Codec } from "../formats/codec.ts";
import type { StorageBackend } from "../storage/backend.ts";
import type { Clock } from "../util/clock.ts";
import {
  type EpochSetup,
  type SampleJob,
  SampleReader,
  type SampleResult,
} from "./sample_reader.ts";
import type { BackendStats } from "../metrics/records.ts";

/** Called once per submitted job: its result, or (no result) why it failed. */
export type SampleDone = (r: SampleResult | undefined, error?: unknown) => void;

/** Runs sample reads. */
export interface Executor {
  /** Concurrent lanes the loader may keep busy. */
  readonly lanes: number;
  /** Reads actually in flight at most (≤ lanes). */
  readonly readers: number;
  /**
   * Open a session (one epoch of one rank: its buffers and batch size); returns its id, which
   * jobs carry. Sessions of several ranks can be open at once on one engine. `clock` is the
   * rank's timeline: inline reads are timed (and preprocess sleeps taken) on it; reader
   * threads always use real time.
   */
  begin(e: EpochSetup, clock?: Clock): Promise<number>;
  /** Close a session. */
  end(session: number): Promise<void>;
  /**
   * Read one sample on a lane; `done` is called once, later (never within the call), with its
   * result or why it failed. Results arrive through callbacks, not a promise per sample.
   */
  submit(job: SampleJob, lane: number, done: SampleDone, signal?: AbortSignal): void;
  /** Stop; returns the storage requests and retries its readers made. */
  close(): Promise<BackendStats>;
}

/** Reads on the calling thread, `readers` at a time. */
export class InlineExecutor implements Executor {
  readonly lanes: number;
  readonly readers: number;
  #readers: SampleReader[];
  #sessions = new Map<number, { e: EpochSetup; clock: Clock }>();
  /** The clock of the job each reader is running (jobs are sequential per reader). */
  #readerClocks: Clock[];
  #nextSession = 0;
  #clock: Clock;
  #backend: StorageBackend;
  #start: BackendStats;

  constructor(
    backend: StorageBackend,
    codec: Codec,
    readers: number,
    clock: Clock,
    traceRequests = false,
  ) {
    this.#backend = backend;
    this.#clock = clock;
    this.#start = backend.stats?.() ?? { requests: 0, retries: 0 };
    this.readers = this.lanes = Math.max(1, readers);
    this.#readerClocks = Array.from({ length: this.lanes }, () => clock);
    this.#readers = Array.from(
      { length: this.lanes },
      (_, r) =>
        new SampleReader(backend, codec, () => this.#readerClocks[r]!.now(), false, traceRequests),
    );
  }

  begin(e: EpochSetup, clock?: Clock): Promise<number> {
    const id = this.#nextSession++;
    this.#sessions.set(id, { e, clock: clock ?? this.#clock });
    return Promise.resolve(id);
  }

  end(session: number): Promise<void> {
    this.#sessions.delete(session);
    if (this.#sessions.size === 0) { for (const r of this.#readers) r.release(); }
    return Promise.resolve();
  }

  #queues: Promise<unknown>[] = [];

  submit(job: SampleJob, lane: number, done: SampleDone, signal?: AbortSignal): void {
    this.#run(job, lane, signal).then((r) => done(r), (e) => done(undefined, e));
  }

  #run(job: SampleJob, lane: number, signal?: AbortSignal): Promise<SampleResult> {
    // One job at a time per reader (its buffers and stream state are its own).
    const r = (job.reader ?? lane) % this.readers;
    const prev = this.#queues[r] ?? Promise.resolve();
    const { e, clock } = this.#sessions.get(job.session ?? 0)!;
    const sleep = (ms: number) => clock.sleep(ms);
    const next = prev.catch(() => {}).then(() => {
      this.#readerClocks[r] = clock;
      return this.#readers[r]!.read(job, e, signal, sleep);
    });
    this.#queues[r] = next;
    return next;
  }

  close(): Promise<BackendStats> {
    const now = this.#backend.stats?.() ?? { requests: 0, retries: 0 };
    return Promise.resolve({
      requests: now.requests - this.#start.requests,
      retries: now.retries - this.#start.retries,
    });
  }
}
