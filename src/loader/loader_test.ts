import assert from "node:assert/strict";
import { npzCodec } from "../formats/npz.ts";
import { SampleEvents } from "../metrics/recorder.ts";
import type { GetOptions, StorageBackend } from "../storage/backend.ts";
import { MemBackend } from "../storage/mem.ts";
import { realClock } from "../util/clock.ts";
import { type Batch, loadBatches, type LoaderOptions } from "./loader.ts";
import { epochOrder } from "./sampler.ts";

/** A mem backend whose reads take a chosen time, counting reads in flight. */
function slowBackend(inner: StorageBackend, delayMs: (key: string) => number) {
  const stats = { inFlight: 0, maxInFlight: 0, started: 0 };
  const b: StorageBackend = Object.create(inner);
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

async function dataset(files: number, samples = 1): Promise<{ backend: MemBackend; keys: string[] }> {
  const backend = new MemBackend(`loader-${crypto.randomUUID()}`);
  const keys: string[] = [];
  for (let i = 0; i < files; i++) {
    const key = `train/f_${String(i).padStart(3, "0")}.npz`;
    await backend.put(key, npzCodec.encode({ dims: [8, 8], samples, dtype: "uint8", seed: 1, fileIndex: i }));
    keys.push(key);
  }
  return { backend, keys };
}

function options(backend: StorageBackend, keys: string[], over: Partial<LoaderOptions> = {}): LoaderOptions {
  return {
    backend,
    codec: npzCodec,
    files: keys,
    order: epochOrder({
      files: keys.length,
      samplesPerFile: 1,
      rank: 0,
      size: 1,
      fileShuffle: "off",
      sampleShuffle: "off",
      seed: 1,
      epoch: 1,
      seedChangeEpoch: true,
      randomSeed: 1,
    }),
    batchSize: 4,
    readThreads: 3,
    prefetchSize: 2,
    slotBytes: 64,
    verifyChecksums: true,
    readType: "on_demand",
    clock: realClock,
    events: new SampleEvents(true),
    epoch: 1,
    ...over,
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
  assert.equal(opts.events.bytes.sum(), batches.reduce((a, b) => a + b.bytesRead, 0));
  assert.ok(batches.every((b) => b.latencyMs >= 5));
});

Deno.test("loader: readahead is bounded by prefetch_size batches", async () => {
  const { backend, keys } = await dataset(40);
  const slow = slowBackend(backend, () => 1);
  const it = loadBatches(options(slow.backend, keys, { readThreads: 4, prefetchSize: 2, batchSize: 4 }));
  await it.next(); // the loop holds batch 0 and does not ask for more
  await new Promise((r) => setTimeout(r, 60));
  // consumed = 0 while batch 0 is held: at most 2 batches (8 samples) may be claimed.
  assert.equal(slow.stats.started, 8);
  await it.next();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(slow.stats.started, 12);
  await it.return(undefined);
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
  const order = epochOrder({
    files: 2,
    samplesPerFile: 4,
    rank: 0,
    size: 1,
    fileShuffle: "off",
    sampleShuffle: "off",
    seed: 1,
    epoch: 1,
    seedChangeEpoch: true,
    randomSeed: 1,
  });
  const run = async (readType: "memory" | "on_demand") => {
    slow.stats.started = 0;
    for await (const _ of loadBatches(options(slow.backend, keys, { order, readThreads: 1, readType }))) {
      /* drain */
    }
    return slow.stats.started;
  };
  assert.equal(await run("on_demand"), 8);
  assert.equal(await run("memory"), 2);
});
