/**
 * What crosses between the loop's thread and a reader thread per sample, packed as numbers: jobs
 * (one message per thread for the jobs asked for in one task, each key once in a row) and
 * results (many per message, with their storage requests when traced).
 * @module
 */
import type { RequestRecord } from "../storage/request_log.ts";
import type { SampleJob, SampleResult } from "./sample_reader.ts";

/** Numbers per job in a `jobs` message to a reader thread: id, key index, index, session, slot. */
const JOB_FIELDS = 5;

/** Jobs packed for one message to a reader thread: numbers in one array, each key once in a row. */
export class JobPacker {
  #nums: number[] = [];
  #keys: string[] = [];

  get size(): number {
    return this.#nums.length / JOB_FIELDS;
  }

  add(id: number, job: SampleJob): void {
    if (this.#keys.at(-1) !== job.key) this.#keys.push(job.key);
    this.#nums.push(id, this.#keys.length - 1, job.index, job.session ?? 0, job.slot ?? -1);
  }

  /** The packed jobs so far (the packer is then empty). */
  take(): { packed: Float64Array<ArrayBuffer>; keys: string[] } {
    const out = { packed: Float64Array.from(this.#nums), keys: this.#keys };
    this.#nums = [];
    this.#keys = [];
    return out;
  }
}

/** The jobs of a `jobs` message, in order. */
export function unpackJobs(packed: Float64Array, keys: string[]): { id: number; job: SampleJob }[] {
  const out = [];
  for (let at = 0; at < packed.length; at += JOB_FIELDS) {
    const slot = packed[at + 4]!;
    const job: SampleJob = {
      key: keys[packed[at + 1]!]!,
      index: packed[at + 2]!,
      session: packed[at + 3]!,
    };
    if (slot >= 0) job.slot = slot;
    out.push({ id: packed[at]!, job });
  }
  return out;
}

/** Numbers per result in a reader thread's `dones` message: id, then the fields below. */
export const RESULT_FIELDS = 7;

/** Write result `r` of job `id` at `at` of `v` (reader threads send results packed). */
export function packResult(v: Float64Array, at: number, id: number, r: SampleResult): void {
  v[at] = id;
  v[at + 1] = r.slot;
  v[at + 2] = r.ioMs;
  v[at + 3] = r.decodeMs;
  v[at + 4] = r.h2dMs;
  v[at + 5] = r.bytes;
  v[at + 6] = r.preprocessMs ?? NaN;
}

/** The result packed at `at` of `v` (its job id is `v[at]`), with its storage requests. */
export function unpackResult(
  v: Float64Array,
  at: number,
  requests?: RequestRecord[],
): SampleResult {
  const r: SampleResult = {
    slot: v[at + 1]!,
    ioMs: v[at + 2]!,
    decodeMs: v[at + 3]!,
    h2dMs: v[at + 4]!,
    bytes: v[at + 5]!,
  };
  if (!Number.isNaN(v[at + 6]!)) r.preprocessMs = v[at + 6]!;
  if (requests) r.requests = requests;
  return r;
}
