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
  /** Decoded row groups kept per open file (Parquet `row_group_cache_size`; default 4). */
  rowGroupCache?: number;
  /** Decode images (JPEG/PNG); false: the sample is the file's bytes (default true). */
  decodeImages?: boolean;
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

/** Where sample `i` of a file is: byte range in the data object. */
export interface SampleRange {
  offset: number;
  length: number;
}

/** A file's samples as byte ranges (see the path read mode's `layout`). */
export interface FileLayout {
  numSamples: number;
  /** Bytes of one sample. */
  sampleBytes: number;
  /** Sample i: these ranges, read one after another. */
  ranges(i: number): SampleRange[];
}

/** Where a sample lies in its file (see `locate`). */
export interface SampleLocation {
  offset: number;
  length: number;
  /**
   * Check the file with the sample in place (NPZ: the zip directory and CRC-32): `before` holds
   * the file's bytes before `offset`, `after` those from `offset + length` to its end. Throws
   * `FormatError`.
   */
  check?(before: Uint8Array, sample: Uint8Array, after: Uint8Array): void;
}

/** An extra object written beside a data file (index files). */
export interface Sidecar {
  /** Key relative to the dataset root. */
  key: string;
  data: Uint8Array;
}

/** A file's samples as byte ranges, listed by index objects written beside it. */
export interface SampleIndex {
  /** Keys of a data file's index objects (relative to the dataset root). */
  keys(key: string): string[];
  /** Parse the index objects (in `keys` order) into sample ranges. */
  parse(parts: Uint8Array[], opts: OpenOptions): SampleRange[];
  /** Decode one sample from the bytes of its range. */
  decode(bytes: Uint8Array, opts: OpenOptions): Uint8Array;
}

/** Records framed one after another in a file (TFRecord), cut from a stream of reads. */
export interface RecordFraming {
  /** Bytes of a record's header, which tell its length. */
  readonly headerBytes: number;
  /** Read size when `reader.transfer_size` is not set (tf.data's 256 KiB for TFRecord). */
  readonly defaultTransferSize: number;
  /** A record's whole framed length from its header bytes. */
  recordLength(header: Uint8Array, opts: OpenOptions): number;
  /** Decode the sample from one whole framed record. */
  decode(bytes: Uint8Array, opts: OpenOptions): Uint8Array;
}

/** An object read by ranges: its size, and a read of `length` bytes at `offset`. */
export interface RangedSource {
  readonly byteLength: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A ranged source over bytes in memory (tests, fuzzing). */
export function bytesSource(bytes: Uint8Array): RangedSource {
  return {
    byteLength: bytes.byteLength,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

/** A parsed file whose samples are decoded asynchronously (Parquet row groups). */
export interface AsyncOpenedFile {
  readonly numSamples: number;
  sampleAsync(i: number): Promise<Uint8Array>;
}

/**
 * How a sample read fetches bytes from storage and decodes them: one variant per read mode,
 * each carrying exactly what that mode needs.
 */
export type ReadMode =
  /** No I/O at all (synthetic data: measures the pipeline itself). */
  | { readonly access: "none" }
  /**
   * Read the whole file for every sample and parse it with `open` (DLIO's NPZ/NPY/CSV/image
   * readers). With `locate`, a reader thread on a local file system reads a sample that is one
   * contiguous range of its file straight into its batch slot, and the rest of the file beside.
   */
  | {
    readonly access: "whole_file";
    /**
     * Where sample `index` lies, from the file's first bytes (`head`) and its size; undefined
     * when it is not one contiguous range after `head`'s start (the file is then read whole and
     * parsed with `open`, which also reports what is wrong with it).
     */
    locate?(
      head: Uint8Array,
      size: number,
      index: number,
      opts: OpenOptions,
    ): SampleLocation | undefined;
  }
  /**
   * Ranged reads of only what a sample needs, through the codec's own reader (Parquet: the
   * footer once per file, then the selected columns' chunks of the sample's row group).
   */
  | {
    readonly access: "ranged_async";
    openRanged(src: RangedSource, opts: OpenOptions): Promise<AsyncOpenedFile>;
  }
  /** Load the file's index objects once, then one ranged read per sample (indexed_binary). */
  | { readonly access: "indexed"; readonly index: SampleIndex }
  /**
   * Read the file front to back in `transfer_size` chunks and cut records from the stream
   * (TFRecord as tf.data reads it); with `reader.read_index`, one ranged read per record.
   */
  | { readonly access: "stream"; readonly framing: RecordFraming; readonly index: SampleIndex }
  /**
   * A library opens a local file by path and reads only what a sample needs (HDF5 slices);
   * files on object stores are fetched whole and parsed with `open`.
   */
  | {
    readonly access: "path";
    openPath(path: string, opts: OpenOptions): Promise<OpenedFile & { close(): void }>;
    /**
     * The file's sample ranges from its metadata (read once per file through `read`), when a
     * positional read of them is equivalent to the library's (HDF5 contiguous datasets); a
     * reader thread then reads samples straight into their slots. Undefined: use `openPath`.
     */
    layout?(
      read: (offset: number, length: number) => Uint8Array,
      size: number,
    ): FileLayout | undefined;
  };

/** What every codec has, whatever its read mode. */
export interface CodecCommon {
  readonly format: string;
  /** File extension without the dot (DLIO uses the format name). */
  readonly extension: string;
  /** Exact encoded size in bytes, or undefined when only encoding tells (images, compression). */
  encodedSize(spec: FileSpec): number | undefined;
  /** Index files written beside the data file `key` (TFRecord `.idx`, indexed_binary). */
  sidecars?(spec: FileSpec, key: string): Sidecar[];
  /** The encoded file as a stream of chunks (bounded memory; HDF5 produces one buffer). */
  encode(spec: FileSpec): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /**
   * Parse a whole file. Throws `FormatError` on corrupt input, and for formats that are only
   * read another way (indexed_binary, Parquet). Call `close` when it has one.
   */
  open(bytes: Uint8Array, opts: OpenOptions): OpenedFile & { close?(): void };
}

/** A file format: what it writes, and how its samples are read. */
export type Codec = CodecCommon & ReadMode;

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
