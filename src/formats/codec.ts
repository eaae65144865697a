/**
 * The codec interface: a codec turns sample specs into file bytes and file bytes into samples.
 * Codecs never see storage backends.
 * @module
 */
import { DataError } from "../errors.ts";
import { concatBytes } from "../util/bytes.ts";

/** numpy element types. */
export type ElementType =
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "uint64"
  | "int64"
  | "float16"
  | "float32"
  | "float64";

/** Bytes per element. */
export const ITEMSIZE: Record<ElementType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  uint64: 8,
  int64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
};

/** What one generated file contains. */
export interface FileSpec {
  /** Per-sample dimensions (DLIO: `[d1, d2]`). */
  dims: number[];
  /** Samples in the file. */
  samples: number;
  dtype: ElementType;
  /** Seed of the file's content (derived from the run seed and file index). */
  seed: number;
  /** Global index of the file (stream label for the PRNG). */
  fileIndex: number;
  /** DLIO's `dataset.compression` (formats that support it). */
  compression?: string;
  /** DLIO's `dataset.compression_level` (HDF5 gzip). */
  compressionLevel?: number;
  /** HDF5 layout: `hdf5.num_dset_per_record` and `hdf5.chunk_dims`. */
  hdf5?: { datasets: number; chunkDims: number[] };
  /** Parquet layout: columns, row group size, compression. */
  parquet?: { columns: ParquetColumn[]; rowGroupSize: number; compression: string };
}

/** A Parquet column as the MLCommons fork describes it. */
export interface ParquetColumn {
  name: string;
  dtype: ElementType;
  /** Elements per row. */
  size: number;
  /** Whether readers decode it. */
  read: boolean;
}

/** Options when decoding a file. */
export interface OpenOptions {
  /** Verify checksums the format carries (NPZ: zip CRC-32). */
  verifyChecksums: boolean;
  /** Object name for error messages. */
  name: string;
  /** Columns to decode (Parquet `read: true` columns; all when absent). */
  columns?: string[];
}

/** A parsed file whose samples can be extracted. */
export interface OpenedFile {
  readonly numSamples: number;
  /** Per-sample dims and dtype as stored. */
  readonly dims: number[];
  readonly dtype: ElementType;
  /** Bytes of sample `i` (a view when contiguous, else gathered into `scratch` or a new buffer). */
  sample(i: number, scratch?: Uint8Array): Uint8Array;
}

/** How a sample read fetches bytes from storage. */
export type SampleAccess =
  /** Read the whole file for every sample (DLIO's NPZ/NPY/CSV/image readers). */
  | "whole_file"
  /** No I/O at all (synthetic data: measures the pipeline itself). */
  | "none"
  /** Index objects once per file, then one ranged read per sample (indexed_binary). */
  | "indexed"
  /** The file read front to back in `transfer_size` chunks, records cut from the stream. */
  | "stream"
  /** A library opens the file by path and reads only what a sample needs (HDF5 slices). */
  | "path";

/** Where sample `i` of a file is: byte range in the data object. */
export interface SampleRange {
  offset: number;
  length: number;
}

/** An extra object written beside a data file (index files). */
export interface Sidecar {
  /** Key relative to the dataset root. */
  key: string;
  data: Uint8Array;
}

/** A file format. */
export interface Codec {
  readonly format: string;
  /** File extension without the dot (DLIO uses the format name). */
  readonly extension: string;
  readonly access: SampleAccess;
  /** Exact encoded size in bytes, or undefined when only encoding tells (images, compression). */
  encodedSize(spec: FileSpec): number | undefined;
  /** Index files written beside the data file `key` (TFRecord `.idx`, indexed_binary). */
  sidecars?(spec: FileSpec, key: string): Sidecar[];
  /** The encoded file as a stream of chunks (bounded memory; HDF5 produces one buffer). */
  encode(spec: FileSpec): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Parse a whole file. Throws `FormatError` on corrupt input. Call `close` when it has one. */
  open(bytes: Uint8Array, opts: OpenOptions): OpenedFile & { close?(): void };
  /** Indexed access: the keys of a data file's index objects (relative to the dataset root). */
  indexKeys?(key: string): string[];
  /** Indexed access: parse the index objects (in `indexKeys` order) into sample ranges. */
  parseIndex?(parts: Uint8Array[], opts: OpenOptions): SampleRange[];
  /** Indexed/streamed access: decode one sample from the bytes of its range (one record). */
  decodeRange?(bytes: Uint8Array, opts: OpenOptions): Uint8Array;
  /** Whole-file access with an asynchronous decoder (Parquet). */
  openAsync?(bytes: Uint8Array, opts: OpenOptions): Promise<OpenedFile>;
  /** Path access: open a local file; `sample(i)` reads just that sample. Call `close()`. */
  openPath?(path: string, opts: OpenOptions): Promise<OpenedFile & { close(): void }>;
  /** Streamed access: a record's whole framed length from its header bytes. */
  recordLength?(header: Uint8Array, opts: OpenOptions): number;
}

/** A file that does not parse as its format. */
export class FormatError extends DataError {
  constructor(name: string, detail: string) {
    super(`decode ${name}: ${detail}`);
    this.name = "FormatError";
  }
}

/** A whole encoded file in memory (tests, small files). */
export async function encodeToBytes(codec: Codec, spec: FileSpec): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of codec.encode(spec)) parts.push(c.slice());
  return concatBytes(parts);
}
