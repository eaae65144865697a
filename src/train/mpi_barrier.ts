/**
 * A barrier over MPI that does not wait forever: every process tells rank 0 it arrived
 * (MPI_Isend), rank 0 waits for all of them (MPI_Irecv, polled with MPI_Test) and then releases
 * everyone. Past the timeout (`DL_DRIVER_MPI_TIMEOUT_S`, default 1800 s: long enough for a big
 * checkpoint on a slow rank) rank 0 names the processes that never arrived, and the others say
 * rank 0 never released them; the error stops the job (MPI_Abort).
 * @module
 */
import { ExitCode, UserError } from "../errors.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...a: any[]) => any;
type Handle = Deno.PointerValue | number;

/** FFI declarations of the calls the barrier needs (handle type: Open MPI pointer, MPICH int). */
export function barrierSymbols(handle: "pointer" | "i32") {
  return {
    MPI_Isend: {
      parameters: ["buffer", "i32", handle, "i32", "i32", handle, "buffer"],
      result: "i32",
    },
    MPI_Irecv: {
      parameters: ["buffer", "i32", handle, "i32", "i32", handle, "buffer"],
      result: "i32",
    },
    MPI_Test: { parameters: ["buffer", "buffer", "pointer"], result: "i32" },
  } as const;
}

/** What the barrier uses of an MPI binding. */
export interface BarrierMpi {
  calls: Record<string, AnyFn>;
  comm: Handle;
  int: Handle;
  /** MPI_STATUS_IGNORE (Open MPI: NULL; MPICH: (MPI_Status*)1). */
  statusIgnore: Deno.PointerValue;
  rank: number;
  size: number;
}

const ARRIVE = 7301, RELEASE = 7302;

/** The default timeout of MPI waits, from DL_DRIVER_MPI_TIMEOUT_S. */
export function mpiTimeoutMs(): number {
  const s = Number(Deno.env.get("DL_DRIVER_MPI_TIMEOUT_S") ?? 1800);
  return (Number.isFinite(s) && s > 0 ? s : 1800) * 1000;
}

interface Pending {
  peer: number;
  request: Uint8Array;
  buffer: Int32Array;
  done: boolean;
}

function check(rc: number, what: string): void {
  if (rc !== 0) throw new UserError(`${what} failed with MPI error ${rc}`);
}

/** Post a non-blocking send or receive of one int to or from `peer`. */
function post(m: BarrierMpi, kind: "MPI_Isend" | "MPI_Irecv", peer: number, tag: number): Pending {
  const p = { peer, request: new Uint8Array(8), buffer: new Int32Array([m.rank]), done: false };
  check(m.calls[kind]!(p.buffer, 1, m.int, peer, tag, m.comm, p.request), kind);
  return p;
}

/** The same post to every process but rank 0 (rank 0's side of the barrier). */
function postEach(m: BarrierMpi, kind: "MPI_Isend" | "MPI_Irecv", tag: number): Pending[] {
  return Array.from({ length: m.size - 1 }, (_, i) => post(m, kind, i + 1, tag));
}

/** Poll until every request completes; past the deadline, throw `onTimeout(peers not done)`. */
async function waitAll(
  m: BarrierMpi,
  reqs: Pending[],
  deadline: number,
  onTimeout: (missing: number[]) => string,
): Promise<void> {
  const flag = new Int32Array(1);
  for (let pause = 1;; pause = Math.min(pause * 2, 50)) {
    for (const r of reqs) {
      if (r.done) continue;
      check(m.calls.MPI_Test!(r.request, flag, m.statusIgnore), "MPI_Test");
      r.done = flag[0] !== 0;
    }
    const missing = reqs.filter((r) => !r.done).map((r) => r.peer);
    if (missing.length === 0) return;
    if (performance.now() > deadline) throw new UserError(onTimeout(missing), ExitCode.data);
    await new Promise((res) => setTimeout(res, pause));
  }
}

/** Wait until every process arrives, or fail after `timeoutMs` naming who did not. */
export async function timedBarrier(m: BarrierMpi, timeoutMs: number): Promise<void> {
  if (m.size === 1) return;
  const deadline = performance.now() + timeoutMs, secs = timeoutMs / 1000;
  if (m.rank === 0) {
    const arrivals = postEach(m, "MPI_Irecv", ARRIVE);
    await waitAll(
      m,
      arrivals,
      deadline,
      (missing) =>
        `MPI barrier: process${missing.length > 1 ? "es" : ""} ${
          missing.join(", ")
        } of ${m.size} ` +
        `did not arrive within ${secs} s (stuck or gone; DL_DRIVER_MPI_TIMEOUT_S sets the wait)`,
    );
    const releases = postEach(m, "MPI_Isend", RELEASE);
    await waitAll(
      m,
      releases,
      deadline,
      (missing) =>
        `MPI barrier: processes ${
          missing.join(", ")
        } did not take rank 0's release within ${secs} s`,
    );
    return;
  }
  const mine = [post(m, "MPI_Isend", 0, ARRIVE), post(m, "MPI_Irecv", 0, RELEASE)];
  await waitAll(
    m,
    mine,
    deadline,
    () =>
      `MPI barrier: process ${m.rank} was not released by rank 0 within ${secs} s (rank 0 waits ` +
      "for a process that is stuck or gone; its error names it)",
  );
}
