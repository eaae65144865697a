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
    const transfer = Math.max(1, r.transferSize ?? this.framing.defaultTransferSize);
    let s = this.#s;
    if (!s || s.key !== r.key || s.next > r.index) {
      const buf = s?.buf ?? new Uint8Array(transfer * 2);
      this.close();
      if (r.sync && this.backend.openSync) this.#file = this.backend.openSync(r.key);
      s = this.#s = { key: r.key, readPos: 0, next: 0, buf, start: 0, end: 0 };
    }
    let bytes = 0;
    const head = this.framing.headerBytes;
    for (;;) {
      bytes += await this.#need(s, head, transfer, r);
      const total = this.framing.recordLength(s.buf.subarray(s.start, s.start + head), {
        verifyChecksums: r.verifyChecksums,
        name: `${this.backend.root}/${r.key} at byte ${s.readPos - (s.end - s.start)}`,
      });
      bytes += await this.#need(s, total, transfer, r);
      const at = s.start;
      s.start += total;
      if (s.next++ === r.index) {
        // A view into the stream buffer is valid until the next read; when the next read may
        // start before this record is placed (pipelined readers), hand out a copy.
        const view = s.buf.subarray(at, at + total);
        return { record: r.sync ? view : view.slice(), bytes };
      }
    }
  }

  /**
   * Read `transfer_size` chunks straight into the stream buffer until `n` bytes are pending;
   * consumed bytes are dropped by moving the pending tail to the front (no per-read joins).
   * Returns the bytes read.
   */
  async #need(s: State, n: number, transfer: number, r: StreamRead): Promise<number> {
    let bytes = 0;
    while (s.end - s.start < n) {
      const pending = s.end - s.start;
      if (s.buf.byteLength - s.end < transfer) {
        const cap = Math.max(s.buf.byteLength, pending + Math.max(transfer, n));
        const next = cap > s.buf.byteLength ? new Uint8Array(cap * 2) : s.buf;
        if (next === s.buf) s.buf.copyWithin(0, s.start, s.end);
        else next.set(s.buf.subarray(s.start, s.end));
        s.buf = next;
        s.start = 0;
        s.end = pending;
      }
      const into = s.buf.subarray(s.end, s.end + transfer);
      const chunk = r.sync && this.#file
        ? into.subarray(0, this.#file.readAt(into, s.readPos))
        : r.sync && this.backend.getRangeSync
        ? this.backend.getRangeSync(r.key, s.readPos, transfer, { buffer: into })
        : await this.backend.getRange(r.key, s.readPos, transfer, {
          buffer: into,
          signal: r.signal,
        });
      if (chunk.byteLength === 0) {
        throw new FormatError(
          `${this.backend.root}/${r.key}`,
          `stream ended at byte ${s.readPos} before record ${s.next} was complete`,
        );
      }
      if (chunk.buffer !== into.buffer || chunk.byteOffset !== into.byteOffset) into.set(chunk);
      bytes += chunk.byteLength;
      s.readPos += chunk.byteLength;
      s.end += chunk.byteLength;
    }
    return bytes;
  }

  /** Close the file being streamed (the next record reopens it). */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
    this.#s = undefined;
  }
}
