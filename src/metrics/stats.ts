/**
 * Small statistics helpers: exact percentiles over recorded values (per-step timers), histogram
 * statistics (per-sample stages), mean, population stdev.
 * @module
 */
import type { Histogram } from "./histogram.ts";

/** Percentile `p` (0-100) of ascending-sorted values, linear interpolation (numpy's default). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const r = (p / 100) * (n - 1);
  const lo = Math.floor(r), hi = Math.ceil(r);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (r - lo);
}

/** Arithmetic mean (0 for no values). */
export function mean(v: ArrayLike<number>): number {
  if (v.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

/** Population standard deviation, as numpy's `np.std`. */
export function stdev(v: ArrayLike<number>): number {
  if (v.length === 0) return 0;
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  return Math.sqrt(s / v.length);
}

/** Summary of a latency distribution in ms. */
export interface LatencyStats {
  count: number;
  mean_ms: number;
  min_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Exact latency statistics. */
export function latencyStats(values: Float64Array | number[]): LatencyStats {
  const s = Float64Array.from(values).sort();
  return {
    count: s.length,
    mean_ms: mean(s),
    min_ms: s.length ? s[0]! : 0,
    p50_ms: percentile(s, 50),
    p95_ms: percentile(s, 95),
    p99_ms: percentile(s, 99),
    max_ms: s.length ? s[s.length - 1]! : 0,
  };
}

/** Latency statistics from a histogram: count, mean, min and max exact; percentiles within its bound. */
export function histogramStats(h: Histogram): LatencyStats {
  return {
    count: h.count,
    mean_ms: h.mean,
    min_ms: h.count ? h.min : 0,
    p50_ms: h.percentile(50),
    p95_ms: h.percentile(95),
    p99_ms: h.percentile(99),
    max_ms: h.count ? h.max : 0,
  };
}
