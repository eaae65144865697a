/**
 * Parquet (MLCommons fork / MLPerf Storage v3: dlrm, flux): one row per sample, columns from
 * `dataset.parquet.columns` ({name, dtype, size, read}; default one `data` column of the
 * sample's bytes), each value a BYTE_ARRAY of `size` elements, `row_group_size` rows per row
 * group. Written with hyparquet-writer, read with hyparquet: the file is fetched whole, then the
 * row group holding the sample is decoded for the columns marked `read` (the fork's
 * `read_mode: row_group`).
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
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
  access: "whole_file_async",
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
    throw new FormatError(opts.name, "parquet is decoded asynchronously (openAsync)");
  },
  // deno-lint-ignore require-await
  async openAsync(bytes, opts): Promise<AsyncOpenedFile> {
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    let meta;
    try {
      meta = parquetMetadata(file as ArrayBuffer);
    } catch (e) {
      throw new FormatError(opts.name, `not a Parquet file (${(e as Error).message})`);
    }
    const n = Number(meta.num_rows);
    return {
      numSamples: n,
      async sampleAsync(i: number): Promise<Uint8Array> {
        if (i < 0 || i >= n) {
          throw new FormatError(opts.name, `row ${i} out of range (0..${n - 1})`);
        }
        // Decode the row group holding row i, for the columns readers use.
        let rows: Record<string, unknown>[];
        try {
          rows = await parquetReadObjects({
            file: file as ArrayBuffer,
            metadata: meta,
            rowStart: i,
            rowEnd: i + 1,
            columns: opts.columns?.length ? opts.columns : undefined,
            utf8: false,
          } as never);
        } catch (e) {
          throw new FormatError(opts.name, `row ${i}: cannot decode (${(e as Error).message})`);
        }
        const row = rows[0] ?? {};
        const parts = Object.values(row).map((v) =>
          v instanceof Uint8Array ? v : new TextEncoder().encode(String(v))
        );
        return concatBytes(parts);
      },
    };
  },
};
