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

/** The real clock: `performance.now()` and `setTimeout`. */
export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleep: (ms) => ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms)),
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
