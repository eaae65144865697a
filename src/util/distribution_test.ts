// Tests of seeded time draws for every DLIO distribution.
import assert from "node:assert/strict";
import { Prng } from "../util/prng.ts";
import { makeDraw, meanOf } from "./distribution.ts";

function moments(d: () => number, n = 40000): [number, number] {
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = d();
    assert.ok(x >= 0, "sleeps are never negative");
    s += x;
    s2 += x * x;
  }
  return [s / n, Math.sqrt(s2 / n - (s / n) ** 2)];
}

Deno.test("time draws: every DLIO distribution, seeded, |draw|", () => {
  const p = () => new Prng(3, "t");
  const cases: [Parameters<typeof makeDraw>[0], number, number, number][] = [
    [0.25, 0, 0.25, 0],
    [0.25, 0.05, 0.25, 0.05],
    [{ mean: 0.25 }, 0, 0.25, 0],
    [{ mean: 0.25, stdev: 0.05 }, 0, 0.25, 0.05],
    [{ type: "normal", mean: 0.25, stdev: 0.05 }, 0, 0.25, 0.05],
    [{ type: "uniform", min: 0.1, max: 0.3 }, 0, 0.2, 0.2 / Math.sqrt(12)],
    [{ type: "gamma", shape: 4, scale: 0.05 }, 0, 0.2, 0.1],
    [{ type: "exponential", scale: 0.2 }, 0, 0.2, 0.2],
    [{ type: "poisson", lam: 3 }, 0, 3, Math.sqrt(3)],
  ];
  for (const [v, sd, mean, stdev] of cases) {
    const [m, s] = moments(makeDraw(v, sd, p()));
    assert.ok(Math.abs(m - mean) < 0.02 * Math.max(1, mean), `${JSON.stringify(v)} mean ${m}`);
    assert.ok(Math.abs(s - stdev) < 0.03 * Math.max(1, stdev), `${JSON.stringify(v)} stdev ${s}`);
    assert.ok(Math.abs(meanOf(v) - mean) < 1e-9);
  }
  const a = makeDraw({ type: "gamma", shape: 2, scale: 1 }, 0, new Prng(1));
  const b = makeDraw({ type: "gamma", shape: 2, scale: 1 }, 0, new Prng(1));
  assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
  // A normal with a mean near 0 folds negative draws back (DLIO's abs()).
  const [m0] = moments(makeDraw(0, 1, p()));
  assert.ok(Math.abs(m0 - Math.sqrt(2 / Math.PI)) < 0.02);
});
