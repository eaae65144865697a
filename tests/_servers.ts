// Test fixtures for storage: the backends every contract suite runs against (mem, file, direct, and S3/Azure on the local servers).
import type { StorageBackend } from "../src/storage/backend.ts";
import { DirectBackend } from "../src/storage/direct.ts";
import { FileBackend } from "../src/storage/file.ts";
import { MemBackend } from "../src/storage/mem.ts";
import { openBackend } from "../src/storage/open.ts";

/**
 * The real storage servers started by scripts/test.sh (moto for S3, Azurite for Azure Blob):
 * where they are, and fresh buckets/containers in them.
 * @module
 */

/** The S3 endpoint (moto) started by `deno task test`. */
export function s3Endpoint(): string {
  const e = Deno.env.get("DL_DRIVER_TEST_S3_ENDPOINT");
  if (!e) {
    throw new Error(
      "no S3 test server: run the tests with `deno task test` (scripts/test.sh starts moto_server)",
    );
  }
  return e;
}

/** storage_options for the test S3 server. */
export function s3Options(endpoint = s3Endpoint()) {
  return {
    endpoint_url: endpoint,
    access_key_id: "testing",
    secret_access_key: "testing",
    region: "us-east-1",
    s3_force_path_style: true,
    s3_max_attempts: 3,
  };
}

/** Create a fresh bucket; returns its name. */
export async function newBucket(endpoint = s3Endpoint()): Promise<string> {
  const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const name = `dl-driver-${crypto.randomUUID().slice(0, 8)}`;
  const c = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  await c.send(new CreateBucketCommand({ Bucket: name }));
  c.destroy();
  return name;
}

/** The Azurite connection string started by `deno task test`. */
export function azureConnectionString(): string {
  const c = Deno.env.get("DL_DRIVER_TEST_AZURE_CONNECTION_STRING");
  if (!c) {
    throw new Error(
      "no Azure test server: run the tests with `deno task test` (scripts/test.sh starts Azurite)",
    );
  }
  return c;
}

/** Create a fresh container; returns its name. */
export async function newContainer(conn = azureConnectionString()): Promise<string> {
  const { BlobServiceClient } = await import("@azure/storage-blob");
  const name = `dl-driver-${crypto.randomUUID().slice(0, 8)}`;
  await BlobServiceClient.fromConnectionString(conn).createContainer(name);
  return name;
}

/**
 * One backend of each kind on fresh, empty storage: mem, file and direct (temp dirs on ext4,
 * which enforces O_DIRECT alignment), s3 (moto) and az (Azurite), with multipart above `mp`.
 */
export function testBackends(mp: number): [string, () => Promise<StorageBackend>][] {
  return [
    ["mem", () => Promise.resolve(new MemBackend(`test-${crypto.randomUUID()}`, "prefix/x"))],
    ["file", async () => new FileBackend(await Deno.makeTempDir({ prefix: "dl-driver-be-" }))],
    ["direct", async () => new DirectBackend(await Deno.makeTempDir({ prefix: "dl-driver-be-" }))],
    ["s3 (moto)", async () =>
      await openBackend(`s3://${await newBucket()}/some/prefix`, {
        storageOptions: {
          ...s3Options(),
          multipart_threshold_bytes: mp,
          multipart_part_size_bytes: mp,
        },
      })],
    ["az (Azurite)", async () =>
      await openBackend(`az://${await newContainer()}/some/prefix`, {
        storageOptions: {
          connection_string: azureConnectionString(),
          multipart_threshold_bytes: mp,
          multipart_part_size_bytes: mp,
        },
      })],
  ];
}
