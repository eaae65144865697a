/**
 * Codec registry. Codecs load on first use, so a codec's dependencies (TFRecord's native
 * CRC-32C) and the permissions they need only matter when its format is used.
 * @module
 */
import { UserError } from "../errors.ts";
import type { Codec } from "./codec.ts";

const LOADERS: Record<string, () => Promise<Codec>> = {
  npz: async () => (await import("./npz.ts")).npzCodec,
  npy: async () => (await import("./npy.ts")).npyCodec,
  tfrecord: async () => (await import("./tfrecord.ts")).tfrecordCodec,
  csv: async () => (await import("./csv.ts")).csvCodec,
  png: async () => (await import("./image.ts")).pngCodec,
  jpeg: async () => {
    const m = await import("./image.ts");
    await m.jpegReady();
    return m.jpegCodec;
  },
  parquet: async () => (await import("./parquet.ts")).parquetCodec,
  hdf5: async () => (await import("./hdf5.ts")).hdf5Codec,
  synthetic: async () => (await import("./synthetic.ts")).syntheticCodec,
  indexed_binary: async () => (await import("./indexed_binary.ts")).indexedBinaryCodec,
  mmap_indexed_binary: async () => (await import("./indexed_binary.ts")).mmapIndexedBinaryCodec,
};

/** Formats dl-driver reads and writes. */
export const FORMATS_AVAILABLE: string[] = Object.keys(LOADERS);

/** The codec for a DLIO format name. */
export async function codecFor(format: string): Promise<Codec> {
  const load = LOADERS[format];
  if (!load) {
    throw new UserError(
      `format ${format} is not implemented yet (available: ${FORMATS_AVAILABLE.join(", ")})`,
    );
  }
  return await load();
}
