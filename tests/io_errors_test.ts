/**
 * A data file that disappears or cannot be read mid-run is a storage error (exit 3) naming the
 * file and the operation, in every format and read mode; a results folder on a full disk is
 * exit 3 naming the file, with nothing partial left; never an internal error with a stack trace.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI_PERMISSIONS, runCli } from "./_helpers.ts";

const FORMATS = [
  "hdf5",
  "npz",
  "npy",
  "tfrecord",
  "csv",
  "jpeg",
  "png",
  "parquet",
  "indexed_binary",
];

for (const format of FORMATS) {
  Deno.test(`${format}: a data file unreadable or deleted mid-run is exit 3 naming it`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "dl-driver-ioerr-" });
    const tf = format === "tfrecord"
      ? ["framework=tensorflow", "reader.data_loader=tensorflow"]
      : [];
    const common = [
      "workload=demo",
      `dataset.format=${format}`,
      ...tf,
      `dataset.data_folder=${join(dir, "data")}`,
      "dataset.num_files_train=4",
      "dataset.num_files_eval=0",
      "dataset.record_length_bytes=4096",
      "-q",
    ];
    assert.equal((await runCli(["generate", ...common])).code, 0);
    const victim = join(dir, "data", "train", `img_1_of_4.${format}`);
    const run = () =>
      runCli([
        "run",
        ...common,
        "workflow.generate_data=False",
        // Derived names, no spot checks: the bad file is met when it is read.
        "storage.skip_listing=True",
        "dataset.listing_validation_interval=0",
        "-o",
        join(dir, "out"),
      ]);
    // Unreadable: a directory in its place (EISDIR; root reads a chmod 000 file, so not that).
    await Deno.remove(victim);
    await Deno.mkdir(victim);
    for (const why of ["unreadable", "deleted"]) {
      if (why === "deleted") await Deno.remove(victim);
      const r = await run();
      assert.equal(r.code, 3, `${why}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`img_1_of_4\\.${format}`), why);
      assert.match(r.stderr, /open|read|stat/, why); // the operation named
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, why);
    }
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("a results folder on a full disk: exit 3 naming the file, nothing partial", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-full-" });
  const res = join(dir, "res");
  await Deno.mkdir(res);
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const run = [
    Deno.execPath(),
    "run",
    ...CLI_PERMISSIONS,
    cli,
    "run",
    "workload=demo",
    `dataset.data_folder=${join(dir, "data")}`,
    "dataset.num_files_train=8",
    "dataset.num_files_eval=0",
    "dataset.record_length_bytes=4096",
    "-q",
    "-o",
    join(res, "r"),
  ].map((a) => `'${a}'`).join(" ");
  // A 12 KiB tmpfs (in a private mount namespace) holds the folder and the first small files.
  const out = await new Deno.Command("unshare", {
    args: [
      "-rm",
      "sh",
      "-c",
      `mount -t tmpfs -o size=12k none '${res}' && ${run}; echo "rc=$?"
      ls -A '${res}/r'`,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.match(stdout, /rc=3\n/, stderr);
  assert.match(stderr, /cannot write results file .*r\/\S+: No space left on device/);
  assert.doesNotMatch(stderr, /internal error|\n\s+at /);
  // Whatever is there is complete: no partial file, no step spool.
  const left = stdout.split("\n").slice(1).filter((l) => l);
  assert.ok(left.every((f) => !/partial|^\.steps-/.test(f)), left.join(" "));
  await Deno.remove(dir, { recursive: true });
});
