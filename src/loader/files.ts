/**
 * A split's data files as the loader indexes them: DLIO's derived names (no list in memory) when
 * the listing matches them, else the sorted listing, as DLIO lists.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { DataError } from "../errors.ts";
import { fileKey } from "../generate/plan.ts";
import type { StorageBackend } from "../storage/backend.ts";

/** File keys by index: an array, or derived names (a 10 M-file dataset needs no list). */
export interface FileKeys {
  readonly length: number;
  key(i: number): string;
}

/** File keys from an array. */
export function keyList(keys: string[]): FileKeys {
  return { length: keys.length, key: (i) => keys[i]! };
}

/** Keys of a split's files as DLIO lists them: matching extension, sorted by name. */
export async function listSplit(
  backend: StorageBackend,
  split: string,
  ext: string,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of backend.list(split)) if (o.key.endsWith(`.${ext}`)) keys.push(o.key);
  const base = (k: string) => k.slice(k.lastIndexOf("/") + 1);
  return keys.sort((a, b) =>
    base(a) < base(b) ? -1 : base(a) > base(b) ? 1 : a < b ? -1 : a > b ? 1 : 0
  );
}

/**
 * Whether one streamed listing holds exactly the derived names (a bitset, no list), and the
 * dataset sizes (`_of_<N>`) its DLIO-named files carry.
 */
async function listingMatches(
  backend: StorageBackend,
  split: string,
  derived: FileKeys,
  prefix: string,
  ext: string,
): Promise<{ matches: boolean; sizes: Set<number>; missing: string[] }> {
  const want = derived.length;
  const seen = new Uint8Array(Math.ceil(want / 8));
  const re = new RegExp(
    `^${split}/(?:\\d+/)?${
      prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    }_(\\d+)_of_(\\d+)\\.${ext}$`,
  );
  let found = 0, foreign = 0;
  const sizes = new Set<number>();
  for await (const o of backend.list(split)) {
    if (!o.key.endsWith(`.${ext}`)) continue;
    const m = re.exec(o.key);
    if (m && sizes.size < 8) sizes.add(Number(m[2]));
    const i = m && Number(m[2]) === want ? Number(m[1]) : -1;
    if (i >= 0 && i < want && derived.key(i) === o.key && !(seen[i >> 3]! & (1 << (i & 7)))) {
      seen[i >> 3] = seen[i >> 3]! | (1 << (i & 7));
      found++;
    } else foreign++;
  }
  // The first few DLIO names the listing lacks, for the error when files are missing.
  const missing: string[] = [];
  for (let i = 0; i < want && missing.length < 3 && found < want; i++) {
    if (!(seen[i >> 3]! & (1 << (i & 7)))) missing.push(derived.key(i));
  }
  return { matches: found === want && foreign === 0, sizes, missing };
}

/** mlpstorage's `listing_validation_interval` for a dataset of `files` files. */
export function defaultValidationInterval(files: number): number {
  return files < 1e4 ? 1 : files < 1e5 ? 10 : files < 1e6 ? 100 : files < 1e7 ? 1000 : 10000;
}

/**
 * Without a listing: check that the first, the last and every `interval`-th derived file
 * exists (the MLCommons fork's spot checks), naming the first one missing.
 */
async function spotCheck(backend: StorageBackend, files: FileKeys, interval: number) {
  if (interval <= 0 || files.length === 0) return;
  const check = async (i: number) => {
    try {
      await backend.stat(files.key(i));
    } catch (e) {
      throw new DataError(
        `skip_listing: ${backend.root}/${files.key(i)} (file ${i + 1} of ${files.length}) is ` +
          `not there (${(e as Error).message}); generate the dataset first, or check ` +
          "num_files_train, num_files_generated and file_prefix",
      );
    }
  };
  for (let i = 0; i < files.length; i += interval) await check(i);
  if ((files.length - 1) % interval !== 0) await check(files.length - 1);
}

/**
 * A split's files. Names are derived from DLIO's convention (no list held in memory, so a
 * 10 M-file dataset costs a bitset) when `storage.skip_listing` is set (spot-checked when
 * `verify` is set: rank 0), or when the listing holds exactly the derived names; otherwise the
 * sorted listing is kept, as DLIO does. Training names end `_of_<num_files_generated>` when
 * that is set (the first `want` files of a bigger dataset).
 */
export async function splitFiles(
  backend: StorageBackend,
  split: "train" | "valid",
  want: number,
  ext: string,
  c: WorkloadConfig,
  verify = true,
): Promise<FileKeys> {
  const d = c.dataset;
  const sub = split === "train" ? d.num_subfolders_train : d.num_subfolders_eval;
  const of = split === "train" ? Math.max(want, d.num_files_generated ?? want) : want;
  const derived: FileKeys = {
    length: want,
    key: (i) => fileKey(split, d.file_prefix, i, of, ext, sub),
  };
  if (c.storage.skip_listing) {
    const interval = d.listing_validation_interval ?? defaultValidationInterval(want);
    if (verify) await spotCheck(backend, derived, interval);
    return derived;
  }
  const listing = await listingMatches(backend, split, derived, d.file_prefix, ext);
  if (of === want && listing.matches) return derived;
  if (listing.sizes.size > 1) {
    // Files of two generations (num_files changed in place): DLIO would read a mix of them.
    const sizes = [...listing.sizes].sort((a, b) => a - b);
    throw new DataError(
      `${backend.root}/${split} holds files of datasets of ${sizes.join(" and ")} files ` +
        `(${d.file_prefix}_*_of_N.${ext}); reading the first ${want} would mix them: ` +
        "regenerate into an empty folder, or remove the other generation's files",
    );
  }
  const files = await listSplit(backend, split, ext);
  if (files.length < want) {
    const absent = listing.missing.length
      ? ` (missing: ${listing.missing.join(", ")}${want - files.length > 3 ? ", …" : ""})`
      : "";
    throw new DataError(
      `found ${files.length} of the ${want} ${split} files (*.${ext}) in ${backend.root}/${split}` +
        `${absent}; generate them first (dl-driver generate <workload>, or ` +
        "workflow.generate_data=True)",
    );
  }
  return keyList(files.slice(0, want));
}
