/**
 * `generate`: write the planned dataset, deterministic from the seed, with concurrent writes.
 * Resumable: a file at its final name is complete (writes are atomic), so a re-run skips files
 * of the expected size and rewrites the rest. A manifest records what the files were made from;
 * if it differs (another seed, size, format), the planned files are deleted and rewritten.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { codecFor } from "../formats/mod.ts";
import { configLocation } from "../config/location.ts";
import { cleanLeftovers } from "../storage/leftovers.ts";
import { openBackend } from "../storage/open.ts";
import { StorageError } from "../storage/backend.ts";
import { pooledMap } from "../util/pool.ts";
import { progressBar } from "../util/progress.ts";
import { VERSION } from "../version.ts";
import { planCount, planFiles } from "./plan.ts";

/** Name of the manifest at the dataset root. */
export const MANIFEST = ".dl-driver-dataset.json";

/** Options for generation. */
export interface GenerateOptions {
  /** This process's rank and the number of ranks: rank r writes files r, r+P, ... */
  rank?: number;
  size?: number;
  /** Concurrent file writes (default 4). */
  threads?: number;
  quiet?: boolean;
  signal?: AbortSignal;
  /** Where progress messages go (default: stderr). */
  log?: (line: string) => void;
}

/** What generation did. */
export interface GenerateResult {
  location: string;
  files: number;
  written: number;
  skipped: number;
  bytesWritten: number;
  seconds: number;
  /** Storage retries (object stores). */
  retries: number;
}

function manifestOf(c: WorkloadConfig) {
  const d = c.dataset;
  return {
    format: d.format,
    seed: c.train.seed,
    num_samples_per_file: d.num_samples_per_file,
    record_length_bytes: d.record_length_bytes,
    record_length_bytes_stdev: d.record_length_bytes_stdev,
    record_dims: d.record_dims,
    record_element_type: d.record_element_type,
    compression: d.compression,
  };
}

/** Generate the dataset described by `c`. */
export async function generateDataset(
  c: WorkloadConfig,
  opts: GenerateOptions = {},
): Promise<GenerateResult> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const t0 = performance.now();
  const codec = await codecFor(c.dataset.format);
  const location = configLocation(c);
  const backend = await openBackend(location, {
    storageOptions: c.storage.storage_options,
    signal: opts.signal,
  });
  const rank = opts.rank ?? 0, size = opts.size ?? 1;
  if (rank === 0) await cleanLeftovers(backend, log);
  // DLIO's tree: train/ and valid/ exist even when a split has no files (DLIO's reader fails on a
  // missing valid/); object stores have no folders.
  if (rank === 0 && backend.localPath) {
    for (const split of ["train", "valid"]) {
      await Deno.mkdir(backend.localPath(split), { recursive: true });
    }
  }
  // This process's files (every size-th from rank), planned as they are written: no list.
  const mine = () =>
    (function* () {
      let i = 0;
      for (const f of planFiles(c, codec.extension)) if (i++ % size === rank) yield f;
    })();
  const count = Math.max(0, Math.ceil((planCount(c) - rank) / size));

  const want = JSON.stringify(manifestOf(c));
  let have: string | undefined;
  try {
    have = new TextDecoder().decode(await backend.get(MANIFEST));
  } catch (e) {
    if (!(e instanceof StorageError && e.code === "not_found")) throw e;
  }
  let haveCanon: string | undefined;
  try {
    haveCanon = have === undefined ? undefined : JSON.stringify(JSON.parse(have).content);
  } catch { /* unreadable manifest: treat as different */ }
  let fresh = false;
  if (haveCanon !== want && rank === 0) {
    if (have !== undefined) {
      log(`generate: ${backend.root} was generated with other settings; rewriting its files`);
    }
    fresh = have !== undefined;
    await pooledMap(mine(), 16, (f) => backend.delete(f.key));
    await backend.put(
      MANIFEST,
      new TextEncoder().encode(
        JSON.stringify({ generator: `dl-driver ${VERSION}`, content: JSON.parse(want) }, null, 2) +
          "\n",
      ),
    );
  }

  let written = 0, skipped = 0, bytesWritten = 0, done = 0;
  const bar = progressBar("generate", count, "files", {
    quiet: opts.quiet,
    extra: " | {mbps} MB/s",
  });
  await pooledMap(mine(), opts.threads ?? 4, async (f) => {
    const expected = codec.encodedSize(f);
    let complete = false;
    if (!fresh) {
      try {
        // Writes are atomic, so a file at its final name is complete; where the size is known
        // it is checked too (a file written by something else is rewritten).
        const size = (await backend.stat(f.key)).size;
        complete = expected === undefined || size === expected;
      } catch (e) {
        if (!(e instanceof StorageError && e.code === "not_found")) throw e;
      }
    }
    if (complete) skipped++;
    else {
      // Index files first: the data file's presence then means everything is there.
      for (const side of codec.sidecars?.(f, f.key) ?? []) {
        await backend.put(side.key, side.data, { signal: opts.signal });
      }
      let n: number;
      try {
        n = await backend.put(f.key, codec.encode(f), { signal: opts.signal });
      } catch (e) {
        if (e instanceof RangeError) {
          throw new StorageError("invalid", "write", `${backend.root}/${f.key}`, e.message);
        }
        throw e;
      }
      if (expected !== undefined && n !== expected) {
        throw new StorageError(
          "io",
          "write",
          `${backend.root}/${f.key}`,
          `wrote ${n} bytes, expected ${expected}`,
        );
      }
      written++;
      bytesWritten += n;
    }
    done++;
    const secs = (performance.now() - t0) / 1000;
    bar.update(done, { mbps: (bytesWritten / 1e6 / Math.max(secs, 1e-3)).toFixed(0) });
  }, opts.signal);
  bar.stop();
  const retries = backend.stats?.().retries ?? 0;
  await backend.close();
  return {
    retries,
    location: backend.root,
    files: count,
    written,
    skipped,
    bytesWritten,
    seconds: (performance.now() - t0) / 1000,
  };
}
