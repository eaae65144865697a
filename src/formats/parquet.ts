/**
 * Parquet (MLCommons fork / MLPerf Storage v3: dlrm, flux): one row per sample, columns from
 * `dataset.parquet.columns` ({name, dtype, size, read}; default one `data` column of the
 * sample's bytes), each value a BYTE_ARRAY of `size` elements, `row_group_size` rows per row
 * group. Written with hyparquet-writer, read with hyparquet by ranged reads, as the MLCommons
 * fork's reader does (`read_mode: row_group`): the footer once per open file, then for the row
 * group holding a sample only the chunks of the columns marked `read`, decoded once and kept in an
 * LRU of `row_group_cache_size` row groups.
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import {
  type AsyncOpenedFile,
  type Codec,
  type FileSpec,
  FormatError,
  ITEMSIZE,
  type ParquetColumn,
} from "./codec.ts";
import { fillElements } from "./content.ts";
import { concatBytes } from "../util/bytes.ts";
import { Prng } from "../util/prng.ts";

function columns(spec: FileSpec): ParquetColumn[] {
  const cols = spec.parquet?.columns ?? [];
  if (cols.length > 0) return cols;
  return [{
    name: "data",
    dtype: spec.dtype,
    size: spec.dims.reduce((a, b) => a * b, 1),
    read: true,
  }];
}

/** The Parquet codec. */
export const parquetCodec: Codec = {
  format: "parquet",
  extension: "parquet",
  access: "ranged_async",
  encodedSize() {
    return undefined;
  },
  *encode(spec) {
    const prng = new Prng(spec.seed, "content", spec.fileIndex);
    const columnData = columns(spec).map((c) => ({
      name: c.name,
      type: "BYTE_ARRAY" as const,
      data: Array.from({ length: spec.samples }, () => {
        const v = new Uint8Array(c.size * ITEMSIZE[c.dtype]);
        fillElements(prng, c.dtype, v);
        return v;
      }),
    }));
    const buf = parquetWriteBuffer({
      columnData,
      rowGroupSize: spec.parquet?.rowGroupSize ?? 1024,
      codec: spec.parquet?.compression === "snappy" ? "SNAPPY" : "UNCOMPRESSED",
    } as never);
    yield new Uint8Array(buf);
  },
  open(_bytes, opts) {
    throw new FormatError(opts.name, "parquet is read by ranges (openRanged)");
  },
  async openRanged(src, opts): Promise<AsyncOpenedFile> {
    // hyparquet's AsyncBuffer over the source: it reads the footer, then only the column
    // chunks a row range needs.
    const file = {
      byteLength: src.byteLength,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const b = await src.read(start, (end ?? src.byteLength) - start);
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      },
    };
    let meta: Awaited<ReturnType<typeof parquetMetadataAsync>>;
    try {
      meta = await parquetMetadataAsync(file);
    } catch (e) {
      throw new FormatError(opts.name, `not a Parquet file (${(e as Error).message})`);
    }
    const n = Number(meta.num_rows);
    const starts: number[] = [0];
    for (const rg of meta.row_groups) starts.push(starts.at(-1)! + Number(rg.num_rows));
    const cache = new Map<number, Promise<Record<string, unknown>[]>>();
    const keep = Math.max(1, opts.rowGroupCache ?? 4);
    const rowGroup = (g: number) => {
      let rows = cache.get(g);
      if (rows) {
        cache.delete(g); // most recently used last
      } else {
        rows = parquetReadObjects({
          file,
          metadata: meta,
          rowStart: starts[g],
          rowEnd: starts[g + 1],
          columns: opts.columns?.length ? opts.columns : undefined,
          utf8: false,
        } as never) as Promise<Record<string, unknown>[]>;
        if (cache.size >= keep) cache.delete(cache.keys().next().value!);
      }
      cache.set(g, rows);
      return rows;
    };
    return {
      numSamples: n,
      async sampleAsync(i: number): Promise<Uint8Array> {
        if (i < 0 || i >= n) {
          throw new FormatError(opts.name, `row ${i} out of range (0..${n - 1})`);
        }
        // The row group holding row i (binary search: dlrm files have ~770 row groups), decoded
        // once for the columns readers use (LRU).
        let lo = 0, hi = starts.length - 2;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= i) lo = mid;
          else hi = mid - 1;
        }
        const g = lo;
        let rows: Record<string, unknown>[];
        try {
          rows = await rowGroup(g);
        } catch (e) {
          cache.delete(g);
          if (!(e instanceof Error) || e.name === "StorageError") throw e;
          throw new FormatError(opts.name, `row ${i}: cannot decode (${e.message})`);
        }
        const row = rows[i - starts[g]!] ?? {};
        const parts = Object.values(row).map((v) =>
          v instanceof Uint8Array ? v : new TextEncoder().encode(String(v))
        );
        return concatBytes(parts);
      },
    };
  },
};
