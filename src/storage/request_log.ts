/**
 * Storage requests as a tracer sees them (`--trace`'s POSIX layer): a backend whose reads are
 * logged, one record per request (object, offset, size, start, duration), taken by the reader
 * with each sample's result. Only traced runs wrap their backend, so others pay nothing.
 * @module
 */
import type { RequestRecord } from "../metrics/recorder.ts";
import type { GetOptions, StorageBackend } from "./backend.ts";

export type { RequestRecord };

/** The requests made since the last `take`, at most `max` of them (then counted only). */
export class RequestLog {
  #records: RequestRecord[] = [];
  dropped = 0;
  constructor(readonly now: () => number, readonly max = 256) {}

  add(r: RequestRecord): void {
    if (this.#records.length < this.max) this.#records.push(r);
    else this.dropped++;
  }

  /** The requests logged since the last call. */
  take(): RequestRecord[] {
    const out = this.#records;
    this.#records = [];
    return out;
  }
}

/** `backend` with its reads (get, getSync, getRange, getRangeSync, openSync) logged to `log`. */
export function loggedReads(backend: StorageBackend, log: RequestLog): StorageBackend {
  // One record per read, from its start and the bytes it returned.
  const done = (key: string, offset: number, ranged: boolean, t0: number, data: Uint8Array) => {
    log.add({ key, offset, size: data.byteLength, startMs: t0, durMs: log.now() - t0, ranged });
    return data;
  };
  const timed = (key: string, offset: number, ranged: boolean, read: () => Uint8Array) => {
    const t0 = log.now();
    return done(key, offset, ranged, t0, read());
  };
  const timedAsync = async (
    key: string,
    offset: number,
    ranged: boolean,
    read: () => Promise<Uint8Array>,
  ) => {
    const t0 = log.now();
    return done(key, offset, ranged, t0, await read());
  };
  const b = backend;
  const reads: Partial<StorageBackend> = {
    get: (key: string, o?: GetOptions) => timedAsync(key, 0, false, () => b.get(key, o)),
    getRange: (key: string, offset: number, length: number, o?: GetOptions) =>
      timedAsync(key, offset, true, () => b.getRange(key, offset, length, o)),
    ...(b.getSync && {
      getSync: (key: string, o?: GetOptions) => timed(key, 0, false, () => b.getSync!(key, o)),
    }),
    ...(b.openSync && {
      openSync: (key: string) => {
        const o = b.openSync!(key);
        return {
          key: o.key,
          size: o.size,
          close: () => o.close(),
          readAt: (into: Uint8Array, offset: number) => {
            const t0 = log.now();
            const n = o.readAt(into, offset);
            done(key, offset, true, t0, into.subarray(0, n));
            return n;
          },
        };
      },
    }),
    ...(b.getRangeSync && {
      getRangeSync: (key: string, offset: number, length: number, o?: GetOptions) =>
        timed(key, offset, true, () => b.getRangeSync!(key, offset, length, o)),
    }),
  };
  // Everything else is the backend's own, called on the backend (its private fields).
  return new Proxy(b, {
    get(target, prop) {
      if (prop in reads) return reads[prop as keyof StorageBackend];
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
