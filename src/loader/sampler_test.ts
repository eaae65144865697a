import assert from "node:assert/strict";
import { epochOrder, indexShard, type OrderOptions, stepsPerEpoch } from "./sampler.ts";

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
