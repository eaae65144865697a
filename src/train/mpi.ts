/**
 * MPI through FFI to libmpi (no bindings package, no compiler): under `mpirun`/`srun` each
 * process learns its rank and size from the launcher's variables (Open MPI, MPICH/PMI, Slurm)
 * and from MPI itself, and uses MPI for barriers (DLIO's per-step emulated all-reduce), the
 * sampler's sum check, and gathering results to rank 0.
 *
 * Blocking MPI calls run on Deno's FFI thread pool (`nonblocking`), so the event loop keeps
 * serving the loaders while a rank waits at a barrier; calls are serialised (MPI is initialised
 * with MPI_THREAD_SERIALIZED or better; with less, calls block the main thread instead).
 * Handles: Open MPI's are addresses of exported symbols (`ompi_mpi_comm_world`, ...); MPICH's
 * are integer constants (from mpi.h; not tested here, where Open MPI is installed).
 * @module
 */
import { UserError } from "../errors.ts";
import { barrierSymbols, mpiTimeoutMs, timedBarrier } from "./mpi_barrier.ts";
import { type ProcessComm, soloProcess } from "./comm.ts";

/** Rank and size from the launcher's environment, if launched by one. */
export interface LaunchInfo {
  rank: number;
  size: number;
  launcher: string;
}

/** What launched this process (Open MPI, MPICH/Hydra or PMI, Slurm), from its variables. */
export function launchInfo(env: (k: string) => string | undefined): LaunchInfo | undefined {
  const pairs: [string, string, string][] = [
    ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "Open MPI"],
    ["PMI_RANK", "PMI_SIZE", "MPICH/PMI"],
    ["PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "PMIx"],
    ["SLURM_PROCID", "SLURM_NTASKS", "Slurm"],
  ];
  for (const [r, s, launcher] of pairs) {
    const rank = Number(env(r)), size = Number(env(s));
    if (env(r) !== undefined && env(s) !== undefined && Number.isInteger(rank) && size >= 1) {
      return { rank, size, launcher };
    }
  }
  return undefined;
}

/** An environment variable, or undefined where reading it is not permitted. */
function readEnv(k: string): string | undefined {
  try {
    return Deno.env.get(k);
  } catch {
    return undefined;
  }
}

const LIBS = ["libmpi.so.40", "libmpi.so.12", "libmpi.so"];
const THREAD_SERIALIZED = 2, THREAD_MULTIPLE = 3;

/** The job's process communicator: MPI when launched as one of several ranks, else solo. */
export function processComm(
  env: (k: string) => string | undefined = readEnv,
): ProcessComm {
  const info = launchInfo(env);
  if (!info || info.size <= 1) return soloProcess;
  const tried = env("DL_DRIVER_LIBMPI") ? [env("DL_DRIVER_LIBMPI")!] : LIBS;
  const errors: string[] = [];
  for (const path of tried) {
    try {
      return openMpi(path, info);
    } catch (e) {
      if (e instanceof UserError) throw e;
      errors.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new UserError(
    `launched as rank ${info.rank} of ${info.size} by ${info.launcher}, but no MPI library ` +
      `could be loaded (${errors.join("; ")}); install Open MPI or MPICH, or set ` +
      "DL_DRIVER_LIBMPI=/path/to/libmpi.so",
  );
}

type Handle = Deno.PointerValue | number;

function commonSymbols(handle: "pointer" | "i32", nonblocking: boolean) {
  return {
    MPI_Init_thread: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
    MPI_Comm_rank: { parameters: [handle, "buffer"], result: "i32" },
    MPI_Comm_size: { parameters: [handle, "buffer"], result: "i32" },
    MPI_Get_library_version: { parameters: ["buffer", "buffer"], result: "i32" },
    MPI_Barrier: { parameters: [handle], result: "i32", nonblocking },
    MPI_Allreduce: {
      parameters: ["buffer", "buffer", "i32", handle, handle, handle],
      result: "i32",
      nonblocking,
    },
    MPI_Gather: {
      parameters: ["buffer", "i32", handle, "buffer", "i32", handle, "i32", handle],
      result: "i32",
      nonblocking,
    },
    MPI_Gatherv: {
      parameters: ["buffer", "i32", handle, "buffer", "buffer", "buffer", handle, "i32", handle],
      result: "i32",
      nonblocking,
    },
    MPI_Bcast: { parameters: ["buffer", "i32", handle, "i32", handle], result: "i32", nonblocking },
    MPI_Abort: { parameters: [handle, "i32"], result: "i32" },
    MPI_Finalize: { parameters: [], result: "i32" },
  } as const;
}

const OMPI_STATICS = {
  ompi_mpi_comm_world: { type: "pointer" },
  ompi_mpi_byte: { type: "pointer" },
  ompi_mpi_int: { type: "pointer" },
  ompi_mpi_double: { type: "pointer" },
  ompi_mpi_op_sum: { type: "pointer" },
} as const;

/** MPICH's handles (mpi.h). */
const MPICH = {
  comm: 0x44000000,
  byte: 0x4c00010d,
  int: 0x4c000405,
  double: 0x4c00080b,
  sum: 0x58000003,
};

// deno-lint-ignore no-explicit-any
type AnyFn = (...a: any[]) => any;

type Handles = { comm: Handle; byte: Handle; int: Handle; double: Handle; sum: Handle };
type Lib = { symbols: Record<string, AnyFn> };

/** Load libmpi: Open MPI (handles are exported statics) or MPICH (handles are constants). */
function loadMpi(path: string): { lib: Lib; h: Handles; flavour: "ompi" | "mpich" } {
  try {
    const l = Deno.dlopen(path, {
      ...commonSymbols("pointer", true),
      ...barrierSymbols("pointer"),
      ...OMPI_STATICS,
    });
    const s = l.symbols as unknown as Record<string, Deno.PointerValue>;
    const h = {
      comm: s.ompi_mpi_comm_world!,
      byte: s.ompi_mpi_byte!,
      int: s.ompi_mpi_int!,
      double: s.ompi_mpi_double!,
      sum: s.ompi_mpi_op_sum!,
    };
    return { lib: l as unknown as Lib, h, flavour: "ompi" };
  } catch (e) {
    if (!/ompi_mpi|symbol/i.test((e as Error).message)) throw e;
    return {
      lib: Deno.dlopen(path, {
        ...commonSymbols("i32", true),
        ...barrierSymbols("i32"),
      }) as unknown as Lib,
      h: MPICH,
      flavour: "mpich",
    };
  }
}

/** MPI_Init_thread, this rank and size (checked against the launcher), the library version. */
function initMpi(path: string, info: LaunchInfo) {
  const { lib, h, flavour } = loadMpi(path);
  const sym = lib.symbols;
  const provided = new Int32Array(1);
  check(sym.MPI_Init_thread(null, null, THREAD_MULTIPLE, provided), "MPI_Init_thread");
  // Below SERIALIZED, calls must come from the main thread: open a blocking copy of the symbols.
  const calls = provided[0]! >= THREAD_SERIALIZED ? sym : (Deno.dlopen(
    path,
    commonSymbols(flavour === "ompi" ? "pointer" : "i32", false),
  ) as unknown as Lib).symbols;
  const out = new Int32Array(1);
  check(sym.MPI_Comm_rank(h.comm, out), "MPI_Comm_rank");
  const rank = out[0]!;
  check(sym.MPI_Comm_size(h.comm, out), "MPI_Comm_size");
  const size = out[0]!;
  if (rank !== info.rank || size !== info.size) {
    throw new UserError(
      `${info.launcher} says rank ${info.rank} of ${info.size}, MPI says ${rank} of ${size} ` +
        `(${path}); is this the MPI library mpirun belongs to? Set DL_DRIVER_LIBMPI`,
    );
  }
  const ver = new Uint8Array(8192), verLen = new Int32Array(1);
  sym.MPI_Get_library_version(ver, verLen);
  const version = new TextDecoder().decode(ver.subarray(0, Math.max(0, verLen[0]!)))
    .split(/[,\n]/)[0]!.replace(/\0.*$/, "").trim();
  return { sym, calls, h, flavour, rank, size, version };
}

const run = async (name: string, r: Promise<number> | number) => check(await r, name);

/** Gather variable-length buffers on rank 0 (MPI_Gather of lengths, then MPI_Gatherv). */
async function gatherv(
  calls: Record<string, AnyFn>,
  h: Handles,
  rank: number,
  size: number,
  data: Uint8Array,
): Promise<Uint8Array[]> {
  const lens = new Int32Array(size);
  await run(
    "MPI_Gather",
    calls.MPI_Gather(new Int32Array([data.byteLength]), 1, h.int, lens, 1, h.int, 0, h.comm),
  );
  const displs = new Int32Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    displs[i] = total;
    total += lens[i]!;
  }
  const recv = new Uint8Array(rank === 0 ? Math.max(1, total) : 1);
  const send = data.byteLength ? data : new Uint8Array(1);
  await run(
    "MPI_Gatherv",
    calls.MPI_Gatherv(send, data.byteLength, h.byte, recv, lens, displs, h.byte, 0, h.comm),
  );
  if (rank !== 0) return [];
  return Array.from({ length: size }, (_, i) => recv.slice(displs[i]!, displs[i]! + lens[i]!));
}

function openMpi(path: string, info: LaunchInfo): ProcessComm {
  const { sym, calls, h, flavour, rank, size, version } = initMpi(path, info);
  // One MPI call at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T> | T): Promise<T> => {
    const p = queue.then(f, f);
    queue = p.catch(() => {});
    return p;
  };
  return {
    rank,
    size,
    kind: `mpi: ${version || flavour} (${info.launcher})`,
    barrier: (timeoutMs = mpiTimeoutMs()) =>
      serial(() =>
        timeoutMs === Infinity ? run("MPI_Barrier", calls.MPI_Barrier(h.comm)) : timedBarrier({
          calls: sym,
          comm: h.comm,
          int: h.int,
          statusIgnore: flavour === "ompi" ? null : Deno.UnsafePointer.create(1n),
          rank,
          size,
        }, timeoutMs)
      ),
    allreduceSum: (v) =>
      serial(async () => {
        const send = new Float64Array([v]), recv = new Float64Array(1);
        await run("MPI_Allreduce", calls.MPI_Allreduce(send, recv, 1, h.double, h.sum, h.comm));
        return recv[0]!;
      }),
    gather: (data) => serial(() => gatherv(calls, h, rank, size, data)),
    broadcast: (data) =>
      serial(async () => {
        const len = new Int32Array([data.byteLength]);
        await run("MPI_Bcast", calls.MPI_Bcast(len, 1, h.int, 0, h.comm));
        const buf = rank === 0 ? data.slice() : new Uint8Array(len[0]!);
        if (len[0]! > 0) await run("MPI_Bcast", calls.MPI_Bcast(buf, len[0]!, h.byte, 0, h.comm));
        return buf;
      }),
    abort: (code) => {
      sym.MPI_Abort(h.comm, code);
    },
    finalize: () => serial(() => run("MPI_Finalize", sym.MPI_Finalize())),
  };
}

function check(rc: number, what: string): void {
  if (rc !== 0) throw new UserError(`${what} failed with MPI error ${rc}`);
}
