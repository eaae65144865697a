/**
 * Writing and restoring checkpoints on any backend, streamed in bounded chunks.
 *
 * - Each of a rank's files (layout.ts) is generated chunk by chunk (`CHUNK` bytes: random data
 *   with every 4 KiB page stamped with its file, chunk and page, so no two pages repeat, or
 *   constant data with `randomize_tensor: false`), optionally zstd-compressed per chunk (one
 *   zstd frame each), and streamed to `put`: a temporary file renamed at the end, an S3
 *   multipart upload (aborted on failure), an Azure block upload. With `fsync` file systems
 *   sync the file and its folder.
 * - A checkpoint is complete only when all of its files are: each rank writes a manifest
 *   (`.dl-driver/rank-<r>.json`: sizes, zstd frame sizes, CRC-32C) after its files, and rank 0
 *   writes `.dl-driver/complete.json` after a barrier. A restore without it fails clearly.
 * - Restore reads each file in ranged reads of at most `CHUNK` bytes (one zstd frame each when
 *   compressed, decompressed), checks sizes and, with `checkpoint.verify`, the CRC-32C.
 *
 * Memory bound per rank: about 3 × CHUNK (the data chunk, its compressed frame, and the
 * backend's write buffer), whatever the checkpoint size; S3 multipart adds
 * `multipart_concurrency × multipart_part_size`.
 * @module
 */
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import zlib from "node:zlib";
import { crc32c } from "@node-rs/crc32";
import type { WorkloadConfig } from "../config/schema.ts";
import { UserError } from "../errors.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { StorageError } from "../storage/backend.ts";
import type { Comm } from "../train/comm.ts";
import type { Clock } from "../util/clock.ts";
import { Prng } from "../util/prng.ts";
import { type CheckpointFile, checkpointFolder, rankFiles } from "./layout.ts";
import type { CheckpointEvent } from "../metrics/records.ts";

/** Bytes generated, compressed and written at a time. */
export const CHUNK = 8 * 1024 * 1024;

/** What a rank's manifest records of each file. */
interface ManifestFile {
  name: string;
  bytes: number;
  stored: number;
  crc32c: number;
  /** Stored sizes of the zstd frames (compressed files). */
  frames?: number[];
}

/** The settings a checkpointer needs. */
export interface CheckpointerOptions {
  config: WorkloadConfig;
  backend: StorageBackend;
  comm: Comm;
  clock: Clock;
  signal?: AbortSignal;
}

/** Writes and restores one rank's checkpoints. */
export class Checkpointer {
  readonly files: CheckpointFile[];
  #base: Uint8Array | undefined;
  #ones: Uint8Array | undefined;

  constructor(readonly o: CheckpointerOptions) {
    this.files = rankFiles(o.config, o.comm.rank, o.comm.size);
  }

  get #ck() {
    return this.o.config.checkpoint;
  }

  /** Chunk `i` of file `f`'s tensor bytes. */
  #chunk(fileIndex: number, i: number, len: number): Uint8Array {
    if (!this.#ck.randomize_tensor) {
      this.#ones ??= new Uint8Array(CHUNK).fill(1);
      return this.#ones.subarray(0, len);
    }
    this.#base ??= new Prng(this.o.config.train.seed, "checkpoint", this.o.comm.rank)
      .fill(new Uint8Array(CHUNK));
    // Backends that are done with a chunk before asking for the next (file, direct, mem) get
    // the same buffer re-stamped in place; object-store SDKs may keep chunks, so they get copies.
    const reuse = this.o.backend.capabilities.chunkReuse;
    const out = reuse ? this.#base.subarray(0, len) : this.#base.slice(0, len);
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    // Stamp every 4 KiB page: no page repeats within or across files, ranks and checkpoints.
    for (let p = 0; p + 16 <= len; p += 4096) {
      dv.setUint32(p, this.o.comm.rank, true);
      dv.setUint32(p + 4, fileIndex, true);
      dv.setUint32(p + 8, i, true);
      dv.setUint32(p + 12, (p / 4096) ^ this.#stamp, true);
    }
    return out;
  }
  #stamp = 0;

  /** Save checkpoint (epoch, step): this rank's files, then its manifest. */
  async save(epoch: number, step: number): Promise<CheckpointEvent> {
    const { clock, backend, comm } = this.o;
    const folder = checkpointFolder(epoch, step);
    const zstd = this.#ck.compression === "zstd";
    const level = this.#ck.compression_level;
    const ev = this.#event("save", epoch, step, folder);
    this.#stamp = (epoch * 1_000_003 + step) >>> 0;
    const manifest: ManifestFile[] = [];
    for (const [fi, f] of this.files.entries()) {
      const t0 = clock.now();
      let crc = 0, stored = 0, codec = 0;
      const frames: number[] = [];
      const chunk = (i: number, len: number) => this.#chunk(fi, i, len);
      const body = (function* () {
        for (let off = 0, i = 0; off < f.bytes; off += CHUNK, i++) {
          const raw = chunk(i, Math.min(CHUNK, f.bytes - off));
          let out = raw;
          if (zstd) {
            const c0 = clock.now();
            out = new Uint8Array(
              zstdCompressSync(raw, {
                params: { [zlib.constants.ZSTD_c_compressionLevel]: level },
              }),
            );
            codec += clock.now() - c0;
            frames.push(out.byteLength);
          }
          crc = crc32c(out, crc) >>> 0;
          stored += out.byteLength;
          yield out;
        }
      })();
      const key = `${folder}/${f.name}`;
      await backend.put(key, body, { signal: this.o.signal, fsync: this.#ck.fsync });
      ev.fileMs.push(clock.now() - t0);
      ev.bytes += f.bytes;
      ev.storedBytes += stored;
      ev.codecMs += codec;
      manifest.push({
        name: f.name,
        bytes: f.bytes,
        stored,
        crc32c: crc,
        ...(zstd ? { frames } : {}),
      });
    }
    await backend.put(
      `${folder}/.dl-driver/rank-${comm.rank}.json`,
      new TextEncoder().encode(JSON.stringify({ rank: comm.rank, files: manifest })),
      { signal: this.o.signal, fsync: this.#ck.fsync },
    );
    // DLIO's rank_sync: the timer stops after all ranks have saved.
    if (this.#ck.rank_sync) await comm.barrier();
    this.#finish(ev);
    // Complete only when every rank's files are: rank 0 marks it after a barrier.
    await comm.barrier();
    if (comm.rank === 0) {
      await backend.put(
        `${folder}/.dl-driver/complete.json`,
        new TextEncoder().encode(JSON.stringify({ ranks: comm.size, epoch, step })),
        { signal: this.o.signal, fsync: this.#ck.fsync },
      );
    }
    return ev;
  }

  /** Restore checkpoint (epoch, step): read back this rank's files, check sizes (and CRCs). */
  async load(epoch: number, step: number): Promise<CheckpointEvent> {
    const { clock, backend, comm } = this.o;
    const folder = checkpointFolder(epoch, step);
    const ev = this.#event("load", epoch, step, folder);
    const where = `${backend.root}/${folder}`;
    const json = async (key: string, what: string) => {
      try {
        return JSON.parse(new TextDecoder().decode(await backend.get(`${folder}/${key}`)));
      } catch (e) {
        if (e instanceof StorageError && e.code === "not_found") {
          throw new UserError(
            `checkpoint ${where} is incomplete (${what} is missing): it was not finished ` +
              "(interrupted, or another rank failed); it cannot be restored",
            3,
          );
        }
        throw e;
      }
    };
    await json(".dl-driver/complete.json", "its completion marker");
    const manifest =
      (await json(`.dl-driver/rank-${comm.rank}.json`, `rank ${comm.rank}'s manifest`))
        .files as ManifestFile[];
    for (const m of manifest) {
      const t0 = clock.now();
      const key = `${folder}/${m.name}`;
      const sizes = m.frames ?? Array.from(
        { length: Math.ceil(m.stored / CHUNK) },
        (_, i) => Math.min(CHUNK, m.stored - i * CHUNK),
      );
      let off = 0, crc = 0, raw = 0, buffer: Uint8Array | undefined;
      for (const size of sizes) {
        this.o.signal?.throwIfAborted();
        const data = await backend.getRange(key, off, size, { buffer, signal: this.o.signal });
        if (data.byteLength !== size) {
          throw new UserError(
            `checkpoint file ${where}/${m.name} is ${off + data.byteLength} bytes, ` +
              `its manifest says ${m.stored}`,
            3,
          );
        }
        buffer = data;
        if (this.#ck.verify) crc = crc32c(data, crc) >>> 0;
        if (m.frames) {
          const c0 = clock.now();
          raw += zstdDecompressSync(data).byteLength;
          ev.codecMs += clock.now() - c0;
        } else raw += data.byteLength;
        off += size;
      }
      const tail = await backend.getRange(key, off, 1, { signal: this.o.signal });
      if (tail.byteLength !== 0 || raw !== m.bytes) {
        throw new UserError(
          `checkpoint file ${where}/${m.name} does not match its manifest (size)`,
          3,
        );
      }
      if (this.#ck.verify && crc !== m.crc32c) {
        throw new UserError(`checkpoint file ${where}/${m.name}: CRC-32C mismatch`, 3);
      }
      ev.fileMs.push(clock.now() - t0);
      ev.bytes += m.bytes;
      ev.storedBytes += m.stored;
    }
    if (this.#ck.rank_sync) await comm.barrier();
    return this.#finish(ev);
  }

  #event(kind: "save" | "load", epoch: number, step: number, folder: string): CheckpointEvent {
    return {
      kind,
      rank: this.o.comm.rank,
      epoch,
      step,
      folder,
      startMs: this.o.clock.now(),
      endMs: 0,
      wallStart: this.o.clock.wallNow(),
      wallEnd: 0,
      files: 0,
      bytes: 0,
      storedBytes: 0,
      codecMs: 0,
      fileMs: [],
    };
  }

  #finish(ev: CheckpointEvent): CheckpointEvent {
    ev.endMs = this.o.clock.now();
    ev.wallEnd = this.o.clock.wallNow();
    ev.files = ev.fileMs.length;
    return ev;
  }
}
