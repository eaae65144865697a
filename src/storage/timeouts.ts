/**
 * Storage timeouts (`storage_options.connect_timeout_s`, `idle_timeout_s`, `request_timeout_s`):
 * no storage request waits forever. The object-store backends give the first two to their SDK
 * and bound every operation, retries included, by the third.
 * @module
 */
import { StorageError } from "./backend.ts";

/** Timeouts in milliseconds. */
export interface Timeouts {
  connectMs: number;
  idleMs: number;
  requestMs: number;
}

/** The timeouts from DLIO-style storage options (seconds), with dl-driver's defaults. */
export function timeoutsOf(o: {
  connect_timeout_s?: number | null;
  idle_timeout_s?: number | null;
  request_timeout_s?: number | null;
}): Timeouts {
  return {
    connectMs: (o.connect_timeout_s ?? 10) * 1000,
    idleMs: (o.idle_timeout_s ?? 20) * 1000,
    requestMs: (o.request_timeout_s ?? 110) * 1000,
  };
}

/** The callers' signals (request, run), also aborted when the operation's overall time is up. */
export function bounded(t: Timeouts, ...signals: (AbortSignal | undefined)[]): AbortSignal {
  const all = signals.filter((s): s is AbortSignal => s !== undefined);
  return AbortSignal.any([...all, AbortSignal.timeout(t.requestMs)]);
}

/** Whether an error is the overall timeout firing (not a caller's abort). */
export function timedOut(signal: AbortSignal, ...callers: (AbortSignal | undefined)[]): boolean {
  return signal.aborted && !callers.some((c) => c?.aborted) &&
    (signal.reason as Error | undefined)?.name === "TimeoutError";
}

/** The error for an operation that ran out of time. */
export function timeoutError(op: string, uri: string, t: Timeouts, cause?: unknown): StorageError {
  return new StorageError(
    "io",
    op,
    uri,
    `no answer from the endpoint within ${t.requestMs / 1000} s ` +
      "(storage_options.request_timeout_s; idle_timeout_s and connect_timeout_s bound each try)",
    { cause },
  );
}
