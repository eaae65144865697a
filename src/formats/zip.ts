/**
 * Minimal ZIP container as numpy's `.npz` uses it: stored members written in a stream with
 * data descriptors (CRC-32 computed on the fly, bounded memory); reading parses the central
 * directory (zip64 fields included), stored or deflated members, CRC-32 checked on request.
 * @module
 */
import { crc32, inflateRawSync } from "node:zlib";

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01: fixed so output is byte-reproducible

/** A member to write: its name, exact size and its bytes as chunks. */
export interface ZipMemberSource {
  name: string;
  /** Uncompressed size. */
  size: number;
  chunks: Iterable<Uint8Array>;
  /** Deflated member: the compressed bytes and the CRC-32 of the uncompressed data. */
  deflated?: { data: Uint8Array; crc: number };
}

const LOCAL = 30, DESCRIPTOR = 16, CENTRAL = 46, EOCD = 22;

/** Exact size of a stored zip with members of these names and sizes. */
export function zipSize(
  members: { name: string; size: number; deflated?: { data: Uint8Array } }[],
): number {
  let n = EOCD;
  for (const m of members) {
    n += LOCAL + DESCRIPTOR + CENTRAL + 2 * byteLen(m.name) +
      (m.deflated?.data.byteLength ?? m.size);
  }
  return n;
}

function byteLen(s: string): number {
  return new TextEncoder().encode(s).byteLength;
}

/** Largest size this writer handles (no zip64 writing yet). */
export const ZIP_MAX = 0xffffffff;

/** Stream a stored zip. Throws if the archive would need zip64 (≥ 4 GiB). */
export function* writeZip(members: ZipMemberSource[]): Iterable<Uint8Array> {
  if (zipSize(members) >= ZIP_MAX) {
    throw new RangeError("files of 4 GiB or more need zip64, which dl-driver does not write yet");
  }
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = new TextEncoder().encode(m.name);
    const lh = new Uint8Array(LOCAL + name.byteLength);
    const l = new DataView(lh.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(6, 0x0008, true); // sizes and CRC follow in a data descriptor
    const method = m.deflated ? 8 : 0;
    l.setUint16(8, method, true); // 0 stored, 8 deflated
    l.setUint16(10, DOS_TIME, true);
    l.setUint16(12, DOS_DATE, true);
    l.setUint16(26, name.byteLength, true);
    lh.set(name, LOCAL);
    yield lh;
    let crc = 0, n = 0, stored = 0;
    if (m.deflated) {
      crc = m.deflated.crc;
      n = m.size;
      stored = m.deflated.data.byteLength;
      yield m.deflated.data;
    } else {
      for (const c of m.chunks) {
        crc = crc32(c, crc);
        n += c.byteLength;
        yield c;
      }
      stored = n;
    }
    if (n !== m.size) throw new Error(`zip member ${m.name}: wrote ${n} bytes, expected ${m.size}`);
    const dd = new Uint8Array(DESCRIPTOR);
    const d = new DataView(dd.buffer);
    d.setUint32(0, 0x08074b50, true);
    d.setUint32(4, crc >>> 0, true);
    d.setUint32(8, stored, true);
    d.setUint32(12, n, true);
    yield dd;
    const ch = new Uint8Array(CENTRAL + name.byteLength);
    const c = new DataView(ch.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x0008, true);
    c.setUint16(10, method, true);
    c.setUint16(12, DOS_TIME, true);
    c.setUint16(14, DOS_DATE, true);
    c.setUint32(16, crc >>> 0, true);
    c.setUint32(20, stored, true);
    c.setUint32(24, n, true);
    c.setUint16(28, name.byteLength, true);
    c.setUint32(38, 0o100644 << 16, true); // regular file, rw-r--r--
    c.setUint32(42, offset, true);
    ch.set(name, CENTRAL);
    central.push(ch);
    offset += lh.byteLength + stored + DESCRIPTOR;
  }
  const cdSize = central.reduce((a, b) => a + b.byteLength, 0);
  for (const ch of central) yield ch;
  const e = new Uint8Array(EOCD);
  const v = new DataView(e.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, members.length, true);
  v.setUint16(10, members.length, true);
  v.setUint32(12, cdSize, true);
  v.setUint32(16, offset, true);
  yield e;
}

/** A member found in a zip. */
export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * Parse the central directory. `b` holds the archive's bytes from offset `base` to its end (a
 * whole archive when `base` is 0). Returns an error string on malformed input.
 */
export function readZipDirectory(b: Uint8Array, base = 0): ZipEntry[] | string {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = -1;
  for (let i = b.byteLength - EOCD; i >= Math.max(0, b.byteLength - EOCD - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return "not a zip archive (no end-of-central-directory record)";
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) return "zip64 locator missing";
    const z = Number(dv.getBigUint64(loc + 8, true)) - base;
    if (z < 0 || z + 56 > b.byteLength || dv.getUint32(z, true) !== 0x06064b50) {
      return "bad zip64 record";
    }
    count = Number(dv.getBigUint64(z + 32, true));
    cdOffset = Number(dv.getBigUint64(z + 48, true));
  }
  const out: ZipEntry[] = [];
  let p = cdOffset - base;
  for (let i = 0; i < count; i++) {
    if (p < 0 || p + CENTRAL > b.byteLength || dv.getUint32(p, true) !== 0x02014b50) {
      return "corrupt central directory";
    }
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const e: ZipEntry = {
      name: new TextDecoder().decode(b.subarray(p + CENTRAL, p + CENTRAL + nameLen)),
      method: dv.getUint16(p + 10, true),
      crc: dv.getUint32(p + 16, true),
      compressedSize: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      localOffset: dv.getUint32(p + 42, true),
    };
    // zip64 extended information: present fields replace 0xFFFFFFFF values, in order.
    let x = p + CENTRAL + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true), len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const next = () => {
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (e.size === 0xffffffff) e.size = next();
        if (e.compressedSize === 0xffffffff) e.compressedSize = next();
        if (e.localOffset === 0xffffffff) e.localOffset = next();
      }
      x += 4 + len;
    }
    out.push(e);
    p = xEnd + commentLen;
  }
  return out;
}

/**
 * The archive's first member, when it is stored (not deflated) and its local header lies in
 * `head` (the archive's first bytes): its name and where its data starts.
 */
export function firstStoredMember(head: Uint8Array): { name: string; start: number } | undefined {
  if (head.byteLength < LOCAL) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (dv.getUint32(0, true) !== 0x04034b50 || dv.getUint16(8, true) !== 0) return undefined;
  const nameLen = dv.getUint16(26, true);
  const start = LOCAL + nameLen + dv.getUint16(28, true);
  if (start > head.byteLength) return undefined;
  return { name: new TextDecoder().decode(head.subarray(LOCAL, LOCAL + nameLen)), start };
}

/** The bytes of one member (inflated if deflated); CRC-32 checked when `verify`. */
export function readZipMember(b: Uint8Array, e: ZipEntry, verify: boolean): Uint8Array | string {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const p = e.localOffset;
  if (p + LOCAL > b.byteLength || dv.getUint32(p, true) !== 0x04034b50) {
    return `member ${e.name}: bad local header`;
  }
  const start = p + LOCAL + dv.getUint16(p + 26, true) + dv.getUint16(p + 28, true);
  if (start + e.compressedSize > b.byteLength) return `member ${e.name}: truncated`;
  let data = b.subarray(start, start + e.compressedSize);
  if (e.method === 8) {
    try {
      // Bounded by the declared size: a lying header cannot make us allocate more.
      data = new Uint8Array(inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) }));
    } catch (err) {
      return `member ${e.name}: deflate error (${(err as Error).message})`;
    }
  } else if (e.method !== 0) return `member ${e.name}: unsupported compression method ${e.method}`;
  if (data.byteLength !== e.size) return `member ${e.name}: size ${data.byteLength} ≠ ${e.size}`;
  if (verify && (crc32(data) >>> 0) !== e.crc) {
    return `member ${e.name}: CRC-32 mismatch (file is corrupt)`;
  }
  return data;
}
