/**
 * The only source of randomness in dl-driver: a seeded xoshiro128** generator.
 * Every random choice (data bytes, file sizes, shuffles, compute-time draws) comes from a
 * `Prng` derived from the run's seed and a stream name, so a run is reproducible.
 * @module
 */

/** splitmix32 step, used to expand seeds into generator state. */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** FNV-1a hash of a string, to turn stream names into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded pseudo-random generator (xoshiro128**). Not for cryptography. */
export class Prng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  #spare: number | undefined;

  /** Build a generator from a seed and any number of stream labels (numbers or strings). */
  constructor(seed: number, ...streams: (number | string)[]) {
    let st = fmix32(words(seed) ^ 0x5bd1e995);
    for (const s of streams) {
      const v = typeof s === "number" ? words(s) : hashString(s);
      st = fmix32((st + 0x9e3779b9 + fmix32(v ^ 0x27d4eb2d)) | 0);
    }
    let out: number;
    [st, out] = splitmix32(st);
    this.#s0 = out;
    [st, out] = splitmix32(st);
    this.#s1 = out;
    [st, out] = splitmix32(st);
    this.#s2 = out;
    [, out] = splitmix32(st);
    this.#s3 = out | 1;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 = s2 ^ s0;
    this.#s3 = s3 ^ s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 = s0 ^ this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return r;
  }

  /** Uniform float in [0, 1). */
  nextFloat(): number {
    return (this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11)) / 2 ** 53;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** Normal draw (Box-Muller). */
  normal(mean = 0, stdev = 1): number {
    if (this.#spare !== undefined) {
      const v = this.#spare;
      this.#spare = undefined;
      return mean + stdev * v;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return mean + stdev * r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, scale) draw (Marsaglia-Tsang). */
  gamma(shape: number, scale: number): number {
    if (shape < 1) return this.gamma(shape + 1, scale) * Math.pow(this.nextFloat(), 1 / shape);
    const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextFloat();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return d * v * scale;
      }
    }
  }

  /** Poisson(lambda) draw (Knuth for small lambda, normal approximation above 500). */
  poisson(lambda: number): number {
    if (lambda > 500) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const l = Math.exp(-lambda);
    let k = 0, p = 1;
    do {
      k++;
      p *= this.nextFloat();
    } while (p > l);
    return k - 1;
  }

  /** Fill a buffer with random bytes. */
  fill(buf: Uint8Array): Uint8Array {
    const words = buf.byteLength >>> 2;
    const aligned = (buf.byteOffset & 3) === 0;
    if (aligned && words > 0) {
      const u32 = new Uint32Array(buf.buffer, buf.byteOffset, words);
      for (let i = 0; i < words; i++) u32[i] = this.nextU32();
    } else {
      for (let i = 0; i + 4 <= buf.byteLength; i += 4) {
        const v = this.nextU32();
        buf[i] = v;
        buf[i + 1] = v >>> 8;
        buf[i + 2] = v >>> 16;
        buf[i + 3] = v >>> 24;
      }
    }
    for (let i = words * 4; i < buf.byteLength; i++) buf[i] = this.nextU32() & 0xff;
    return buf;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }
}

/** MurmurHash3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fold an integer up to 2^53 into 32 bits (low word mixed with the high word). */
function words(n: number): number {
  return ((n >>> 0) ^ fmix32(Math.floor(n / 2 ** 32))) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded bijection on [0, n) that needs O(1) memory: a 4-round Feistel network over the
 * smallest even-bit power-of-two domain ≥ n, with cycle walking back into [0, n). Used for
 * shuffles of huge sample lists (10 M files need no 10 M-entry array).
 */
export class Permutation {
  readonly n: number;
  #half: number;
  #mask: number;
  #keys: number[];

  constructor(n: number, seed: number, ...streams: (number | string)[]) {
    if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 52) {
      throw new RangeError(`permutation size ${n} is out of range`);
    }
    this.n = n;
    let bits = 2;
    while (2 ** bits < n) bits++;
    if (bits % 2) bits++;
    this.#half = bits / 2;
    this.#mask = 2 ** this.#half - 1;
    const prng = new Prng(seed, "permutation", ...streams);
    this.#keys = [prng.nextU32(), prng.nextU32(), prng.nextU32(), prng.nextU32()];
  }

  /** The image of `i` (0 ≤ i < n). */
  at(i: number): number {
    // Outside [0, n) cycle walking may never return: refuse.
    if (!(i >= 0 && i < this.n)) {
      throw new RangeError(`permutation index ${i} outside [0, ${this.n})`);
    }
    let x = i;
    do x = this.#encrypt(x); while (x >= this.n);
    return x;
  }

  #encrypt(x: number): number {
    const h = 2 ** this.#half;
    let l = Math.floor(x / h), r = x % h;
    for (const k of this.#keys) {
      const f = fmix32((r ^ k) >>> 0) & this.#mask;
      const nl = r;
      r = (l ^ f) >>> 0;
      l = nl;
    }
    return l * h + r;
  }
}
