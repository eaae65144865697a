/**
 * A file read as a stream of records (TFRecord as tf.data reads it): front to back in
 * `transfer_size` ranged reads into one reusable buffer, records cut by the format's framing;
 * asking for a record behind the stream's position restarts it from the beginning. Blocking
 * reads (reader threads) keep the file open while it is streamed, as tf.data does.
 * @module
 */
import { FormatError, type RecordFraming } from "../formats/codec.ts";
import type { StorageBackend, SyncObject } from "../storage/backend.ts";

/** How to read the next record. */
export interface StreamRead {
  key: string;
  /** The record wanted (0-based in the file). */
  index: number;
  /** Read size (`reader.transfer_size`; the format's default when unset). */
  transferSize?: number | null;
  verifyChecksums: boolean;
  /** Use the backend's blocking reads (reader threads). */
  sync: boolean;
  signal?: AbortSignal;
}

interface State {
  key: string;
  readPos: number;
  next: number;
  buf: Uint8Array;
  start: number;
  end: number;
}

/** One reader's stream over one file at a time. */
export class RecordStream {
  #s: State | undefined;
  /** The file being streamed, open (blocking reads on backends that open files). */
  #file: SyncObject | undefined;

  constructor(readonly backend: StorageBackend, readonly framing: RecordFraming) {}

  /** The wanted record (its whole framed bytes) and the bytes read from storage to get it. */
  async record(r: StreamRead): Promise<{ record: Uint8Array; bytes: number }> {
    if (r.sync && this.backend.openSync) return this.recordSync(r);
    const { s, transfer } = this.#state(r);
    let bytes = 0;
    for (;;) {
      bytes += await this.#need(s, this.framing.headerBytes, transfer, r);
      const total = this.#frameLength(s, r);
      bytes += await this.#need(s, total, transfer, r);
      const record = this.#take(s, total, r);
      if (record) return { record, bytes };
    }
  }

  /** The same without a promise: blocking reads of the open file (reader threads). */
  recordSync(r: StreamRead): { record: Uint8Array; bytes: number } {
    const { s, transfer } = this.#state(r);
    let bytes = 0;
    for (;;) {
      bytes += this.#needSync(s, this.framing.headerBytes, transfer, r);
      const total = this.#frameLength(s, r);
      bytes += this.#needSync(s, total, transfer, r);
      const record = this.#take(s, total, r);
      if (record) return { record, bytes };
    }
  }

  /** The stream's state for a read: (re)started when the file changes or the record is behind. */
  #state(r: StreamRead): { s: State; transfer: number } {
    const transfer = Math.max(1, r.transferSize ?? this.framing.defaultTransferSize);
    let s = this.#s;
    if (!s || s.key !== r.key || s.next > r.index) {
      // Room for 8 reads: the pending tail is moved to the front once per ~7 reads, not per read.
      const buf = s?.buf ?? new Uint8Array(transfer * 8);
      this.close();
      if (r.sync && this.backend.openSync) this.#file = this.backend.openSync(r.key);
      s = this.#s = { key: r.key, readPos: 0, next: 0, buf, start: 0, end: 0 };
    }
    return { s, transfer };
  }

  /** The next record's framed length, from its header (pending in the buffer). */
  #frameLength(s: State, r: StreamRead): number {
    return this.framing.recordLength(s.buf.subarray(s.start, s.start + this.framing.headerBytes), {
      verifyChecksums: r.verifyChecksums,
      name: `${this.backend.root}/${r.key} at byte ${s.readPos - (s.end - s.start)}`,
    });
  }

  /** Consume the next record (`total` bytes pending); it, when it is the wanted one. */
  #take(s: State, total: number, r: StreamRead): Uint8Array | undefined {
    const at = s.start;
    s.start += total;
    if (s.next++ !== r.index) return undefined;
    // A view into the stream buffer is valid until the next read; when the next read may start
    // before this record is placed (pipelined readers), hand out a copy.
    const view = s.buf.subarray(at, at + total);
    return r.sync ? view : view.slice();
  }

  /**
   * Read `transfer_size` chunks straight into the stream buffer until `n` bytes are pending;
   * consumed bytes are dropped by moving the pending tail to the front (no per-read joins).
   * Returns the bytes read.
   */
  async #need(s: State, n: number, transfer: number, r: StreamRead): Promise<number> {
    let bytes = 0;
    while (s.end - s.start < n) {
      const into = this.#room(s, n, transfer);
      const chunk = r.sync && this.backend.getRangeSync
        ? this.backend.getRangeSync(r.key, s.readPos, transfer, { buffer: into })
        : await this.backend.getRange(r.key, s.readPos, transfer, {
          buffer: into,
          signal: r.signal,
        });
      bytes += this.#advance(s, into, chunk, r);
    }
    return bytes;
  }

  /** The same through the open file. */
  #needSync(s: State, n: number, transfer: number, r: StreamRead): number {
    let bytes = 0;
    while (s.end - s.start < n) {
      const into = this.#room(s, n, transfer);
      bytes += this.#advance(s, into, into.subarray(0, this.#file!.readAt(into, s.readPos)), r);
    }
    return bytes;
  }

  /** Where the next `transfer_size` read goes (the buffer compacted or grown first). */
  #room(s: State, n: number, transfer: number): Uint8Array {
    if (s.buf.byteLength - s.end < transfer) {
      const pending = s.end - s.start;
      const cap = Math.max(s.buf.byteLength, pending + Math.max(transfer, n));
      const next = cap > s.buf.byteLength ? new Uint8Array(cap * 2) : s.buf;
      if (next === s.buf) s.buf.copyWithin(0, s.start, s.end);
      else next.set(s.buf.subarray(s.start, s.end));
      s.buf = next;
      s.start = 0;
      s.end = pending;
    }
    return s.buf.subarray(s.end, s.end + transfer);
  }

  /** Take a chunk read into `into` as pending bytes; returns its length. */
  #advance(s: State, into: Uint8Array, chunk: Uint8Array, r: StreamRead): number {
    if (chunk.byteLength === 0) {
      throw new FormatError(
        `${this.backend.root}/${r.key}`,
        `stream ended at byte ${s.readPos} before record ${s.next} was complete`,
      );
    }
    if (chunk.buffer !== into.buffer || chunk.byteOffset !== into.byteOffset) into.set(chunk);
    s.readPos += chunk.byteLength;
    s.end += chunk.byteLength;
    return chunk.byteLength;
  }

  /** Close the file being streamed (the next record reopens it). */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
    this.#s = undefined;
  }
}
