/**
 * The I/O engine of a process: reader threads when the backend can be reopened in a thread
 * (`capabilities.reopenable`) and `read_threads` > 0, else reads on the calling thread.
 * @module
 */
import type { Codec } from "../formats/codec.ts";
import type { StorageBackend } from "../storage/backend.ts";
import type { Clock } from "../util/clock.ts";
import { type Executor, InlineExecutor } from "./executor.ts";
import { ThreadExecutor } from "./thread_pool.ts";

/** What an engine reads and how many readers it has. */
export interface EngineOptions {
  backend: StorageBackend;
  codec: Codec;
  /** Readers (reader threads, or concurrent inline reads). 0 reads on the loop's thread. */
  threads: number;
  /** DLIO's `storage.storage_options`, for reader threads that reopen the backend. */
  storageOptions?: Record<string, unknown>;
  clock: Clock;
  /** Force an engine (tests); by default threads when the backend allows. */
  engine?: "threads" | "inline";
  /** Log every storage request with the results (`--trace`'s POSIX layer). */
  traceRequests?: boolean;
}

/** The read engine for a backend. */
export function makeExecutor(o: EngineOptions): Executor {
  // read_threads 0 is DLIO's "load in the training process": reads run on the loop's thread.
  const engine = o.engine ??
    (o.backend.capabilities.reopenable && o.threads > 0 ? "threads" : "inline");
  return engine === "threads"
    ? new ThreadExecutor(o.backend.root, o.codec.format, o.threads, {
      storageOptions: o.storageOptions,
    }, o.traceRequests)
    : new InlineExecutor(o.backend, o.codec, o.threads, o.clock, o.traceRequests);
}
