/**
 * The dataset plan: DLIO's file names, sub-folders and per-file sample dimensions, derived
 * from the config alone (so a run can name files without listing them).
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { type ElementType, type FileSpec, ITEMSIZE, type ParquetColumn } from "../formats/codec.ts";
import { Prng } from "../util/prng.ts";

/** Which part of the dataset. */
export type Split = "train" | "valid";

/** One planned file. */
export interface PlannedFile extends FileSpec {
  split: Split;
  /** Key relative to the dataset root, e.g. `train/img_03_of_16.npz`. */
  key: string;
}

/** DLIO's zero padding: `str(i)` left-padded to the digits of `n`. */
export function pad(i: number, n: number): string {
  return String(i).padStart(String(n).length, "0");
}

/** DLIO's file key for file `i` of `n` in a split. */
export function fileKey(
  split: Split,
  prefix: string,
  i: number,
  n: number,
  ext: string,
  subfolders: number,
): string {
  const name = `${prefix}_${pad(i, n)}_of_${n}.${ext}`;
  return subfolders > 1
    ? `${split}/${pad(i % subfolders, subfolders)}/${name}`
    : `${split}/${name}`;
}

/** DLIO's derived sample geometry: `dimension` and `dimension_stdev` in elements. */
export function sampleGeometry(c: WorkloadConfig): { dimension: number; dimensionStdev: number } {
  const itemsize = ITEMSIZE[c.dataset.record_element_type as ElementType];
  const elements = c.dataset.record_length_bytes / itemsize;
  const dimension = Math.max(1, Math.floor(Math.sqrt(elements)));
  const dimensionStdev = c.dataset.record_length_bytes_stdev / itemsize / 2 / Math.sqrt(elements);
  return { dimension, dimensionStdev };
}

/** Plan every train and eval file (small datasets and tests; generation streams `planFiles`). */
export function planDataset(c: WorkloadConfig, extension: string): PlannedFile[] {
  return [...planFiles(c, extension)];
}

/** Files of the dataset, in DLIO's order. */
export function planCount(c: WorkloadConfig): number {
  return c.dataset.num_files_train + c.dataset.num_files_eval;
}

/**
 * Every train and eval file, one at a time (memory independent of the file count). Sizes are
 * drawn in order from the seed (DLIO uses a fixed seed 10), so files `rank, rank + size, …` of
 * a generation shared by several processes come out the same as a whole plan's.
 */
export function* planFiles(c: WorkloadConfig, extension: string): Generator<PlannedFile> {
  const d = c.dataset;
  const seed = c.train.seed;
  const nTrain = d.num_files_train, nEval = d.num_files_eval;
  const { dimension, dimensionStdev } = sampleGeometry(c);
  const sizes = new Prng(seed, "sizes");
  const dtype = d.record_element_type as ElementType;
  const total = nTrain + nEval;
  for (let g = 0; g < total; g++) {
    const split: Split = g < nTrain ? "train" : "valid";
    const i = split === "train" ? g : g - nTrain;
    let dims: number[];
    if (d.record_dims.length > 0) dims = [...d.record_dims];
    else if (dimensionStdev > 0) {
      dims = [
        Math.max(1, Math.floor(sizes.normal(dimension, dimensionStdev))),
        Math.max(1, Math.floor(sizes.normal(dimension, dimensionStdev))),
      ];
    } else dims = [dimension, dimension];
    yield {
      split,
      key: fileKey(
        split,
        d.file_prefix,
        i,
        split === "train" ? nTrain : nEval,
        extension,
        split === "train" ? d.num_subfolders_train : d.num_subfolders_eval,
      ),
      dims,
      samples: d.num_samples_per_file,
      dtype,
      seed,
      fileIndex: g,
      compression: d.compression,
      compressionLevel: d.compression_level,
      hdf5: { datasets: d.hdf5.num_dset_per_record, chunkDims: d.hdf5.chunk_dims },
      parquet: {
        columns: (d.parquet.columns as ParquetColumn[]).map((col) => ({
          name: col.name,
          dtype: col.dtype ?? dtype,
          size: col.size,
          read: col.read ?? true,
        })),
        rowGroupSize: d.parquet.row_group_size,
        compression: d.parquet.compression,
      },
    };
  }
}
