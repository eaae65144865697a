/**
 * A hand-written codec for the two `tf.train.Example` shapes DLIO uses: a map of features, each
 * a `bytes_list` or an `int64_list` (protobuf wire format, packed int64s as proto3 writes them).
 * @module
 */

/** A feature value: bytes or int64s. */
export type Feature = { bytes: Uint8Array[] } | { int64: bigint[] };

function varintLen(n: number | bigint): number {
  let v = BigInt.asUintN(64, BigInt(n));
  let len = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    len++;
  }
  return len;
}

class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  varint(n: number | bigint) {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
  tag(field: number, wire: number) {
    this.varint((field << 3) | wire);
  }
  bytes(b: Uint8Array) {
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }
}

const utf8 = new TextEncoder();

function featureLen(f: Feature): number {
  if ("bytes" in f) {
    const list = listLen(f);
    return 1 + varintLen(list) + list; // bytes_list = 1
  }
  const packed = f.int64.reduce((a, v) => a + varintLen(v), 0);
  const list = f.int64.length ? 1 + varintLen(packed) + packed : 0;
  return 1 + varintLen(list) + list; // int64_list = 3
}

/** Encode `Example{features{feature{key: value}...}}`; keys in the given order. */
export function encodeExample(features: [string, Feature][]): Uint8Array {
  const entries = features.map(([k, f]) => {
    const key = utf8.encode(k);
    const fl = featureLen(f);
    const entry = 1 + varintLen(key.byteLength) + key.byteLength + 1 + varintLen(fl) + fl;
    return { key, f, fl, entry };
  });
  const featuresLen = entries.reduce((a, e) => a + 1 + varintLen(e.entry) + e.entry, 0);
  const w = new Writer(1 + varintLen(featuresLen) + featuresLen);
  w.tag(1, 2); // Example.features
  w.varint(featuresLen);
  for (const e of entries) {
    w.tag(1, 2); // Features.feature (map entry)
    w.varint(e.entry);
    w.tag(1, 2); // key
    w.varint(e.key.byteLength);
    w.bytes(e.key);
    w.tag(2, 2); // value: Feature
    w.varint(e.fl);
    if ("bytes" in e.f) {
      w.tag(1, 2); // bytes_list
      w.varint(listLen(e.f));
      for (const b of e.f.bytes) {
        w.tag(1, 2);
        w.varint(b.byteLength);
        w.bytes(b);
      }
    } else {
      const packed = e.f.int64.reduce((a, v) => a + varintLen(v), 0);
      w.tag(3, 2); // int64_list
      w.varint(e.f.int64.length ? 1 + varintLen(packed) + packed : 0);
      if (e.f.int64.length) {
        w.tag(1, 2);
        w.varint(packed);
        for (const v of e.f.int64) w.varint(v);
      }
    }
  }
  return w.buf;
}

function listLen(f: { bytes: Uint8Array[] }): number {
  return f.bytes.reduce((a, b) => a + 1 + varintLen(b.byteLength) + b.byteLength, 0);
}

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.byteLength) {
    this.pos = start;
  }
  varint(): bigint {
    let shift = 0n, v = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error("truncated varint");
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
      if (shift > 63n) throw new Error("varint too long");
    }
  }
  /** Read a length-delimited field: [start, end). */
  span(): [number, number] {
    const n = Number(this.varint());
    const s = this.pos;
    if (s + n > this.end) throw new Error("field runs past its message");
    this.pos += n;
    return [s, s + n];
  }
  skip(wire: number) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.span();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** Decode an Example into its features (bytes values are views into `buf`). */
export function decodeExample(buf: Uint8Array): Map<string, Feature> {
  const out = new Map<string, Feature>();
  const ex = new Reader(buf);
  while (ex.pos < ex.end) {
    const t = Number(ex.varint());
    if (t >> 3 !== 1 || (t & 7) !== 2) {
      ex.skip(t & 7);
      continue;
    }
    const [fs, fe] = ex.span();
    const feats = new Reader(buf, fs, fe);
    while (feats.pos < feats.end) {
      const t2 = Number(feats.varint());
      if (t2 >> 3 !== 1 || (t2 & 7) !== 2) {
        feats.skip(t2 & 7);
        continue;
      }
      const [es, ee] = feats.span();
      const entry = new Reader(buf, es, ee);
      let key = "";
      let value: Feature | undefined;
      while (entry.pos < entry.end) {
        const t3 = Number(entry.varint());
        if (t3 === ((1 << 3) | 2)) {
          const [ks, ke] = entry.span();
          key = new TextDecoder().decode(buf.subarray(ks, ke));
        } else if (t3 === ((2 << 3) | 2)) {
          value = decodeFeature(buf, ...entry.span());
        } else entry.skip(t3 & 7);
      }
      if (value) out.set(key, value);
    }
  }
  return out;
}

function decodeFeature(buf: Uint8Array, s: number, e: number): Feature | undefined {
  const r = new Reader(buf, s, e);
  let f: Feature | undefined;
  while (r.pos < r.end) {
    const t = Number(r.varint());
    const field = t >> 3, wire = t & 7;
    if (field === 1 && wire === 2) {
      const [ls, le] = r.span();
      const list = new Reader(buf, ls, le);
      const bytes: Uint8Array[] = [];
      while (list.pos < list.end) {
        const t2 = Number(list.varint());
        if (t2 === ((1 << 3) | 2)) bytes.push(buf.subarray(...list.span()));
        else list.skip(t2 & 7);
      }
      f = { bytes };
    } else if (field === 3 && wire === 2) {
      const [ls, le] = r.span();
      const list = new Reader(buf, ls, le);
      const int64: bigint[] = [];
      while (list.pos < list.end) {
        const t2 = Number(list.varint());
        if (t2 === ((1 << 3) | 2)) {
          const [ps, pe] = list.span();
          const p = new Reader(buf, ps, pe);
          while (p.pos < p.end) int64.push(BigInt.asIntN(64, p.varint()));
        } else if (t2 === ((1 << 3) | 0)) int64.push(BigInt.asIntN(64, list.varint()));
        else list.skip(t2 & 7);
      }
      f = { int64 };
    } else r.skip(wire);
  }
  return f;
}
