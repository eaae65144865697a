/**
 * The page-cache plug-in (`reader.drop_page_cache`): before every training epoch, the first
 * rank of each process drops the training files from this host's page cache, then every rank
 * waits at a barrier, so no rank starts the epoch's clock with a warm cache (MLPerf Storage
 * v3.0's DLIO: rank 0 drops, then a barrier). What was dropped is recorded for the report.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import type { FileKeys } from "../loader/files.ts";
import type { PageCacheDrop } from "../metrics/records.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { dropPageCache } from "../storage/page_cache.ts";
import type { Comm } from "../train/comm.ts";
import type { Plugin } from "../train/plugins.ts";

/** The plug-in for one rank; `leader` drops, and its drops go into `drops`. */
export function pageCachePlugin(
  c: WorkloadConfig,
  backend: StorageBackend,
  files: FileKeys,
  comm: Comm,
  leader: boolean,
  drops: PageCacheDrop[],
  signal?: AbortSignal,
): Plugin | undefined {
  const how = c.reader.drop_page_cache;
  if (how === "off") return undefined;
  return {
    name: "page cache",
    async beforeEpoch(epoch: number) {
      if (leader) drops.push({ epoch, ...await dropPageCache(backend, files, how, signal) });
      await comm.barrier();
    },
  };
}
