// Tests of the samplers: shards, steps per epoch, seeded shuffles, DLIO's orders.
import assert from "node:assert/strict";
import { Permutation } from "../util/prng.ts";
import {
  dlioIterativeOrder,
  epochOrder as lazyOrder,
  expectedIdSum,
  idSum,
  indexShard,
  interleaveFiles,
  type OrderOptions,
  shardedSteps,
  stepsPerEpoch,
  tfRecordFiles,
  toArray,
} from "./sampler.ts";

const epochOrder = (o: OrderOptions) => toArray(lazyOrder(o));

const base: OrderOptions = {
  files: 10,
  samplesPerFile: 3,
  rank: 0,
  size: 1,
  fileShuffle: "off",
  sampleShuffle: "off",
  seed: 123,
  epoch: 1,
  seedChangeEpoch: true,
  randomSeed: 99,
};

Deno.test("index shard: contiguous ⌈N/P⌉ ranges covering every sample once", () => {
  assert.deepEqual(indexShard(10, 0, 4), [0, 3]);
  assert.deepEqual(indexShard(10, 3, 4), [9, 10]);
  for (const [n, p] of [[30, 4], [7, 7], [5, 8], [1000, 3]]) {
    let sum = 0, count = 0;
    for (let r = 0; r < p!; r++) {
      const [a, b] = indexShard(n!, r, p!);
      for (let g = a; g < b; g++) {
        sum += g;
        count++;
      }
    }
    assert.equal(count, n);
    assert.equal(sum, (n! * (n! - 1)) / 2); // DLIO's sanity check
  }
});

Deno.test("steps per epoch: floor(samples / batch / ranks)", () => {
  assert.equal(stepsPerEpoch(168, 7, 1), 24);
  assert.equal(stepsPerEpoch(168, 7, 8), 3);
  assert.equal(stepsPerEpoch(1024 * 1251, 400, 8), 400);
  assert.equal(stepsPerEpoch(3, 4, 1), 0);
});

Deno.test("no shuffle: DLIO's fixed in-order access, files × in-file index", () => {
  const o = epochOrder(base);
  assert.equal(o.length, 30);
  assert.deepEqual(o.slice(0, 4), [
    { id: 0, file: 0, index: 0 },
    { id: 1, file: 0, index: 1 },
    { id: 2, file: 0, index: 2 },
    { id: 3, file: 1, index: 0 },
  ]);
  assert.deepEqual(epochOrder({ ...base, epoch: 2 }), o);
  assert.deepEqual(epochOrder({ ...base, rank: 1, size: 3 })[0], { id: 10, file: 3, index: 1 });
});

Deno.test("seeded shuffles really shuffle, reproducibly, and change per epoch", () => {
  const s = { ...base, fileShuffle: "seed", sampleShuffle: "seed" } as const;
  const a = epochOrder(s);
  assert.deepEqual(epochOrder(s), a);
  assert.notDeepEqual(a, epochOrder(base));
  assert.deepEqual(
    [...a.map((r) => r.id)].sort((x, y) => x - y),
    epochOrder(base).map((r) => r.id),
  );
  assert.notDeepEqual(epochOrder({ ...s, epoch: 2 }), a);
  assert.deepEqual(
    epochOrder({ ...s, epoch: 2, seedChangeEpoch: false }),
    epochOrder({ ...s, epoch: 1, seedChangeEpoch: false }),
  );
  assert.notDeepEqual(epochOrder({ ...s, seed: 124 }), a);
  const files = new Set(
    epochOrder({ ...base, fileShuffle: "seed" }).slice(0, 3).map((r) => r.file),
  );
  assert.equal(files.size, 1); // file shuffle keeps a file's samples together
  const r = { ...base, sampleShuffle: "random" } as const;
  assert.notDeepEqual(epochOrder({ ...r, randomSeed: 1 }), epochOrder({ ...r, randomSeed: 2 }));
});

Deno.test("permutation: a seeded bijection in O(1) memory, also for 10 M entries", () => {
  for (const n of [1, 2, 3, 10, 97, 1000, 4097]) {
    const p = new Permutation(n, 7, "x");
    const seen = new Set(Array.from({ length: n }, (_, i) => p.at(i)));
    assert.equal(seen.size, n);
    assert.ok([...seen].every((v) => v >= 0 && v < n));
  }
  const a = new Permutation(1000, 1, "x"), b = new Permutation(1000, 2, "x");
  const ia = Array.from({ length: 20 }, (_, i) => a.at(i));
  assert.notDeepEqual(ia, Array.from({ length: 20 }, (_, i) => b.at(i)));
  assert.notDeepEqual(ia, Array.from({ length: 20 }, (_, i) => i));
  const big = new Permutation(10_000_000, 3, "files");
  const v = big.at(9_999_999);
  assert.ok(v >= 0 && v < 10_000_000);
  // A 10 M-sample plan is lazy: its entries are computed on demand.
  const plan = lazyOrder({ ...base, files: 10_000_000, samplesPerFile: 1, sampleShuffle: "seed" });
  assert.equal(plan.length, 10_000_000);
  assert.ok(plan.at(5_000_000).file < 10_000_000);
});

Deno.test("coverage: every sample once over all ranks (DLIO's N(N−1)/2 check), shuffled too", () => {
  for (const size of [1, 3, 4]) {
    const s = { ...base, size, fileShuffle: "seed", sampleShuffle: "seed" } as const;
    let sum = 0;
    for (let rank = 0; rank < size; rank++) sum += idSum(lazyOrder({ ...s, rank }));
    assert.equal(sum, (30 * 29) / 2);
  }
});

Deno.test("iterative sampler, access_order dlio: DLIO's file-offset bug reproduced", () => {
  const o = { ...base, files: 8, samplesPerFile: 1, size: 4 };
  const files = [0, 1, 2, 3].map((rank) =>
    toArray(dlioIterativeOrder({ ...o, rank })).map((r) => r.file)
  );
  assert.deepEqual(files, [[0, 1], [2, 1], [4, 1], [6, 1]]); // dlio.md §5.1's example
  // The native order reads each file once.
  const native = [0, 1, 2, 3].flatMap((rank) => epochOrder({ ...o, rank }).map((r) => r.file));
  assert.deepEqual(native.sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("tf.data TFRecord: files dealt round-robin, records interleaved per reader", () => {
  const o = { ...base, files: 5, samplesPerFile: 2, size: 2 };
  assert.deepEqual(tfRecordFiles({ ...o, rank: 0 }), { files: [0, 2, 4], recordStride: 1 });
  assert.deepEqual(tfRecordFiles({ ...o, rank: 1 }), { files: [1, 3], recordStride: 1 });
  // Fewer files than ranks: every rank reads every file and keeps every P-th record.
  assert.deepEqual(tfRecordFiles({ ...o, files: 1, rank: 1 }), { files: [0], recordStride: 2 });
  const il = toArray(interleaveFiles([0, 2, 4], 2, 2));
  assert.deepEqual(
    il.map((r) => [r.file, r.index, r.reader]),
    [[0, 0, 0], [2, 0, 1], [0, 1, 0], [2, 1, 1], [4, 0, 0], [4, 1, 0]],
  );
  assert.deepEqual(
    toArray(interleaveFiles([7], 4, 3, 1, 2)).map((r) => r.index),
    [1, 3],
  );
});

Deno.test("round-robin sharding (MLPerf v3.0's DLIO): files r, r+P, … trimmed to ⌊F/P⌋ each", () => {
  const rr = { ...base, files: 10, samplesPerFile: 2, size: 3, sharding: "round_robin" as const };
  const files = (o: OrderOptions) => [...new Set(epochOrder(o).map((s) => s.file))];
  assert.deepEqual(files({ ...rr, rank: 0 }), [0, 3, 6]);
  assert.deepEqual(files({ ...rr, rank: 1 }), [1, 4, 7]);
  assert.deepEqual(files({ ...rr, rank: 2 }), [2, 5, 8]); // file 9 is trimmed
  // Shuffled: the ranks still share the kept files once each, and the check's sum agrees.
  for (const shuffled of [false, true]) {
    const o = {
      ...rr,
      fileShuffle: shuffled ? "seed" as const : "off" as const,
      sampleShuffle: shuffled ? "seed" as const : "off" as const,
    };
    const all = [0, 1, 2].flatMap((rank) => epochOrder({ ...o, rank }));
    assert.equal(all.length, 18);
    assert.equal(new Set(all.map((s) => s.id)).size, 18);
    const sum = [0, 1, 2].reduce((a, rank) => a + idSum(lazyOrder({ ...o, rank })), 0);
    assert.equal(sum, expectedIdSum(o));
  }
  assert.equal(expectedIdSum({ ...base, files: 4, samplesPerFile: 3 }), (12 * 11) / 2);
  // Steps: each rank ⌊F/P⌋ · nspf / batch (here 3 · 2 / 4 = 1; DLIO's contiguous formula: 1).
  assert.equal(shardedSteps(10, 2, 4, 3, "round_robin"), 1);
  assert.equal(shardedSteps(10, 2, 1, 4, "round_robin"), 4);
  assert.equal(shardedSteps(10, 2, 1, 4, "contiguous"), 5);
});
