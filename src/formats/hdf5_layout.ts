/**
 * Where an HDF5 file's `records_*` datasets lie, read from its metadata once per file, so a
 * sample (`dset[i]` of each dataset, as h5py reads it) is one positional read per dataset
 * instead of a library round trip. Only what an equivalent direct read covers: 8-byte offsets
 * and lengths, superblock v0–v3, object headers v1 and v2, the root group's links (symbol table
 * or link messages), and datasets stored contiguously, little-endian integers or floats, with no
 * filters or external files. Anything else gives `undefined` and the library reads the file.
 * @module
 */
import type { FileLayout } from "./codec.ts";

/** Blocking read of `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

const UNDEF = 0xffffffffffffffffn;
/** A parse that does not match what this reader covers (the library reads the file instead). */
class Unsupported extends Error {}

function need(ok: boolean): asserts ok {
  if (!ok) throw new Unsupported();
}

/** The layout of `records_0..k-1`, or undefined when a direct read would not be equivalent. */
export function contiguousLayout(read: ReadAt, size: number): FileLayout | undefined {
  try {
    const f = new MetaReader(read, size);
    const links = f.rootLinks();
    const sets: { address: number; sampleBytes: number; samples: number }[] = [];
    for (let j = 0; links.has(`records_${j}`); j++) {
      sets.push(f.dataset(links.get(`records_${j}`)!));
    }
    need(sets.length > 0 && sets.every((d) => d.samples === sets[0]!.samples));
    const sampleBytes = sets.reduce((a, d) => a + d.sampleBytes, 0);
    return {
      numSamples: sets[0]!.samples,
      sampleBytes,
      ranges: (i) =>
        sets.map((d) => ({ offset: d.address + i * d.sampleBytes, length: d.sampleBytes })),
    };
  } catch (e) {
    if (e instanceof Unsupported || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** A view of the file's metadata through positional reads. */
class MetaReader {
  constructor(readonly read: ReadAt, readonly size: number) {}

  bytes(offset: number, length: number): { b: Uint8Array; dv: DataView } {
    need(offset >= 0 && offset + length <= this.size);
    const b = this.read(offset, length);
    need(b.byteLength === length);
    return { b, dv: new DataView(b.buffer, b.byteOffset, b.byteLength) };
  }

  addr(dv: DataView, at: number): number {
    const v = dv.getBigUint64(at, true);
    need(v !== UNDEF && v < BigInt(this.size));
    return Number(v);
  }

  /** The root group's links: name → object header address. */
  rootLinks(): Map<string, number> {
    const { b, dv } = this.bytes(0, Math.min(this.size, 96));
    need(b[0] === 0x89 && b[1] === 0x48 && b[2] === 0x44 && b[3] === 0x46);
    const version = b[8]!;
    if (version >= 2) {
      need(version <= 3 && b[9] === 8 && b[10] === 8);
      return this.linksOf(this.messages(this.addr(dv, 36)));
    }
    need(b[13] === 8 && b[14] === 8);
    const entry = version === 0 ? 56 : 60;
    return this.linksOf(this.messages(this.addr(dv, entry + 8)));
  }

  /** Links of a group's object header: link messages, or a symbol table (B-tree and heap). */
  linksOf(msgs: Message[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of msgs) {
      if (m.type === 0x0006) {
        const [name, address] = linkMessage(m.dv);
        if (address !== undefined) out.set(name, this.addr(m.dv, address));
      } else if (m.type === 0x0011) {
        this.symbolTable(this.addr(m.dv, 0), this.addr(m.dv, 8), out);
      }
    }
    return out;
  }

  /** A v1 B-tree of group nodes with its local heap of names. */
  symbolTable(btree: number, heap: number, out: Map<string, number>, depth = 0): void {
    need(depth < 16);
    const h = this.bytes(heap, 32);
    need(String.fromCharCode(...h.b.subarray(0, 4)) === "HEAP");
    const heapData = this.addr(h.dv, 24);
    const heapSize = Number(h.dv.getBigUint64(8, true));
    const names = this.bytes(heapData, heapSize).b;
    const t = this.bytes(btree, 24);
    need(String.fromCharCode(...t.b.subarray(0, 4)) === "TREE" && t.b[4] === 0);
    const level = t.b[5]!, used = t.dv.getUint16(6, true);
    const body = this.bytes(btree + 24, used * 16 + 8);
    for (let c = 0; c < used; c++) {
      const child = this.addr(body.dv, 8 + c * 16);
      if (level > 0) {
        this.symbolTable(child, heap, out, depth + 1);
        continue;
      }
      const s = this.bytes(child, 8);
      need(String.fromCharCode(...s.b.subarray(0, 4)) === "SNOD");
      const n = s.dv.getUint16(6, true);
      const entries = this.bytes(child + 8, n * 40);
      for (let k = 0; k < n; k++) {
        const nameAt = Number(entries.dv.getBigUint64(k * 40, true));
        need(nameAt < names.byteLength);
        const end = names.indexOf(0, nameAt);
        const name = new TextDecoder().decode(names.subarray(nameAt, end < 0 ? undefined : end));
        out.set(name, this.addr(entries.dv, k * 40 + 8));
      }
    }
  }

  /** A contiguous dataset: where its data starts, bytes per sample (first axis), samples. */
  dataset(oh: number): { address: number; sampleBytes: number; samples: number } {
    let dims: number[] | undefined, elem = 0, address = -1, stored = -1;
    for (const m of this.messages(oh)) {
      const v = m.dv;
      if (m.type === 0x0001) dims = dataspace(v);
      else if (m.type === 0x0003) {
        const cls = v.getUint8(0) & 0x0f;
        need((cls === 0 || cls === 1) && (v.getUint8(1) & 1) === 0); // integer/float, little-endian
        elem = v.getUint32(4, true);
      } else if (m.type === 0x0008) {
        need(v.getUint8(0) >= 3 && v.getUint8(1) === 1); // layout v3/v4, contiguous
        address = this.addr(v, 2);
        stored = Number(v.getBigUint64(10, true));
      } else need(m.type !== 0x000b && m.type !== 0x0007); // filters, external files
    }
    need(dims !== undefined && dims.length >= 1 && elem > 0 && address >= 0);
    const sampleBytes = dims.slice(1).reduce((a, b) => a * b, 1) * elem;
    need(stored === sampleBytes * dims[0]! && address + stored <= this.size);
    return { address, sampleBytes, samples: dims[0]! };
  }

  /** An object header's messages (v1 or v2, following continuation blocks). */
  messages(oh: number): Message[] {
    const first = this.bytes(oh, Math.min(16, this.size - oh));
    const out: Message[] = [];
    const blocks: [number, number][] = [];
    let v2 = false, order = false;
    if (String.fromCharCode(...first.b.subarray(0, 4)) === "OHDR") {
      need(first.b[4] === 2);
      v2 = true;
      const flags = first.b[5]!;
      order = (flags & 0x04) !== 0;
      let at = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
      const width = 1 << (flags & 3);
      const sz = this.bytes(oh + at, width);
      const len = width === 1
        ? sz.b[0]!
        : width === 2
        ? sz.dv.getUint16(0, true)
        : width === 4
        ? sz.dv.getUint32(0, true)
        : Number(sz.dv.getBigUint64(0, true));
      at += width;
      blocks.push([oh + at, len]);
    } else {
      need(first.b[0] === 1);
      blocks.push([oh + 16, first.dv.getUint32(8, true)]);
    }
    for (let i = 0; i < blocks.length && i < 64; i++) {
      const [start, len] = blocks[i]!;
      const { b, dv } = this.bytes(start, len);
      let p = v2 && i > 0 ? 4 : 0; // OCHK signature
      const end = v2 && i > 0 ? len - 4 : len; // its checksum
      const head = v2 ? 4 + (order ? 2 : 0) : 8;
      while (p + head <= end) {
        const type = v2 ? b[p]! : dv.getUint16(p, true);
        const size = v2 ? dv.getUint16(p + 1, true) : dv.getUint16(p + 2, true);
        const data = p + head;
        need(data + size <= len);
        const view = new DataView(b.buffer, b.byteOffset + data, size);
        if (type === 0x0010) blocks.push([this.addr(view, 0), Number(view.getBigUint64(8, true))]);
        else out.push({ type, dv: view });
        p = data + size;
      }
    }
    return out;
  }
}

interface Message {
  type: number;
  dv: DataView;
}

/** A dataspace message's dimensions. */
function dataspace(v: DataView): number[] {
  const version = v.getUint8(0), rank = v.getUint8(1);
  const at = version === 1 ? 8 : 4;
  need((version === 1 || version === 2) && (version === 1 || v.getUint8(3) === 1));
  return Array.from({ length: rank }, (_, i) => Number(v.getBigUint64(at + i * 8, true)));
}

/** A link message: its name and, for a hard link, where its address is in the message. */
function linkMessage(v: DataView): [string, number | undefined] {
  need(v.getUint8(0) === 1);
  const flags = v.getUint8(1);
  let p = 2;
  const type = flags & 0x08 ? v.getUint8(p++) : 0;
  if (flags & 0x04) p += 8;
  if (flags & 0x10) p += 1;
  const width = 1 << (flags & 3);
  const len = width === 1
    ? v.getUint8(p)
    : width === 2
    ? v.getUint16(p, true)
    : width === 4
    ? v.getUint32(p, true)
    : Number(v.getBigUint64(p, true));
  p += width;
  const name = new TextDecoder().decode(new Uint8Array(v.buffer, v.byteOffset + p, len));
  return [name, type === 0 ? p + len : undefined];
}
