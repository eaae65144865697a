// Tests of the latency histogram: the stated error bound against exact percentiles, merging, encoding.
import assert from "node:assert/strict";
import { Prng } from "../util/prng.ts";
import { Histogram } from "./histogram.ts";
import { latencyStats } from "./stats.ts";

/** Values spread over six orders of magnitude (lognormal-ish), with zeros and repeats. */
function values(n: number, seed: number): Float64Array {
  const p = new Prng(seed, "histogram");
  return Float64Array.from(
    { length: n },
    (_, i) => i % 97 === 0 ? 0 : i % 89 === 0 ? 100 : Math.exp(p.normal(0, 3)),
  );
}

Deno.test("histogram: percentiles within 1/128 of the exact ones; count, sum, min, max exact", () => {
  const v = values(200_000, 1);
  const h = new Histogram();
  for (const x of v) h.add(x);
  const exact = latencyStats(v);
  assert.equal(h.count, exact.count);
  assert.ok(Math.abs(h.mean - exact.mean_ms) <= 1e-9 * exact.mean_ms);
  assert.equal(h.min, exact.min_ms);
  assert.equal(h.max, exact.max_ms);
  const sorted = Float64Array.from(v).sort();
  for (const p of [1, 10, 25, 50, 75, 90, 95, 99, 99.9]) {
    const r = (p / 100) * (sorted.length - 1), lo = Math.floor(r);
    const e = sorted[lo]! + (sorted[Math.ceil(r)]! - sorted[lo]!) * (r - lo);
    const got = h.percentile(p);
    assert.ok(Math.abs(got - e) <= e / 128 + 1e-12, `p${p}: ${got} vs exact ${e}`);
  }
});

Deno.test("histogram: equal values are exact; merged = recorded together; encoding round-trips", () => {
  const same = new Histogram();
  for (let i = 0; i < 1000; i++) same.add(100);
  assert.equal(same.percentile(50), 100);
  assert.equal(same.percentile(99), 100);
  const v = values(50_000, 2);
  const all = new Histogram(), a = new Histogram(), b = new Histogram();
  v.forEach((x, i) => {
    all.add(x);
    (i % 3 ? a : b).add(x);
  });
  a.merge(b);
  const back = Histogram.from(JSON.parse(JSON.stringify(a.toData())));
  // (Bucket sums added in another order may differ in the last bit.)
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-12 * Math.abs(y);
  for (const p of [50, 95, 99]) {
    assert.ok(close(a.percentile(p), all.percentile(p)), `p${p}`);
    assert.equal(back.percentile(p), a.percentile(p));
  }
  assert.deepEqual([back.count, back.min, back.max], [all.count, all.min, all.max]);
  // Fixed memory: the encoding has at most 128 buckets per octave spanned, whatever the count.
  assert.ok(a.toData().buckets.length <= 128 * 40);
});
