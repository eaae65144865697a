// Tests of the PRNG: streams, distributions, permutations.
import assert from "node:assert/strict";
import { Prng } from "./prng.ts";

Deno.test("prng: same seed and stream → same sequence; streams and seeds never collide", () => {
  const seq = (p: Prng) => Array.from({ length: 4 }, () => p.nextU32());
  assert.deepEqual(seq(new Prng(1, "a", 3)), seq(new Prng(1, "a", 3)));
  const seen = new Set<string>();
  for (let i = 0; i < 20000; i++) seen.add(seq(new Prng(123, "content", i)).join(","));
  for (let s = 0; s < 2000; s++) seen.add(seq(new Prng(s, "content", 0)).join(","));
  assert.equal(seen.size, 20000 + 2000 - 1); // (123, content, 0) is in both loops
  assert.notDeepEqual(seq(new Prng(1, "a")), seq(new Prng(1, "b")));
  assert.notDeepEqual(seq(new Prng(2 ** 40)), seq(new Prng(2 ** 40 + 1)));
});

Deno.test("prng: distributions have the right moments", () => {
  const p = new Prng(7, "test");
  const n = 50000;
  const m = (f: () => number) => {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = f();
      s += x;
      s2 += x * x;
    }
    return [s / n, Math.sqrt(s2 / n - (s / n) ** 2)];
  };
  const [u] = m(() => p.nextFloat());
  assert.ok(Math.abs(u! - 0.5) < 0.01);
  const [nm, ns] = m(() => p.normal(3, 2));
  assert.ok(Math.abs(nm! - 3) < 0.05 && Math.abs(ns! - 2) < 0.05);
  const [gm] = m(() => p.gamma(2, 0.5));
  assert.ok(Math.abs(gm! - 1) < 0.03);
  const [pm] = m(() => p.poisson(4));
  assert.ok(Math.abs(pm! - 4) < 0.05);
  const bytes = p.fill(new Uint8Array(1 << 16));
  const counts = new Array(256).fill(0);
  for (const b of bytes) counts[b]++;
  assert.ok(Math.min(...counts) > 150 && Math.max(...counts) < 370);
});

Deno.test("prng: shuffle is a seeded permutation", () => {
  const a = new Prng(5).shuffle([...Array(100).keys()]);
  assert.deepEqual([...a].sort((x, y) => x - y), [...Array(100).keys()]);
  assert.deepEqual(new Prng(5).shuffle([...Array(100).keys()]), a);
  assert.notDeepEqual(new Prng(6).shuffle([...Array(100).keys()]), a);
});
