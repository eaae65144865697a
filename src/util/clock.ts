/**
 * Time sources. The training loop and the metrics take a `Clock`, so tests run in fake time.
 * @module
 */

/** Monotonic time in milliseconds, wall-clock time, and a sleeper. */
export interface Clock {
  /** Monotonic milliseconds (high resolution). */
  now(): number;
  /** Wall-clock time in epoch milliseconds (for timestamps in reports). */
  wallNow(): number;
  /** Sleep for `ms` milliseconds (emulated compute, eval, pauses). */
  sleep(ms: number): Promise<void>;
}

/** The last stretch of a sleep that does not trust the event loop's timer (ms). */
const PRECISE_MS = 4;
const waitCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Sleep `ms` and wake within tens of µs of the target (emulated compute must end on time: a
 * timer alone wakes ~1.2 ms late on average, more at p99, which inflates AU and caps
 * throughput at short steps). The event loop's timer covers all but the last 4 ms; a blocking
 * futex wait covers all but the last 0.2 ms; a spin ends it. So the loop is blocked for at most
 * the last 4 ms of each sleep (DLIO's compute blocks its whole main thread), while reader
 * threads keep reading.
 */
export async function preciseSleep(ms: number): Promise<void> {
  if (!(ms > 0)) return;
  const end = performance.now() + ms;
  if (ms > PRECISE_MS) await new Promise((r) => setTimeout(r, ms - PRECISE_MS));
  const left = end - performance.now();
  if (left > 0.3) Atomics.wait(waitCell, 0, 0, left - 0.2);
  while (performance.now() < end) { /* the last stretch: spin */ }
}

/** The real clock: `performance.now()`, and sleeps that end on time. */
export const realClock: Clock = {
  now: () => performance.now(),
  // Sub-millisecond wall time, so DLIO's timestamps carry real microseconds.
  wallNow: () => performance.timeOrigin + performance.now(),
  sleep: preciseSleep,
};

/** A fake clock for tests: `sleep` advances time instantly; `advance` moves it by hand. */
export class FakeClock implements Clock {
  #t: number;
  #wall0: number;
  /** Start at `start` ms monotonic and the given wall time. */
  constructor(start = 0, wall0: number = Date.UTC(2026, 0, 1)) {
    this.#t = start;
    this.#wall0 = wall0 - start;
  }
  now(): number {
    return this.#t;
  }
  wallNow(): number {
    return this.#wall0 + this.#t;
  }
  sleep(ms: number): Promise<void> {
    if (ms > 0) this.#t += ms;
    return Promise.resolve();
  }
  /** Move time forward by `ms`. */
  advance(ms: number): void {
    this.#t += ms;
  }
}

/** Local time formatted as DLIO does: `%Y-%m-%dT%H:%M:%S.%f`. */
export function dlioTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const micros = Math.floor((epochMs % 1000 + 1000) % 1000 * 1000);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}.${p(micros, 6)}`;
}
