/**
 * End to end on real object stores (moto for S3, Azurite for Azure, started by scripts/test.sh):
 * generate + run of a scaled-down unet3d (NPZ) and a TFRecord workload on s3:// and az://, and
 * the same bytes read back as written (compared with the same dataset generated on local files).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBackend } from "../src/storage/open.ts";
import {
  azureConnectionString,
  newBucket,
  newContainer,
  readLists,
  runCli,
  s3Options,
} from "./_helpers.ts";

const UNET = [
  "workload=unet3d_h100",
  "dataset.num_files_train=14",
  "dataset.record_length_bytes=262144",
  "dataset.record_length_bytes_stdev=65536",
  "dataset.record_length_bytes_resize=65536",
  "reader.read_threads=2",
  "train.epochs=2",
  "train.computation_time=0.005",
  "workflow.generate_data=True",
  "workflow.checkpoint=False",
];
const RESNET = [
  "workload=resnet50_h100",
  "dataset.num_files_train=6",
  "dataset.num_samples_per_file=8",
  // Every file read: DLIO's trimming cuts 6 files to a multiple of 8 × 8 × 1 = none.
  "reader.file_trimming=none",
  "dataset.record_length_bytes=20000.5",
  "reader.batch_size=8",
  "reader.read_threads=2",
  "train.epochs=1",
  "train.computation_time=0.002",
  "workflow.generate_data=True",
];

function storageArgs(opts: Record<string, unknown>): string[] {
  return Object.entries(opts).map(([k, v]) => `storage.storage_options.${k}=${v}`);
}

/** Run a workload on `uri`, then compare every object with a local generation of the same data. */
async function roundTrip(
  workload: string[],
  uri: string,
  opts: Record<string, unknown>,
  expect: { type: string; sdk: RegExp; ext: string; samples: number; minRequests: number },
) {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-obj-" });
  const r = await runCli([
    "run",
    ...workload,
    `dataset.data_folder=${uri}`,
    ...storageArgs(opts),
    "--json",
    "--visited-items",
    "-q",
    "-o",
    join(dir, "out"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.backend_type, expect.type);
  assert.match(rep.backend_sdk, expect.sdk);
  assert.equal(rep.data_folder, uri);
  assert.equal(rep.total_samples, expect.samples);
  // NPZ: one GET per sample (whole file, as DLIO); TFRecord: each file streamed once.
  assert.ok(rep.storage_requests >= expect.minRequests, JSON.stringify(rep.storage_requests));

  const remote = await openBackend(uri, { storageOptions: opts });
  const sizes = new Map<string, number>();
  for await (const o of remote.list("train")) sizes.set(o.key, o.size);
  // Bytes counted = sizes of the objects read: per sample for NPZ (whole file per sample, as
  // DLIO), once per file and epoch for streamed TFRecord.
  const visited = readLists(rep, "visited_items_files") as unknown as {
    key: string;
    epoch: number;
  }[];
  const reads = expect.ext === "tfrecord"
    ? [...new Set(visited.map((v) => `${v.epoch} ${v.key}`))].map((k) => k.split(" ")[1]!)
    : visited.map((v) => v.key);
  const visitedBytes = reads.reduce((a, k) => a + sizes.get(k)!, 0);
  assert.equal(rep.total_bytes, visitedBytes, "bytes counted = sizes of the objects read");

  // The same workload generated on local files: every object must be byte-identical.
  const local = join(dir, "local");
  const g = await runCli(["generate", ...workload, `dataset.data_folder=${local}`, "-q"]);
  assert.equal(g.code, 0, g.stderr);
  let compared = 0;
  for (const [key] of sizes) {
    assert.ok(key.endsWith(`.${expect.ext}`), key);
    const want = await Deno.readFile(join(local, key));
    assert.deepEqual(await remote.get(key), want, key);
    compared++;
  }
  assert.ok(compared > 0);
  await remote.close();
}

Deno.test("s3: generate + run unet3d (NPZ) and resnet50 (TFRecord) on moto; same bytes back", async () => {
  const opts = s3Options();
  const bucket = await newBucket();
  await roundTrip(UNET, `s3://${bucket}/unet3d`, opts, {
    type: "s3",
    sdk: /^@aws-sdk\/client-s3 \d/,
    ext: "npz",
    samples: 2 * 14,
    minRequests: 2 * 14,
  });
  await roundTrip(RESNET, `s3://${bucket}/resnet50`, opts, {
    type: "s3",
    sdk: /^@aws-sdk\/client-s3 \d/,
    ext: "tfrecord",
    samples: 6 * 8,
    minRequests: 6,
  });
});

Deno.test("s3: DLIO's storage_type s3 + storage_root bucket + relative data_folder", async () => {
  const bucket = await newBucket();
  const r = await runCli([
    "run",
    ...UNET,
    "storage.storage_type=s3",
    `storage.storage_root=${bucket}`,
    "dataset.data_folder=data/unet3d/",
    "train.epochs=1",
    ...storageArgs(s3Options()),
    "--json",
    "-q",
    "-o",
    join(await Deno.makeTempDir(), "out"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).data_folder, `s3://${bucket}/data/unet3d`);
});

Deno.test("s3: skip_listing runs without LIST requests", async () => {
  const bucket = await newBucket();
  const common = [
    ...UNET,
    `dataset.data_folder=s3://${bucket}/u`,
    ...storageArgs(s3Options()),
    "-q",
  ];
  assert.equal((await runCli(["generate", ...common])).code, 0);
  const r = await runCli([
    "run",
    ...common,
    "workflow.generate_data=False",
    "storage.skip_listing=True",
    "train.epochs=1",
    "--json",
    "-o",
    join(await Deno.makeTempDir(), "out"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.total_samples, 14);
  assert.equal(rep.storage_requests, 14); // one GET per sample, no LIST
});

Deno.test("az: generate + run unet3d (NPZ) and resnet50 (TFRecord) on Azurite; same bytes back", async () => {
  const opts = { connection_string: azureConnectionString() };
  const container = await newContainer();
  await roundTrip(UNET, `az://${container}/unet3d`, opts, {
    type: "azure",
    sdk: /^@azure\/storage-blob \d/,
    ext: "npz",
    samples: 2 * 14,
    minRequests: 2 * 14,
  });
  await roundTrip(RESNET, `az://${container}/resnet50`, opts, {
    type: "azure",
    sdk: /^@azure\/storage-blob \d/,
    ext: "tfrecord",
    samples: 6 * 8,
    minRequests: 6,
  });
});

Deno.test("object stores: a missing bucket or container and wrong credentials are one-line errors", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["dataset.data_folder=s3://no-such-bucket-dl/x", ...storageArgs(s3Options())],
      /^dl-driver: LIST s3:\/\/no-such-bucket-dl\/x\/train: bucket 'no-such-bucket-dl' does not exist$/m,
    ],
    [
      [
        "dataset.data_folder=az://no-such-container/x",
        `storage.storage_options.connection_string=${azureConnectionString()}`,
      ],
      /^dl-driver: LIST az:\/\/no-such-container\/x\/train: container 'no-such-container' does not exist$/m,
    ],
    [
      [
        `dataset.data_folder=az://${await newContainer()}/x`,
        `storage.storage_options.connection_string=${
          azureConnectionString().replace(
            /AccountKey=[^;]+/,
            "AccountKey=" + btoa("wrong-key-wrong-key"),
          )
        }`,
      ],
      /^dl-driver: LIST az:\/\/dl-driver-[0-9a-f]+\/x\/train: access denied \((AuthenticationFailed|AuthorizationFailure)\): check the Azure credentials$/m,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(["run", "workload=demo", "workflow.generate_data=False", ...args, "-q"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
