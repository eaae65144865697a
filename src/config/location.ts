/**
 * Where a workload's data lives: DLIO's `storage_type` / `storage_root` / `data_folder` rules
 * turned into one URI or path, and the URI schemes dl-driver can open.
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { WorkloadConfig } from "./schema.ts";

/** URI schemes dl-driver can open. */
export const SCHEMES: string[] = ["file", "direct", "mem", "s3", "az"];

/** The scheme of a URI (`file`, `s3`, ...) or undefined for a plain path. */
export function schemeOf(uri: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
}

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
