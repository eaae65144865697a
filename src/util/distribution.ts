/**
 * Time draws as DLIO's `sleep()` makes them: a number is seconds; a dict is a distribution
 * (normal, uniform, gamma, exponential, poisson, or mean/stdev); the sleep is |draw|.
 * Unlike DLIO, draws come from the seeded PRNG, so runs are reproducible.
 * @module
 */
import type { Prng } from "./prng.ts";

/** A time value as DLIO configs write it: seconds, or a distribution dict. */
export type DistributionValue = number | Record<string, number | string>;

/** A source of durations in seconds. */
export type Draw = () => number;

/** Build a draw from a config value and an optional `_stdev` sibling. */
export function makeDraw(value: DistributionValue, stdev: number, prng: Prng): Draw {
  if (typeof value === "number") {
    if (stdev > 0) return () => Math.abs(prng.normal(value, stdev));
    return () => value;
  }
  const n = (k: string, d = 0) => (typeof value[k] === "number" ? value[k] as number : d);
  switch (value.type) {
    case undefined:
    case "normal": {
      const mean = n("mean"), sd = n("stdev", stdev);
      return sd > 0 ? () => Math.abs(prng.normal(mean, sd)) : () => Math.abs(mean);
    }
    case "uniform": {
      const lo = n("min"), hi = n("max");
      return () => Math.abs(lo + (hi - lo) * prng.nextFloat());
    }
    case "gamma": {
      const shape = n("shape"), scale = n("scale");
      return () => prng.gamma(shape, scale);
    }
    case "exponential": {
      const scale = n("scale");
      return () => -scale * Math.log(1 - prng.nextFloat());
    }
    case "poisson": {
      const lam = n("lam");
      return () => prng.poisson(lam);
    }
    default:
      throw new Error(`unknown distribution type ${String(value.type)}`);
  }
}

/** The mean of a draw's distribution (for messages). */
export function meanOf(value: DistributionValue): number {
  if (typeof value === "number") return value;
  const n = (k: string) => (typeof value[k] === "number" ? value[k] as number : 0);
  switch (value.type) {
    case "uniform":
      return (n("min") + n("max")) / 2;
    case "gamma":
      return n("shape") * n("scale");
    case "exponential":
      return n("scale");
    case "poisson":
      return n("lam");
    default:
      return n("mean");
  }
}
