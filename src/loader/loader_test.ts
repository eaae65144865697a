// Tests of the loader: reads in flight, readahead bound, batches formed on arrival.
import assert from "node:assert/strict";
import { npzCodec } from "../formats/npz.ts";
import { SampleEvents } from "../metrics/recorder.ts";
import type { GetOptions, StorageBackend } from "../storage/backend.ts";
import { MemBackend } from "../storage/mem.ts";
import { realClock } from "../util/clock.ts";
import { UserError } from "../errors.ts";
import { FileBackend } from "../storage/file.ts";
import { type Executor, InlineExecutor } from "./executor.ts";
import { ThreadExecutor } from "./thread_pool.ts";
import { arrivalPlan, type Batch, loadBatches, type LoaderOptions } from "./loader.ts";
import { epochOrder, type Order } from "./sampler.ts";
import { keyList } from "./files.ts";

/** A mem backend whose reads take a chosen time, counting reads in flight. */
function slowBackend(inner: StorageBackend, delayMs: (key: string) => number) {
  const stats = { inFlight: 0, maxInFlight: 0, started: 0 };
  const b: StorageBackend = Object.create(inner);
  b.stats = () => inner.stats!();
  b.get = async (key: string, opts?: GetOptions) => {
    stats.started++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      await new Promise((r) => setTimeout(r, delayMs(key)));
      return await inner.get(key, opts);
    } finally {
      stats.inFlight--;
    }
  };
  return { backend: b, stats };
}

async function dataset(
  files: number,
  samples = 1,
): Promise<{ backend: MemBackend; keys: string[] }> {
  const backend = new MemBackend(`loader-${crypto.randomUUID()}`);
  const keys: string[] = [];
  for (let i = 0; i < files; i++) {
    const key = `train/f_${String(i).padStart(3, "0")}.npz`;
    await backend.put(
      key,
      npzCodec.encode({ dims: [8, 8], samples, dtype: "uint8", seed: 1, fileIndex: i }),
    );
    keys.push(key);
  }
  return { backend, keys };
}

/** Every sample of `files` files in order (no shuffle, one rank). */
function inOrder(files: number, samplesPerFile: number) {
  return epochOrder({
    files,
    samplesPerFile,
    rank: 0,
    size: 1,
    fileShuffle: "off",
    sampleShuffle: "off",
    seed: 1,
    epoch: 1,
    seedChangeEpoch: true,
    randomSeed: 1,
  });
}

type Over = Partial<LoaderOptions> & {
  readThreads?: number;
  order?: Order;
  batchSize?: number;
  prefetchSize?: number;
};

function options(backend: StorageBackend, keys: string[], over: Over = {}): LoaderOptions {
  const { readThreads, order, batchSize, prefetchSize, ...rest } = over;
  return {
    executor: new InlineExecutor(backend, npzCodec, readThreads ?? 3, realClock),
    files: keyList(keys),
    plan: arrivalPlan(order ?? inOrder(keys.length, 1), batchSize ?? 4, prefetchSize ?? 2),
    slotBytes: 64,
    verifyChecksums: true,
    readType: "on_demand",
    clock: realClock,
    events: new SampleEvents(0, Infinity),
    epoch: 1,
    ...rest,
  };
}

Deno.test("loader: read_threads reads in flight, every sample once, drop_last", async () => {
  const { backend, keys } = await dataset(22);
  const slow = slowBackend(backend, () => 5);
  const opts = options(slow.backend, keys, { readThreads: 3 });
  const batches: Batch[] = [];
  for await (const b of loadBatches(opts)) batches.push({ ...b, buffer: b.buffer.slice() });
  assert.equal(batches.length, 5); // 22 samples / 4 → 5 full batches, 2 dropped
  assert.ok(batches.every((b) => b.samples === 4 && b.buffer.byteLength === 4 * 64));
  assert.equal(slow.stats.maxInFlight, 3);
  const seen = opts.events.visited.map((v) => v.key);
  assert.equal(seen.length, 20);
  assert.equal(new Set(seen).size, 20);
  assert.equal(opts.events.total().bytes, batches.reduce((a, b) => a + b.bytesRead, 0));
  assert.ok(batches.every((b) => b.latencyMs >= 5));
});

Deno.test("loader: readahead is bounded by prefetch_size batches", async () => {
  const { backend, keys } = await dataset(40);
  const slow = slowBackend(backend, () => 1);
  const it = loadBatches(
    options(slow.backend, keys, { readThreads: 4, prefetchSize: 2, batchSize: 4 }),
  );
  await it.next(); // the loop holds batch 0 and does not ask for more
  await new Promise((r) => setTimeout(r, 60));
  // Batch 0 held, batches 1 and 2 read ahead: 12 samples started, no more.
  assert.equal(slow.stats.started, 12);
  await it.next();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(slow.stats.started, 16);
  await it.return(undefined);
  // prefetch 0: nothing is read ahead of the batch being computed on.
  const zero = slowBackend(backend, () => 1);
  const it0 = loadBatches(
    options(zero.backend, keys, { readThreads: 4, prefetchSize: 0, batchSize: 4 }),
  );
  await it0.next();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(zero.stats.started, 4);
  await it0.return(undefined);
});

Deno.test("loader: completion out of order; batches formed as samples arrive", async () => {
  const { backend, keys } = await dataset(8);
  // The first sample is slow: later samples overtake it and fill batch 0.
  const slow = slowBackend(backend, (k) => (k.endsWith("000.npz") ? 80 : 2));
  const opts = options(slow.backend, keys, { readThreads: 4, batchSize: 4 });
  for await (const _ of loadBatches(opts)) { /* drain */ }
  const arrival = opts.events.visited.map((v) => v.key);
  assert.notEqual(arrival[0], keys[0]);
  assert.ok(arrival.indexOf(keys[0]!) >= 4, `slow sample arrived at ${arrival.indexOf(keys[0]!)}`);
});

Deno.test("loader: a read error stops the epoch with the object named", async () => {
  const { backend, keys } = await dataset(8);
  await backend.delete(keys[5]!);
  const opts = options(backend, keys, { readThreads: 2 });
  await assert.rejects(async () => {
    for await (const _ of loadBatches(opts)) { /* drain */ }
  }, /read mem:\/\/.*train\/f_005\.npz: no such object/);
});

Deno.test("loader: corrupt data fails decoding with the object named", async () => {
  const { backend, keys } = await dataset(4);
  const bytes = await backend.get(keys[2]!);
  bytes[150] = bytes[150]! ^ 1;
  await backend.put(keys[2]!, bytes);
  await assert.rejects(async () => {
    for await (const _ of loadBatches(options(backend, keys))) { /* drain */ }
  }, /decode mem:\/\/.*f_002\.npz: member x\.npy: CRC-32 mismatch/);
});

Deno.test("loader: read_type memory reads a multi-sample file once per reader", async () => {
  const { backend, keys } = await dataset(2, 4);
  const slow = slowBackend(backend, () => 1);
  const order = inOrder(2, 4);
  const run = async (readType: "memory" | "on_demand") => {
    slow.stats.started = 0;
    for await (
      const _ of loadBatches(options(slow.backend, keys, { order, readThreads: 1, readType }))
    ) {
      /* drain */
    }
    return slow.stats.started;
  };
  assert.equal(await run("on_demand"), 8);
  assert.equal(await run("memory"), 2);
});

/** `files` one-sample NPZ files in a temporary folder (the thread engine reopens it by URI). */
async function fileDataset(files: number, dims: number[], seed: number) {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-threads-" });
  const file = new FileBackend(dir);
  const keys: string[] = [];
  for (let i = 0; i < files; i++) {
    const key = `train/f_${String(i).padStart(3, "0")}.npz`;
    await file.put(key, npzCodec.encode({ dims, samples: 1, dtype: "uint8", seed, fileIndex: i }));
    keys.push(key);
  }
  return { dir, file, keys };
}

Deno.test("loader: the thread engine delivers the same samples as the inline engine", async () => {
  const { file, keys } = await fileDataset(12, [300, 301], 4);
  const contents = async (executor: Executor) => {
    const out: string[] = [];
    const events = new SampleEvents(0, Infinity);
    for await (
      const b of loadBatches({ ...options(file, keys, { events, slotBytes: 300 * 301 }), executor })
    ) {
      for (let s = 0; s < b.samples; s++) {
        const slot = b.buffer.slice(s * 300 * 301, (s + 1) * 300 * 301);
        out.push([...new Uint8Array(await crypto.subtle.digest("SHA-1", slot))].join("."));
      }
    }
    await executor.close();
    assert.equal(events.samples, 12);
    assert.ok(events.total().bytes > 12 * 300 * 301);
    return out.sort();
  };
  const inline = await contents(new InlineExecutor(file, npzCodec, 2, realClock));
  const threads = await contents(new ThreadExecutor(file.root, "npz", 2));
  assert.equal(new Set(inline).size, 12);
  assert.deepEqual(threads, inline);
});

Deno.test("loader: the thread engine sends jobs in groups, not a message per freed lane", async () => {
  // Arrival mode frees lanes one or two at a time; posting each few as they come once settled
  // into ~1.5 jobs per message (and an answer per message), costing more than the reads.
  const { dir, file, keys } = await fileDataset(600, [8, 8], 1);
  const executor = new ThreadExecutor(file.root, "npz", 2);
  const events = new SampleEvents(0, Infinity);
  // ~50 µs of work per sample, about a message's round trip (as 112 KiB TFRecord records).
  const preprocess = { value: 0.00005, stdev: 0, seed: 1 };
  const opts = options(file, keys, { events, batchSize: 16, prefetchSize: 8, preprocess });
  for await (const _ of loadBatches({ ...opts, executor })) { /* drain */ }
  await executor.close();
  assert.equal(events.samples, 592); // 37 whole batches of 16
  const { messages, jobs } = executor.traffic;
  assert.equal(jobs, 592);
  // Here: ~10 jobs per message (8 or more but at the start and the end); ~4.7 without grouping.
  assert.ok(jobs / messages >= 6, `${jobs} jobs in ${messages} messages`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loader: thread engine errors name the object and keep the data exit code", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-threads-" });
  const file = new FileBackend(dir);
  await file.put("train/a.npz", new TextEncoder().encode("not a zip"));
  const executor = new ThreadExecutor(file.root, "npz", 1);
  await assert.rejects(
    async () => {
      for await (
        const _ of loadBatches({ ...options(file, ["train/a.npz"], { batchSize: 1 }), executor })
      ) {
        /* drain */
      }
    },
    (e: unknown) =>
      e instanceof UserError && e.exitCode === 3 &&
      /decode file:\/\/.*train\/a\.npz: not a zip archive/.test(e.message),
  );
  await executor.close();
});

Deno.test("loader: a signal aborted before the epoch begins ends it at once (no hang)", async () => {
  const { backend, keys } = await dataset(8);
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  const opts = options(backend, keys, { signal: ac.signal });
  const t0 = performance.now();
  await assert.rejects(async () => {
    for await (const _ of loadBatches(opts)) { /* nothing arrives */ }
  }, /stop/);
  assert.ok(performance.now() - t0 < 2000);
});
