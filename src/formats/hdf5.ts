/**
 * HDF5 through h5wasm, DLIO's layout: datasets `records_0..k-1` (k = `hdf5.num_dset_per_record`)
 * of shape (samples, d1, d2), sample axis first (with `record_dims`, d1 is split over the k
 * datasets), plus `labels` (int64 zeros); optional `hdf5.chunk_dims` and gzip
 * (`compression: gzip`, `compression_level`). Reading opens local files by path and reads one
 * slice per dataset per sample (partial reads, as h5py does): reader threads read contiguous
 * datasets' slices directly at the offsets the file's metadata gives (hdf5_layout.ts, parsed once
 * per file), other layouts through the library; files on object stores are fetched
 * whole and opened in memory. lzf and other filters h5wasm lacks are refused with a clear
 * error (h5wasm would return wrong data for lzf without throwing).
 * @module
 */
import h5wasm from "h5wasm/node";
import {
  type Codec,
  type ElementType,
  type FileSpec,
  FormatError,
  ITEMSIZE,
  type OpenedFile,
  type OpenOptions,
} from "./codec.ts";
import { fillElements } from "./content.ts";
import { concatBytes } from "../util/bytes.ts";
import { Prng } from "../util/prng.ts";
import { contiguousLayout } from "./hdf5_layout.ts";

const DTYPE: Record<ElementType, string> = {
  uint8: "<B",
  int8: "<b",
  uint16: "<H",
  int16: "<h",
  uint32: "<I",
  int32: "<i",
  uint64: "<Q",
  int64: "<q",
  float16: "<e",
  float32: "<f",
  float64: "<d",
};
const BY_DTYPE = new Map(Object.entries(DTYPE).map(([k, v]) => [v, k as ElementType]));
/** HDF5 filter ids h5wasm decodes. */
const SUPPORTED_FILTERS = new Set([1, 2, 3]); // deflate, shuffle, fletcher32

let ready: Promise<unknown> | undefined;
async function lib() {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

function layout(spec: FileSpec) {
  const k = Math.max(1, spec.hdf5?.datasets ?? 1);
  const dims = [...spec.dims];
  if (spec.dims.length > 2 || k > 1) dims[0] = Math.floor(dims[0]! / k);
  return { k, shape: [spec.samples, ...dims] };
}

function typed(dtype: ElementType, b: Uint8Array): ArrayBufferView {
  const buf = b.buffer;
  switch (dtype) {
    case "uint8":
      return b;
    case "int8":
      return new Int8Array(buf);
    case "uint16":
      return new Uint16Array(buf);
    case "int16":
      return new Int16Array(buf);
    case "uint32":
      return new Uint32Array(buf);
    case "int32":
      return new Int32Array(buf);
    case "uint64":
      return new BigUint64Array(buf);
    case "int64":
      return new BigInt64Array(buf);
    case "float32":
      return new Float32Array(buf);
    case "float64":
      return new Float64Array(buf);
    case "float16":
      throw new FormatError("hdf5", "float16 HDF5 datasets are not supported by h5wasm's writer");
  }
}

/** Write the file for `spec` with h5wasm (into a temporary local file) and return its bytes. */
/** The time HDF5 object headers record (2026-01-01T00:00:00Z). */
const FIXED_TIME = Date.UTC(2026, 0, 1);

async function encodeFile(spec: FileSpec): Promise<Uint8Array> {
  if (spec.compression && !["none", "gzip"].includes(spec.compression)) {
    throw new FormatError(
      "hdf5",
      `compression ${spec.compression} is not supported for HDF5 (use gzip or none)`,
    );
  }
  const h5 = await lib();
  const tmp = await Deno.makeTempFile({ prefix: "dl-driver-", suffix: ".h5" });
  // libhdf5 stamps each object header with the time (through the wasm runtime's Date.now): a
  // fixed clock while the file is written makes a seed's files byte-identical.
  const now = Date.now;
  Date.now = () => FIXED_TIME;
  try {
    const f = new h5.File(tmp, "w");
    try {
      const { k, shape } = layout(spec);
      const n = shape.reduce((a, b) => a * b, 1);
      const prng = new Prng(spec.seed, "content", spec.fileIndex);
      for (let j = 0; j < k; j++) {
        const bytes = new Uint8Array(n * ITEMSIZE[spec.dtype]);
        fillElements(prng, spec.dtype, bytes);
        const chunks = spec.hdf5?.chunkDims?.length ? spec.hdf5.chunkDims : undefined;
        const gzip = spec.compression === "gzip";
        f.create_dataset({
          name: `records_${j}`,
          data: typed(spec.dtype, bytes),
          shape,
          dtype: DTYPE[spec.dtype],
          chunks: chunks ?? (gzip ? [1, ...shape.slice(1)] : undefined),
          compression: gzip ? (spec.compressionLevel ?? 4) : undefined,
        } as never);
      }
      f.create_dataset({
        name: "labels",
        data: new BigInt64Array(spec.samples),
        shape: [spec.samples],
        dtype: "<q",
      } as never);
    } finally {
      f.close();
    }
    Date.now = now;
    return await Deno.readFile(tmp);
  } finally {
    Date.now = now;
    await Deno.remove(tmp).catch(() => {});
  }
}

interface H5Dataset {
  shape: number[];
  dtype: string;
  filters: { id: number; name: string }[];
  slice(ranges: number[][]): unknown;
}

function openSamples(file: { get(name: string): unknown; close(): void }, opts: OpenOptions) {
  const sets: H5Dataset[] = [];
  for (let j = 0;; j++) {
    let d: H5Dataset | undefined;
    try {
      d = file.get(`records_${j}`) as H5Dataset | undefined;
    } catch {
      d = undefined;
    }
    if (!d) break;
    sets.push(d);
  }
  if (sets.length === 0) throw new FormatError(opts.name, "no dataset 'records_0'");
  for (const d of sets) {
    for (const f of d.filters ?? []) {
      if (!SUPPORTED_FILTERS.has(f.id)) {
        throw new FormatError(
          opts.name,
          `dataset uses the ${
            f.name || f.id
          } filter, which dl-driver cannot decode (h5wasm has no ` +
            `${f.id === 32000 ? "LZF" : "such"} filter; reading it would return wrong data)`,
        );
      }
    }
  }
  const dtype = BY_DTYPE.get(sets[0]!.dtype);
  if (!dtype) throw new FormatError(opts.name, `unsupported HDF5 dtype ${sets[0]!.dtype}`);
  const n = sets[0]!.shape[0] ?? 0;
  const result: OpenedFile & { close(): void } = {
    numSamples: n,
    dims: sets[0]!.shape.slice(1),
    dtype,
    sample(i) {
      if (i < 0 || i >= n) {
        throw new FormatError(opts.name, `sample ${i} out of range (0..${n - 1})`);
      }
      const parts = sets.map((d) => {
        const v = d.slice([[i, i + 1]]) as ArrayBufferView;
        return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      });
      return concatBytes(parts);
    },
    close: () => file.close(),
  };
  return result;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Check the superblock before the HDF5 library sees the file: the library can hang on a
 * truncated file, so the signature and the superblock's end-of-file address are checked
 * against the real size first.
 */
export function checkSuperblock(b: Uint8Array, name: string, fileSize = b.byteLength): void {
  if (b.byteLength < 48 || SIGNATURE.some((x, i) => b[i] !== x)) {
    throw new FormatError(name, "not an HDF5 file (no signature at byte 0)");
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = b[8]!;
  let eofAt: number, offsets: number;
  if (version === 0 || version === 1) {
    offsets = b[13]!;
    eofAt = version === 0 ? 24 + 2 * offsets : 28 + 2 * offsets;
  } else if (version === 2 || version === 3) {
    offsets = b[9]!;
    eofAt = 12 + 2 * offsets;
  } else throw new FormatError(name, `unsupported HDF5 superblock version ${version} at byte 8`);
  if (offsets !== 8 || eofAt + 8 > b.byteLength) {
    throw new FormatError(name, `unsupported HDF5 superblock (offset size ${offsets}) at byte 8`);
  }
  const eof = Number(dv.getBigUint64(eofAt, true));
  if (eof > fileSize) {
    throw new FormatError(
      name,
      `truncated HDF5 file: the superblock (byte ${eofAt}) says ${eof} bytes, the file has ${fileSize}`,
    );
  }
}

/** The HDF5 codec. */
export const hdf5Codec: Codec = {
  format: "hdf5",
  extension: "hdf5",
  access: "path",
  encodedSize() {
    return undefined;
  },
  async *encode(spec: FileSpec) {
    yield await encodeFile(spec);
  },
  layout: contiguousLayout,
  async openPath(path, opts) {
    const h5 = await lib();
    {
      using file = await Deno.open(path);
      const size = (await file.stat()).size;
      const head = new Uint8Array(Math.min(size, 64));
      await file.read(head);
      checkSuperblock(head, opts.name, size);
    }
    let f;
    try {
      f = new h5.File(path, "r");
    } catch (e) {
      throw new FormatError(opts.name, `not an HDF5 file (${(e as Error).message})`);
    }
    try {
      return openSamples(f, opts);
    } catch (e) {
      f.close();
      throw e;
    }
  },
  open(bytes, opts) {
    checkSuperblock(bytes, opts.name);
    // Object stores: the file was fetched whole; h5wasm opens files by path, so it goes to a
    // temporary local file for as long as it is open.
    const tmp = Deno.makeTempFileSync({ prefix: "dl-driver-", suffix: ".h5" });
    Deno.writeFileSync(tmp, bytes);
    let f;
    try {
      f = new h5wasm.File(tmp, "r");
    } catch (e) {
      Deno.removeSync(tmp);
      throw new FormatError(opts.name, `not an HDF5 file (${(e as Error).message})`);
    }
    try {
      const opened = openSamples(f, opts);
      return {
        ...opened,
        close: () => {
          opened.close();
          Deno.removeSync(tmp);
        },
      };
    } catch (e) {
      f.close();
      Deno.removeSync(tmp);
      throw e;
    }
  },
};
