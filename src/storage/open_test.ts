// Tests of dataset locations and URI schemes.
import assert from "node:assert/strict";
import { datasetLocation } from "../config/location.ts";
import { schemeOf } from "./schemes.ts";

Deno.test("dataset location follows DLIO's storage_root + data_folder rules", () => {
  assert.equal(datasetLocation("data/unet3d/", "./"), "data/unet3d");
  assert.equal(datasetLocation("data/unet3d", "/mnt/fs"), "/mnt/fs/data/unet3d");
  assert.equal(datasetLocation("/abs/data", "/mnt/fs"), "/abs/data"); // absolute wins
  assert.equal(datasetLocation("file:///abs/data/", "/mnt"), "file:///abs/data");
  assert.equal(datasetLocation("train_set", "mem://bucket"), "mem://bucket/train_set");
  assert.equal(schemeOf("s3://b/p"), "s3");
  assert.equal(schemeOf("/x/y"), undefined);
});
