/**
 * How ranks talk. A rank is one emulated accelerator. A job is P processes (MPI, see mpi.ts)
 * × N in-process accelerators (`--accelerators N`); rank = p·N + i, size = P·N.
 *
 * - barrier: DLIO's emulated all-reduce after every step (and at epoch ends);
 * - allreduceSum: DLIO's sampler sanity check (sample ids over all ranks sum to N(N−1)/2);
 * - gather: results to rank 0, which writes the job's summary.
 *
 * Collectives inside a process meet first; the last member to arrive does the process-level
 * collective for all of them. When one member fails, the others' waits are rejected instead of
 * hanging.
 * @module
 */

/** The communicator seen by the training loop. */
export interface Comm {
  readonly rank: number;
  readonly size: number;
  barrier(): Promise<void>;
  allreduceSum(v: number): Promise<number>;
}

/** Process-level collectives (one process of a job; MPI or alone). */
export interface ProcessComm {
  readonly rank: number;
  readonly size: number;
  /** What provides it, for the report ("solo", "mpi: Open MPI v4.1.6"). */
  readonly kind: string;
  /** Wait for every process; past `timeoutMs` (default: DL_DRIVER_MPI_TIMEOUT_S) fail naming who is missing. */
  barrier(timeoutMs?: number): Promise<void>;
  allreduceSum(v: number): Promise<number>;
  /** Rank 0 receives every process's bytes (in rank order); others receive []. */
  gather(data: Uint8Array): Promise<Uint8Array[]>;
  /** Rank 0's bytes, on every process. */
  broadcast(data: Uint8Array): Promise<Uint8Array>;
  /** Stop the whole job after a failure (MPI_Abort); alone: nothing. */
  abort(code: number): void;
  finalize(): Promise<void>;
}

/** A process on its own. */
export const soloProcess: ProcessComm = {
  rank: 0,
  size: 1,
  kind: "solo",
  barrier: () => Promise.resolve(),
  allreduceSum: (v) => Promise.resolve(v),
  gather: (d) => Promise.resolve([d]),
  broadcast: (d) => Promise.resolve(d),
  abort: () => {},
  finalize: () => Promise.resolve(),
};

/** A single rank on its own. */
export const soloComm: Comm = {
  rank: 0,
  size: 1,
  barrier: () => Promise.resolve(),
  allreduceSum: (v) => Promise.resolve(v),
};

/** A meeting point for the N in-process members of one collective call at a time. */
class Meeting<T> {
  #arrived = 0;
  #acc: T;
  #waiters: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  constructor(
    readonly n: number,
    readonly zero: () => T,
    readonly add: (a: T, b: T) => T,
    readonly complete: (acc: T) => Promise<T>,
  ) {
    this.#acc = zero();
  }
  failed: unknown;

  join(v: T): Promise<T> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const p = new Promise<T>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#acc = this.add(this.#acc, v);
    if (++this.#arrived === this.n) {
      const waiters = this.#waiters.splice(0), acc = this.#acc;
      this.#arrived = 0;
      this.#acc = this.zero();
      this.complete(acc).then(
        (r) => waiters.forEach((w) => w.resolve(r)),
        (e) => waiters.forEach((w) => w.reject(e)),
      );
    }
    return p;
  }

  fail(e: unknown) {
    this.failed ??= e;
    for (const w of this.#waiters.splice(0)) w.reject(e);
  }
}

/** N emulated accelerators in this process, over a process-level communicator. */
export class LocalGroup {
  readonly members: Comm[];
  #barrier: Meeting<number>;
  #sum: Meeting<number>;

  constructor(readonly n: number, readonly process: ProcessComm = soloProcess) {
    this.#barrier = new Meeting(n, () => 0, () => 0, async () => {
      await process.barrier();
      return 0;
    });
    this.#sum = new Meeting(n, () => 0, (a, b) => a + b, (acc) => process.allreduceSum(acc));
    const size = process.size * n;
    this.members = Array.from({ length: n }, (_, i) => ({
      rank: process.rank * n + i,
      size,
      barrier: () => this.#barrier.join(0).then(() => {}),
      allreduceSum: (v: number) => this.#sum.join(v),
    }));
  }

  /** A member failed: release the others' waits with the error (no hang at a barrier). */
  fail(e: unknown): void {
    this.#barrier.fail(e);
    this.#sum.fail(e);
  }
}
