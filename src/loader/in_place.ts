/**
 * Reading a sample straight into its batch slot (reader threads, local files, formats whose
 * sample is one contiguous range of its file: NPZ/NPY with one sample per file, images read as
 * bytes). The file's first bytes go to a small buffer, the sample's range into the slot, and the
 * rest of the file beside it; the codec then checks the file around the sample in place (NPZ:
 * zip directory and CRC-32). The same bytes are read as when the file is read whole, with one
 * copy fewer: the kernel's copy lands in the batch buffer the accelerator takes.
 * @module
 */
import { type FileLayout, FormatError, type SampleLocation } from "../formats/codec.ts";
import type { SyncObject } from "../storage/backend.ts";

/** Bytes read first, to locate the sample (headers). */
export const HEAD_BYTES = 4096;

/** The slot a sample goes to: its index and its bytes in the batch buffer. */
export interface Slot {
  slot: number;
  bytes: Uint8Array;
}

/** A sample read into its slot, with the time each stage took. */
export interface Placed {
  kind: "placed";
  key: string;
  slot: number;
  ioMs: number;
  decodeMs: number;
  h2dMs: number;
  bytes: number;
}

/** The file read whole (its sample is not one range there): parse it as usual. */
export interface Whole {
  kind: "object";
  key: string;
  data: Uint8Array;
  ioMs: number;
}

/** What reading in place needs from its reader: buffers it reuses, a clock, the slot. */
export interface InPlaceContext {
  now(): number;
  /** A reusable buffer of at least `n` bytes (`which`: 0 head, 1 rest of the file). */
  buffer(which: 0 | 1, n: number): Uint8Array;
  /** The object's name in messages. */
  name: string;
  /** Bytes of a slot: a longer sample is read whole and cut as usual. */
  slotBytes: number;
  /** Claim the sample's slot in the batch buffers (`slotBytes` long). */
  claim(): Slot;
  locate(head: Uint8Array, size: number): SampleLocation | undefined;
}

/** Read `f` with its sample placed in its slot, or whole when it cannot be. */
export function readInPlace(f: SyncObject, cx: InPlaceContext): Placed | Whole {
  const t0 = cx.now();
  const size = f.size;
  const head = cx.buffer(0, Math.min(HEAD_BYTES, size)).subarray(0, Math.min(HEAD_BYTES, size));
  readFully(f, head, 0, cx.name);
  const t1 = cx.now();
  const loc = cx.locate(head, size);
  const t2 = cx.now();
  if (!loc || loc.offset > head.byteLength || loc.length > cx.slotBytes) {
    return readWhole(f, head, cx, t0 + (t2 - t1));
  }
  const slot = cx.claim();
  const length = loc.length;
  const dest = slot.bytes.subarray(0, length);
  // The sample's bytes already in `head` are copied; the rest is read into the slot.
  const inHead = Math.min(head.byteLength - loc.offset, length);
  dest.set(head.subarray(loc.offset, loc.offset + inHead));
  const t3 = cx.now();
  readFully(f, dest.subarray(inHead), loc.offset + inHead, cx.name);
  const end = loc.offset + length;
  const after = cx.buffer(1, size - end).subarray(0, size - end);
  readFully(f, after, end, cx.name);
  const t4 = cx.now();
  loc.check?.(head.subarray(0, loc.offset), dest, after);
  const t5 = cx.now();
  slot.bytes.fill(0, length);
  return placed(f, slot, t1 - t0 + t4 - t3, t2 - t1 + t5 - t4, t3 - t2 + cx.now() - t5, size);
}

/** A sample read into `slot`: its stage times (ms) and the bytes read for it. */
function placed(f: SyncObject, slot: Slot, io: number, decode: number, h2d: number, bytes: number) {
  return {
    kind: "placed",
    key: f.key,
    slot: slot.slot,
    ioMs: io,
    decodeMs: decode,
    h2dMs: h2d,
    bytes,
  } as const;
}

/**
 * Read sample `index` of a file whose layout is known (HDF5 contiguous datasets) straight into
 * its slot: one positional read per range. Undefined when the sample is not in the layout or
 * is longer than a slot (the library path then reads it, or reports what is wrong).
 */
export function readRangesInPlace(
  f: SyncObject,
  layout: FileLayout,
  index: number,
  cx: Pick<InPlaceContext, "now" | "name" | "slotBytes" | "claim">,
): Placed | undefined {
  if (index < 0 || index >= layout.numSamples || layout.sampleBytes > cx.slotBytes) {
    return undefined;
  }
  const t0 = cx.now();
  const slot = cx.claim();
  let at = 0;
  for (const r of layout.ranges(index)) {
    readFully(f, slot.bytes.subarray(at, at + r.length), r.offset, cx.name);
    at += r.length;
  }
  const t1 = cx.now();
  slot.bytes.fill(0, at);
  return placed(f, slot, t1 - t0, 0, cx.now() - t1, at);
}

/** The whole file into the reusable buffer (the head already read is copied, not reread). */
function readWhole(f: SyncObject, head: Uint8Array, cx: InPlaceContext, t0: number): Whole {
  const data = cx.buffer(1, f.size).subarray(0, f.size);
  data.set(head);
  readFully(f, data.subarray(head.byteLength), head.byteLength, cx.name);
  return { kind: "object", key: f.key, data, ioMs: cx.now() - t0 };
}

/** Fill `into` from `offset`; a short read means the file shrank while being read. */
function readFully(f: SyncObject, into: Uint8Array, offset: number, name: string): void {
  if (into.byteLength === 0) return;
  const n = f.readAt(into, offset);
  if (n !== into.byteLength) {
    throw new FormatError(
      name,
      `truncated: ${offset + n} bytes where ${f.size} were when it was opened`,
    );
  }
}
