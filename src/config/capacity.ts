/**
 * What a workload asks of the machine, checked before anything runs: sizes the host cannot hold
 * (batch buffers, reader threads, a listing's bitset, sample ids) are refused with exit 2 and the
 * arithmetic, by `validate` and by `run`, never an out-of-memory kill halfway through.
 * @module
 */
import type { Diagnostic } from "../errors.ts";
import { type ElementType, ITEMSIZE } from "../formats/codec.ts";
import type { WorkloadConfig } from "./schema.ts";
import type { Locations } from "./source.ts";

/** Bytes of one sample as handed to the accelerator (DLIO's resized/transformed sample). */
export function slotBytes(c: WorkloadConfig): number {
  const r = c.reader;
  if (r.transformed_record_dims.length > 0) {
    return r.transformed_record_dims.reduce((a, b) => a * b, 1) *
      ITEMSIZE[r.transformed_record_element_type as ElementType];
  }
  const d = c.dataset;
  return Math.max(
    1,
    Math.round(
      d.record_length_bytes_resize > 0 ? d.record_length_bytes_resize : d.record_length_bytes,
    ),
  );
}

/** Memory a reader thread costs (a V8 isolate with its buffers), measured in `deno task bench`. */
export const READER_THREAD_BYTES = 64 * 2 ** 20;

const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 3 : 1)} GiB`;

/** Batch buffers one rank may hold at once: the deepest readahead any profile allows, + 1. */
function batchBuffers(c: WorkloadConfig): number {
  const r = c.reader, w = Math.max(1, r.read_threads);
  const shuffleBatches = Math.ceil(Math.max(0, r.shuffle_size) / Math.max(1, r.batch_size));
  return Math.max(2, r.prefetch_size) + w + shuffleBatches + 1;
}

/** Refuse what a host with `memoryBytes` of memory cannot hold, with the arithmetic. */
export function capacityRules(
  c: WorkloadConfig,
  locations: Locations,
  memoryBytes: number,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: string, message: string) =>
    out.push({ path, message, severity: "error", location: locations.value(path) });
  const r = c.reader, d = c.dataset, mem = gib(memoryBytes);
  const threads = r.read_threads * READER_THREAD_BYTES;
  if (c.workflow.train && threads > memoryBytes / 2) {
    add(
      "reader.read_threads",
      `${r.read_threads} reader threads need ~${gib(threads)} (~64 MiB each), more than half ` +
        `of this host's ${mem}`,
    );
  }
  const slot = slotBytes(c), n = batchBuffers(c);
  const buffers = n * Math.max(r.batch_size, r.batch_size_eval) * slot;
  // Each reader thread holds a batch in flight: with absurd read_threads, that is the culprit.
  if (c.workflow.train && buffers > memoryBytes / 2 && threads <= memoryBytes / 2) {
    add(
      "reader.batch_size",
      `batch buffers need ${n} × batch ${Math.max(r.batch_size, r.batch_size_eval)} × ` +
        `${slot} B per sample = ${gib(buffers)} per accelerator, more than half of this host's ` +
        `${mem}; use a smaller batch_size, prefetch_size, read_threads or ` +
        "record_length_bytes_resize",
    );
  }
  const files = Math.max(d.num_files_train, d.num_files_eval);
  if (c.workflow.train && !c.storage.skip_listing && files / 8 > memoryBytes / 4) {
    add(
      "dataset.num_files_train",
      `checking a listing of ${files} files needs a ${gib(files / 8)} bitset (files ÷ 8), ` +
        `more than a quarter of this host's ${mem}; set storage.skip_listing: True`,
    );
  }
  const samples = files * d.num_samples_per_file;
  if (!Number.isSafeInteger(samples)) {
    add(
      "dataset.num_samples_per_file",
      `${files} files × ${d.num_samples_per_file} samples = ${samples} samples: more than ` +
        `2^53 sample ids`,
    );
  }
  return out;
}
