/**
 * Faults on S3: the server stopped in the middle of a run, wrong credentials, and failed or
 * interrupted multipart uploads (which must leave nothing behind).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { openBackend } from "../src/storage/open.ts";
import { CLI_PERMISSIONS, newBucket, runCli, s3Endpoint, s3Options } from "./_helpers.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;
const so = (o: Record<string, unknown>) =>
  Object.entries(o).map(([k, v]) => `storage.storage_options.${k}=${v}`);

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A moto server of this test's own, on 127.0.0.1. */
async function startMoto(env: Record<string, string> = {}) {
  const port = freePort();
  const proc = new Deno.Command("moto_server", {
    args: ["-H", "127.0.0.1", "-p", String(port)],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { endpoint, proc };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  proc.kill("SIGKILL");
  await proc.status;
  throw new Error("moto_server did not start");
}

async function leftovers(bucket: string, endpoint = s3Endpoint()) {
  const c = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const uploads = await c.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  const objects = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
  c.destroy();
  return {
    uploads: uploads.Uploads?.length ?? 0,
    objects: (objects.Contents ?? []).map((o) => o.Key!),
  };
}

Deno.test("s3 faults: server stopped mid-run → retries, then one clear error, exit 3, results marked incomplete", async () => {
  const { endpoint, proc } = await startMoto();
  try {
    const bucket = await newBucket(endpoint);
    const opts = { ...s3Options(endpoint), s3_max_attempts: 3 };
    const common = [
      "workload=unet3d_h100",
      `dataset.data_folder=s3://${bucket}/u`,
      "dataset.num_files_train=28",
      "dataset.record_length_bytes=65536",
      "dataset.record_length_bytes_stdev=0",
      "workflow.checkpoint=False",
      ...so(opts),
      "-q",
    ];
    assert.equal((await runCli(["generate", ...common])).code, 0);
    const out = join(await Deno.makeTempDir(), "out");
    const run = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...CLI_PERMISSIONS,
        cli,
        "run",
        ...common,
        "train.epochs=200",
        "train.computation_time=0.02",
        "-o",
        out,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, 2500));
    proc.kill("SIGKILL");
    await proc.status;
    const r = await run.output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 3, stderr);
    assert.match(
      stderr,
      /^dl-driver: GET s3:\/\/dl-driver-[0-9a-f]+\/u\/train\/img_\d\d_of_28\.npz: cannot reach the S3 endpoint \(.+\) after 3 attempts$/m,
    );
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    // What was measured before the failure stays, marked incomplete with the error.
    try {
      const summary = JSON.parse(Deno.readTextFileSync(join(out, "summary.json")));
      assert.equal(summary.incomplete, true);
      assert.match(summary.incomplete_reason, /cannot reach the S3 endpoint/);
    } catch (e) {
      // No epoch completed before the server stopped: then there is nothing to keep.
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  } finally {
    try {
      proc.kill("SIGKILL");
    } catch { /* already stopped */ }
    await proc.status;
  }
});

Deno.test("s3 faults: wrong credentials are a one-line error", async () => {
  // moto checks credentials after its first (unauthenticated) action, the bucket creation.
  const { endpoint, proc } = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: "1" });
  try {
    const bucket = await newBucket(endpoint);
    const r = await runCli([
      "run",
      "workload=demo",
      `dataset.data_folder=s3://${bucket}/x`,
      ...so({ ...s3Options(endpoint), access_key_id: "AKIAWRONG", secret_access_key: "nope" }),
      "-q",
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /^dl-driver: LIST s3:\/\/dl-driver-[0-9a-f]+\/x\/valid: access denied \(InvalidAccessKeyId\): check the credentials \(storage_options or AWS_\* environment\)\n$|^dl-driver: (GET|LIST|LIST uploads|HEAD) s3:\/\/.*: access denied \(InvalidAccessKeyId\)/,
    );
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  } finally {
    proc.kill("SIGKILL");
    await proc.status;
  }
});

Deno.test("s3 faults: a failed multipart upload is aborted and leaves nothing", async () => {
  const bucket = await newBucket();
  const b = await openBackend(`s3://${bucket}/p`, {
    storageOptions: {
      ...s3Options(),
      multipart_threshold_bytes: 5 << 20,
      multipart_part_size_bytes: 5 << 20,
    },
  });
  async function* failing() {
    for (let i = 0; i < 12; i++) yield new Uint8Array(1 << 20).fill(i); // 12 MiB: two parts sent
    throw new Error("source failed mid-upload");
  }
  await assert.rejects(() => b.put("big.bin", failing()), /source failed mid-upload/);
  await b.close();
  assert.deepEqual(await leftovers(bucket), { uploads: 0, objects: [] });
});

Deno.test("s3 faults: SIGINT during multipart generation leaves only complete objects", async () => {
  const bucket = await newBucket();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...CLI_PERMISSIONS,
      cli,
      "generate",
      "workload=demo",
      `dataset.data_folder=s3://${bucket}/g`,
      "dataset.num_files_train=40",
      "dataset.record_length_bytes=12582912", // 12 MiB: multipart with a 5 MiB threshold
      "dataset.record_length_bytes_stdev=0",
      ...so({
        ...s3Options(),
        multipart_threshold_bytes: 5 << 20,
        multipart_part_size_bytes: 5 << 20,
      }),
      "--threads",
      "2",
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Let some objects complete and others be in flight.
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if ((await leftovers(bucket)).objects.filter((k) => k.includes("/train/")).length >= 2) break;
  }
  child.kill("SIGINT");
  const r = await child.output();
  assert.equal(r.code, 130, new TextDecoder().decode(r.stderr));
  await new Promise((res) => setTimeout(res, 300));
  const left = await leftovers(bucket);
  assert.equal(left.uploads, 0, "interrupted multipart uploads are aborted");
  const b = await openBackend(`s3://${bucket}/g`, { storageOptions: s3Options() });
  const sizes = new Set<number>();
  for (const key of left.objects.filter((k) => k.includes("/train/"))) {
    sizes.add((await b.stat(key.replace(/^g\//, ""))).size);
  }
  // Same-sized samples: every object left is the one complete size, about 12 MiB.
  assert.equal(sizes.size, 1, [...sizes].join(","));
  assert.ok([...sizes][0]! > 12_000_000);
  // Every object at its final name is complete: a resumed run keeps it and finishes the rest.
  const again = await runCli([
    "generate",
    "workload=demo",
    `dataset.data_folder=s3://${bucket}/g`,
    "dataset.num_files_train=40",
    "dataset.record_length_bytes=12582912",
    "dataset.record_length_bytes_stdev=0",
    ...so({
      ...s3Options(),
      multipart_threshold_bytes: 5 << 20,
      multipart_part_size_bytes: 5 << 20,
    }),
    "-q",
  ]);
  assert.equal(again.code, 0, again.stderr);
  const done = left.objects.filter((k) => k.includes("/train/")).length;
  assert.match(again.stdout, new RegExp(`${done} already complete`));
  await b.close();
});

Deno.test("s3 faults: a rerun aborts the multipart uploads a dead writer left, and says so", async () => {
  const endpoint = s3Endpoint();
  const bucket = await newBucket(endpoint);
  const c = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  // What a SIGKILLed writer leaves: an upload begun and never completed or aborted.
  await c.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: "d/train/img_0_of_4.npz" }),
  );
  c.destroy();
  assert.equal((await leftovers(bucket, endpoint)).uploads, 1);
  await new Promise((r) => setTimeout(r, 1100)); // moto's Initiated has one-second resolution
  const r = await runCli([
    "generate",
    "workload=demo",
    `dataset.data_folder=s3://${bucket}/d`,
    "dataset.num_files_train=4",
    "dataset.num_files_eval=0",
    "dataset.record_length_bytes=4096",
    "dataset.record_length_bytes_stdev=0",
    ...so(s3Options(endpoint)),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /removed 1 leftover of an interrupted earlier run in s3:\/\//);
  assert.equal((await leftovers(bucket, endpoint)).uploads, 0);
});
