/**
 * The data loader: `read_threads` concurrent sample reads, completion out of order, batches
 * formed as samples arrive, bounded readahead of `prefetch_size` batches (backpressure).
 *
 * Memory bound: at most `max(1, read_threads)` file buffers (each the size of the largest file
 * read; reused) plus `prefetch + 1` batch buffers of `batch_size × sample_slot_bytes`.
 * @module
 */
import type { Codec, OpenedFile } from "../formats/codec.ts";
import type { SampleEvents } from "../metrics/recorder.ts";
import type { StorageBackend } from "../storage/backend.ts";
import type { Clock } from "../util/clock.ts";
import type { SampleRef } from "./sampler.ts";

/** A batch handed to the training loop. */
export interface Batch {
  /** 0-based batch index within the epoch. */
  index: number;
  /** Batch buffer: `samples × slotBytes` bytes (the emulated device input). */
  buffer: Uint8Array;
  samples: number;
  /** Bytes read from storage for this batch's samples. */
  bytesRead: number;
  /** Time from the start of the batch's first sample read to the batch being complete (ms). */
  latencyMs: number;
}

/** Loader settings. */
export interface LoaderOptions {
  backend: StorageBackend;
  codec: Codec;
  /** Keys of the split's files, indexed by `SampleRef.file`. */
  files: string[];
  /** Samples to read, in order (already trimmed to whole batches). */
  order: SampleRef[];
  batchSize: number;
  readThreads: number;
  prefetchSize: number;
  /** Bytes of one sample in the batch buffer. */
  slotBytes: number;
  verifyChecksums: boolean;
  /** `on_demand`: read the file for every sample; `memory`: keep the last file per reader. */
  readType: "on_demand" | "memory";
  clock: Clock;
  events: SampleEvents;
  epoch: number;
  signal?: AbortSignal;
}

/** Read batches for one epoch. */
export async function* loadBatches(o: LoaderOptions): AsyncGenerator<Batch> {
  const B = o.batchSize;
  const nBatches = Math.floor(o.order.length / B);
  if (nBatches === 0) return;
  const depth = Math.max(1, o.prefetchSize);
  const workers = Math.max(1, o.readThreads);
  const pool: Uint8Array[] = [];
  const filling = new Map<number, Batch & { firstStart: number }>();
  const ready = new Map<number, Batch>();
  let claimed = 0, arrived = 0, consumed = 0;
  let failure: unknown;
  let failed = false;
  let wake: (() => void) | undefined;
  let wakeWorkers: (() => void)[] = [];
  const notifyConsumer = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const notifyWorkers = () => {
    const ws = wakeWorkers;
    wakeWorkers = [];
    for (const w of ws) w();
  };
  const total = nBatches * B;

  const batchFor = (b: number) => {
    let f = filling.get(b);
    if (!f) {
      const buffer = pool.pop() ?? new Uint8Array(B * o.slotBytes);
      f = { index: b, buffer, samples: 0, bytesRead: 0, latencyMs: 0, firstStart: Infinity };
      filling.set(b, f);
    }
    return f;
  };

  const worker = async () => {
    let fileBuf: Uint8Array = new Uint8Array(0);
    let lastKey: string | undefined;
    let lastFile: OpenedFile | undefined;
    for (;;) {
      if (failed || o.signal?.aborted) return;
      if (claimed >= total) return;
      if (Math.floor(claimed / B) >= consumed + depth) {
        await new Promise<void>((r) => wakeWorkers.push(r));
        continue;
      }
      const ref = o.order[claimed++]!;
      const key = o.files[ref.file]!;
      const started = o.clock.now();
      try {
        let opened: OpenedFile;
        let io = 0, decode = 0, bytes = 0;
        if (o.readType === "memory" && key === lastKey && lastFile) opened = lastFile;
        else {
          const t0 = o.clock.now();
          const data = await o.backend.get(key, { buffer: fileBuf, signal: o.signal });
          const t1 = o.clock.now();
          if (data.buffer !== fileBuf.buffer) fileBuf = new Uint8Array(data.buffer);
          bytes = data.byteLength;
          io = t1 - t0;
          opened = o.codec.open(data, {
            verifyChecksums: o.verifyChecksums,
            name: `${o.backend.root}/${key}`,
          });
          decode = o.clock.now() - t1;
          lastKey = key;
          lastFile = opened;
        }
        const t2 = o.clock.now();
        const sample = opened.sample(ref.index);
        const t3 = o.clock.now();
        decode += t3 - t2;
        // h2d: place the decoded sample into the batch buffer handed to the accelerator.
        const slot = arrived++;
        const batch = batchFor(Math.floor(slot / B));
        const at = (slot % B) * o.slotBytes;
        const n = Math.min(sample.byteLength, o.slotBytes);
        batch.buffer.set(sample.subarray(0, n), at);
        if (n < o.slotBytes) batch.buffer.fill(0, at + n, at + o.slotBytes);
        const h2d = o.clock.now() - t3;
        if (o.readType === "on_demand") lastFile = undefined;
        batch.samples++;
        batch.bytesRead += bytes;
        batch.firstStart = Math.min(batch.firstStart, started);
        o.events.record(io, decode, h2d, bytes, { epoch: o.epoch, key, sample: ref.index });
        if (batch.samples === B) {
          batch.latencyMs = o.clock.now() - batch.firstStart;
          filling.delete(batch.index);
          ready.set(batch.index, batch);
          notifyConsumer();
        }
      } catch (e) {
        if (!failed) {
          failed = true;
          failure = e;
        }
        notifyConsumer();
        notifyWorkers();
        return;
      }
    }
  };

  const running = Promise.all(Array.from({ length: workers }, worker));
  try {
    for (let b = 0; b < nBatches; b++) {
      while (!ready.has(b) && !failed) await new Promise<void>((r) => (wake = r));
      if (failed) throw failure;
      const batch = ready.get(b)!;
      ready.delete(b);
      yield batch;
      pool.push(batch.buffer);
      consumed++;
      notifyWorkers();
    }
  } finally {
    failed = failed || consumed < nBatches;
    notifyWorkers();
    await running;
  }
}
