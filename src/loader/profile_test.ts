// Tests of the framework profiles on what can be observed: order, batches, reads in flight.
import assert from "node:assert/strict";
import { npzCodec } from "../formats/npz.ts";
import { SampleEvents } from "../metrics/recorder.ts";
import type { GetOptions, StorageBackend } from "../storage/backend.ts";
import { MemBackend } from "../storage/mem.ts";
import { realClock } from "../util/clock.ts";
import { InlineExecutor } from "./executor.ts";
import { loadBatches } from "./loader.ts";
import { type EpochPlan, planEpoch, type PlanOptions, type Profile } from "./profile.ts";
import type { LoaderStats } from "../metrics/records.ts";
import { keyList } from "./files.ts";

const profile = (name: Profile["name"], extra: Partial<Profile> = {}): Profile => ({
  name,
  sampler: name === "tensorflow" ? "iterative" : "index",
  accessOrder: "native",
  ...extra,
});

const base: PlanOptions = {
  profile: profile("pytorch"),
  files: 24,
  samplesPerFile: 1,
  rank: 0,
  size: 1,
  fileShuffle: "off",
  sampleShuffle: "off",
  seed: 5,
  epoch: 1,
  seedChangeEpoch: true,
  randomSeed: 9,
  batchSize: 3,
  steps: 8,
  readThreads: 2,
  prefetchSize: 4,
  streamed: false,
  shuffleRecords: false,
  shuffleSize: 16,
};

const ids = (p: EpochPlan, b: number) => p.batch(b).refs.map((r) => r.id);

Deno.test("pytorch profile: whole batches per worker b mod W, prefetch_factor = ceil(prefetch/W)", () => {
  const p = planEpoch(base);
  assert.equal(p.mode, "worker");
  assert.deepEqual(ids(p, 0), [0, 1, 2]);
  assert.deepEqual(ids(p, 1), [3, 4, 5]);
  assert.deepEqual([0, 1, 2, 3].map((b) => p.batch(b).worker), [0, 1, 0, 1]);
  assert.equal(p.maxAhead, 2 * 2); // W · ceil(4 / 2)
  assert.equal(planEpoch({ ...base, prefetchSize: 0 }).maxAhead, 2 * 2); // torch's default 2
  assert.equal(planEpoch({ ...base, prefetchSize: 5 }).maxAhead, 2 * 3);
  assert.equal(planEpoch({ ...base, readThreads: 0 }).maxAhead, 0); // load, then compute
});

Deno.test("access_order: native shuffles really shuffle; dlio reproduces DLIO's fixed order", () => {
  const shuffled = { ...base, fileShuffle: "seed", sampleShuffle: "seed" } as const;
  const native = planEpoch(shuffled);
  assert.notDeepEqual(ids(native, 0), [0, 1, 2]);
  assert.deepEqual(ids(planEpoch(shuffled), 0), ids(native, 0)); // same seed, same order
  assert.notDeepEqual(ids(planEpoch({ ...shuffled, seed: 6 }), 0), ids(native, 0));
  assert.notDeepEqual(ids(planEpoch({ ...shuffled, epoch: 2 }), 0), ids(native, 0));
  const dlio = { ...shuffled, profile: profile("pytorch", { accessOrder: "dlio" }) };
  // DLIO's PyTorch sampler ignores both shuffles, every epoch.
  assert.deepEqual(ids(planEpoch(dlio), 0), [0, 1, 2]);
  assert.deepEqual(ids(planEpoch({ ...dlio, epoch: 3 }), 0), [0, 1, 2]);
});

Deno.test("tensorflow profile, TFRecord: round-robin files, interleaved records, shuffle buffer", () => {
  const tf = {
    ...base,
    profile: profile("tensorflow"),
    files: 6,
    samplesPerFile: 4,
    size: 2,
    rank: 1,
    streamed: true,
    batchSize: 2,
    steps: 3,
  };
  const p = planEpoch(tf);
  assert.equal(p.mode, "arrival");
  assert.equal(p.maxAhead, 4); // .prefetch(prefetch_size)
  // Rank 1 of 2 gets files 1, 3, 5; two readers interleave files 1 and 3 record by record.
  const first = Array.from({ length: 6 }, (_, i) => p.order.at(i));
  assert.deepEqual(first.map((r) => [r.file, r.index, r.reader]), [
    [1, 0, 0],
    [3, 0, 1],
    [1, 1, 0],
    [3, 1, 1],
    [1, 2, 0],
    [3, 2, 1],
  ]);
  assert.equal(p.shuffleBuffer, 0);
  assert.equal(planEpoch({ ...tf, shuffleRecords: true }).shuffleBuffer, 16);
});

Deno.test("tensorflow profile, other formats: iterative sampler, one chunk per thread", () => {
  const p = planEpoch({ ...base, profile: profile("tensorflow") });
  // 24 samples, 2 threads: chunks [0, 12) and [12, 24); batches alternate between threads.
  assert.deepEqual(ids(p, 0), [0, 1, 2]);
  assert.deepEqual(ids(p, 1), [12, 13, 14]);
  assert.deepEqual(ids(p, 2), [3, 4, 5]);
  assert.deepEqual([0, 1, 2].map((b) => p.batch(b).worker), [0, 1, 0]);
  // Uneven chunks: 3 threads over 10 samples (chunks of 4, 4, 2), batches of 2.
  const u = planEpoch({
    ...base,
    profile: profile("tensorflow"),
    files: 10,
    readThreads: 3,
    batchSize: 2,
    steps: 5,
  });
  assert.deepEqual([0, 1, 2, 3, 4].map((b) => ids(u, b)), [
    [0, 1],
    [4, 5],
    [8, 9],
    [2, 3],
    [6, 7],
  ]);
});

Deno.test("jax profile (Grain): worker w batches records w, w+W, …; global seeded shuffle", () => {
  const p = planEpoch({ ...base, profile: profile("jax") });
  assert.deepEqual(ids(p, 0), [0, 2, 4]); // worker 0
  assert.deepEqual(ids(p, 1), [1, 3, 5]); // worker 1
  assert.deepEqual(ids(p, 2), [6, 8, 10]);
  assert.equal(p.maxAhead, 2 * 4); // worker_buffer_size = prefetch_size per worker
  const s = planEpoch({ ...base, profile: profile("jax"), sampleShuffle: "seed" });
  assert.notDeepEqual(ids(s, 0), [0, 2, 4]);
});

/** A mem backend whose reads take a while, counting reads in flight. */
function slow(inner: StorageBackend, ms: number) {
  const stats = { inFlight: 0, max: 0 };
  const b: StorageBackend = Object.create(inner);
  b.stats = () => inner.stats!();
  b.get = async (key: string, opts?: GetOptions) => {
    stats.max = Math.max(stats.max, ++stats.inFlight);
    try {
      await new Promise((r) => setTimeout(r, ms));
      return await inner.get(key, opts);
    } finally {
      stats.inFlight--;
    }
  };
  return { backend: b, stats };
}

async function load(p: EpochPlan, threads: number, holdMs: number) {
  const mem = new MemBackend(`profile-${crypto.randomUUID()}`);
  const keys: string[] = [];
  for (let i = 0; i < 24; i++) {
    keys.push(`train/f_${String(i).padStart(2, "0")}.npz`);
    await mem.put(
      keys[i]!,
      npzCodec.encode({ dims: [4, 4], samples: 1, dtype: "uint8", seed: 1, fileIndex: i }),
    );
  }
  const s = slow(mem, 3);
  const events = new SampleEvents(0, Infinity);
  const stats: LoaderStats = { maxOutstanding: 0, maxBatchesAhead: 0 };
  const batches: number[] = [];
  for await (
    const b of loadBatches({
      executor: new InlineExecutor(s.backend, npzCodec, threads, realClock),
      files: keyList(keys),
      plan: p,
      slotBytes: 16,
      verifyChecksums: true,
      readType: "on_demand",
      clock: realClock,
      events,
      epoch: 1,
    }, stats)
  ) {
    batches.push(b.samples);
    await new Promise((r) => setTimeout(r, holdMs)); // the training step
  }
  return { stats, inFlight: s.stats.max, visited: events.visited.map((v) => v.key), batches };
}

Deno.test("loader + pytorch profile: ≤ W reads in flight, ≤ W·prefetch_factor batches ahead", async () => {
  const r = await load(planEpoch({ ...base, prefetchSize: 2 }), 2, 20);
  assert.equal(r.batches.length, 8);
  assert.equal(r.inFlight, 2);
  assert.equal(r.stats.maxBatchesAhead, 2); // W · ceil(2 / 2)
  // Each batch's samples were read by one worker, in order.
  assert.deepEqual(
    r.visited.slice(0, 6).sort(),
    [0, 1, 2, 3, 4, 5].map((i) => `train/f_0${i}.npz`),
  );
  const none = await load(planEpoch({ ...base, readThreads: 0 }), 1, 5);
  assert.equal(none.stats.maxBatchesAhead, 0);
  assert.equal(none.inFlight, 1);
});

Deno.test("loader + tf.data shuffle buffer: batch composition shuffled, seeded, nothing lost", async () => {
  const tf = {
    ...base,
    profile: profile("tensorflow"),
    streamed: true,
    shuffleRecords: true,
    shuffleSize: 6,
    readThreads: 1,
    prefetchSize: 1,
  };
  const a = await load(planEpoch(tf), 1, 2);
  const b = await load(planEpoch(tf), 1, 2);
  assert.equal(a.visited.length, 24);
  assert.equal(new Set(a.visited).size, 24);
  assert.deepEqual(a.visited, b.visited);
  assert.notDeepEqual(a.visited, [...a.visited].sort());
  // Reads run ahead of batches by the buffer: up to prefetch + ceil(6/3) batches' worth.
  const plain = await load(planEpoch({ ...tf, shuffleRecords: false }), 1, 2);
  assert.deepEqual(plain.visited, [...plain.visited].sort());
});
