/**
 * libc through Deno FFI, for O_DIRECT I/O and dropping files from the page cache
 * (`--allow-ffi`). Loaded only when direct://, O_DIRECT or a page-cache drop is used.
 * Blocking calls for reader threads; `*_async` variants run on Deno's thread pool.
 * @module
 */

import { UserError } from "../errors.ts";

/** Open flags (Linux x86-64 / aarch64 values). */
export const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0o100, O_TRUNC = 0o1000;
/** O_DIRECT on Linux (x86-64 and aarch64 differ; aarch64 uses 0o200000). */
export const O_DIRECT = Deno.build.arch === "aarch64" ? 0o200000 : 0o40000;
/** posix_fadvise advice: drop the file's pages from the page cache. */
export const POSIX_FADV_DONTNEED = 4;
/** Alignment used for direct I/O buffers, offsets and lengths (covers 512 B and 4 KiB devices). */
export const DIRECT_ALIGN = 4096;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  pread_async: {
    name: "pread",
    parameters: ["i32", "buffer", "usize", "i64"],
    result: "isize",
    nonblocking: true,
  },
  pwrite_async: {
    name: "pwrite",
    parameters: ["i32", "buffer", "usize", "i64"],
    result: "isize",
    nonblocking: true,
  },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  fsync: { parameters: ["i32"], result: "i32" },
  posix_fadvise: { parameters: ["i32", "i64", "i64", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | undefined;

/** The libc symbols (throws a clear error when FFI is not allowed or libc is missing). */
export function libc(): Lib {
  if (lib) return lib;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (e) {
    throw new UserError(
      `direct I/O (direct://, reader.odirect) needs FFI access to libc: run with --allow-ffi ` +
        `(${(e as Error).message.split("\n")[0]})`,
    );
  }
  return lib;
}

/** errno of the last failed call on this thread, and its text. */
export function lastError(): { errno: number; text: string } {
  const l = libc();
  const p = l.__errno_location();
  const errno = p ? new Deno.UnsafePointerView(p).getInt32() : 0;
  const s = l.strerror(errno);
  return { errno, text: s ? Deno.UnsafePointerView.getCString(s) : `errno ${errno}` };
}

/**
 * A /proc/self file's text through libc, where FFI is allowed: Deno refuses /proc/self to its
 * own file ops without `--allow-all`. Undefined without FFI (never prompts) or on any failure.
 */
export function readProcSelf(name: string): string | undefined {
  if (Deno.permissions.querySync?.({ name: "ffi" }).state !== "granted") return undefined;
  try {
    const l = libc();
    const fd = l.open(cPath(`/proc/self/${name}`), O_RDONLY, 0);
    if (fd < 0) return undefined;
    try {
      const buf = new Uint8Array(64 * 1024);
      let n = 0;
      for (let r = 1; r > 0 && n < buf.byteLength; n += r) {
        r = Number(l.pread(fd, buf.subarray(n), BigInt(buf.byteLength - n), BigInt(n)));
        if (r < 0) return undefined;
      }
      return new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      l.close(fd);
    }
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();
let pathBuffer = new Uint8Array(1024);

/**
 * A NUL-terminated path for open(), in one buffer the thread reuses (no array per call): valid
 * until the next call, so hand it only to blocking calls.
 */
export function cPath(path: string): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 unit, + the NUL.
  if (pathBuffer.byteLength < path.length * 3 + 1) pathBuffer = new Uint8Array(path.length * 3 + 1);
  const { written } = encoder.encodeInto(path, pathBuffer);
  pathBuffer[written] = 0;
  return pathBuffer;
}

/** An aligned view of `size` bytes (over-allocates and slices to the alignment). */
export function alignedBuffer(size: number, align = DIRECT_ALIGN): Uint8Array {
  const raw = new Uint8Array(size + align);
  const addr = Deno.UnsafePointer.value(Deno.UnsafePointer.of(raw));
  const shift = Number((BigInt(align) - (BigInt(addr) % BigInt(align))) % BigInt(align));
  return raw.subarray(shift, shift + size);
}

/** Round up to the alignment. */
export const alignUp = (n: number, a = DIRECT_ALIGN): number => Math.ceil(n / a) * a;
/** Round down to the alignment. */
export const alignDown = (n: number, a = DIRECT_ALIGN): number => Math.floor(n / a) * a;
