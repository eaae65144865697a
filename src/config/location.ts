/**
 * Where a workload's data lives: DLIO's `storage_type` / `storage_root` / `data_folder` rules
 * turned into one URI or path (the schemes themselves are storage's registry).
 * @module
 */
import { isAbsolute, join } from "node:path";
import { schemeOf } from "../storage/schemes.ts";
import type { WorkloadConfig } from "./schema.ts";

/**
 * Resolve DLIO's dataset location: an absolute or URI `data_folder` stands alone; a relative
 * one is joined onto `storage_root` (file systems), or onto the bucket `storage_root` names
 * when `storage_type` is s3. A trailing `/` is dropped, as DLIO does.
 */
export function datasetLocation(
  dataFolder: string,
  storageRoot = "./",
  storageType = "local_fs",
): string {
  const folder = dataFolder.replace(/\/+$/, "") || "/";
  if (schemeOf(folder) || isAbsolute(folder)) return folder;
  if (storageType === "s3" && !schemeOf(storageRoot)) {
    return `s3://${storageRoot.replace(/^\/+|\/+$/g, "")}/${folder.replace(/^\.?\//, "")}`;
  }
  if (schemeOf(storageRoot)) return `${storageRoot.replace(/\/+$/, "")}/${folder}`;
  return join(storageRoot, folder);
}

/** The dataset location of a workload. */
export function configLocation(c: WorkloadConfig): string {
  return datasetLocation(c.dataset.data_folder, c.storage.storage_root, c.storage.storage_type);
}

/** Where checkpoints go: `checkpoint.uri`, else `checkpoint_folder` resolved as the dataset is. */
export function checkpointLocation(c: WorkloadConfig): string {
  return c.checkpoint.uri ??
    datasetLocation(c.checkpoint.checkpoint_folder, c.storage.storage_root, c.storage.storage_type);
}
