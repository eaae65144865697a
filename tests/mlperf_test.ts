/**
 * MLPerf Storage mode: the rules' calculators, the checker on crafted runs, reportgen, and the
 * run process (warm-up + measured runs, seeds changed, mean).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { stringify } from "yaml";
import { checkRun, datasize, reportgen } from "../src/commands/mlperf.ts";
import { runCli } from "./_helpers.ts";

Deno.test("mlperf datasize: 5 × client memory and 500 steps per epoch (worked numbers)", async () => {
  // unet3d, 8 H100s, one 128 GiB client: 500 · 8 · 7 = 28,000 files beat 5 · 128 GiB / 146.6 MB.
  assert.deepEqual(
    {
      ...datasize({
        model: "unet3d",
        accelerator: "h100",
        accelerators: 8,
        clients: 1,
        clientMemoryGiB: 128,
      }),
      datasetBytes: 0,
    },
    { numFilesTrain: 28000, byMemory: 4687, bySteps: 28000, datasetBytes: 0 },
  );
  // resnet50, 16 H100s, two 512 GiB clients: memory wins (38,326 files of 1,251 samples).
  const r = datasize({
    model: "resnet50",
    accelerator: "h100",
    accelerators: 16,
    clients: 2,
    clientMemoryGiB: 512,
  });
  assert.equal(r.byMemory, 38326);
  assert.equal(r.bySteps, 2557);
  assert.equal(r.numFilesTrain, 38326);
  const c = datasize({
    model: "cosmoflow",
    accelerator: "a100",
    accelerators: 4,
    clients: 1,
    clientMemoryGiB: 64,
  });
  assert.equal(c.numFilesTrain, 121477);
  const out = await runCli([
    "mlperf",
    "datasize",
    "--model",
    "unet3d",
    "--accelerator-type",
    "h100",
    "--num-accelerators",
    "8",
    "--client-host-memory-in-gb",
    "128",
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /num_files_train = 28000/);
  assert.match(
    out.stdout,
    /dl-driver mlperf datagen --model unet3d --data-dir DIR --num-files-train 28000/,
  );
  const bad = await runCli([
    "mlperf",
    "datasize",
    "--model",
    "bert",
    "--accelerator-type",
    "h100",
    "--num-accelerators",
    "1",
    "--client-host-memory-in-gb",
    "1",
  ]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /unknown model 'bert' \(unet3d, resnet50, cosmoflow, retinanet, flux, dlrm\)/,
  );
});

/** A crafted results folder as `run` writes it. */
async function crafted(dir: string, name: string, o: {
  model?: string;
  overrides?: string[];
  au?: number;
  files?: number;
  checkpoint?: boolean;
  odirect?: boolean;
}) {
  const folder = join(dir, name);
  await Deno.mkdir(join(folder, "dlio_config"), { recursive: true });
  const model = o.model ?? "unet3d";
  await Deno.writeTextFile(
    join(folder, "summary.json"),
    JSON.stringify({
      num_accelerators: 8,
      host_memory_GB: [128],
      metric: {
        train_au_mean_percentage: o.au ?? 95.123,
        train_throughput_mean_samples_per_second: 120.456,
        train_io_mean_MB_per_second: 16800.789,
      },
    }),
  );
  await Deno.writeTextFile(
    join(folder, "dlio_config", "config.yaml"),
    stringify({
      workload: {
        model: { name: model },
        workflow: { train: true, checkpoint: o.checkpoint ?? true },
        dataset: {
          num_files_train: o.files ?? 28000,
          num_samples_per_file: 1,
          record_length_bytes: 146600628,
        },
        reader: { batch_size: 7, odirect: o.odirect ?? false },
      },
    }),
  );
  await Deno.writeTextFile(
    join(folder, "dlio_config", "overrides.yaml"),
    stringify(o.overrides ?? []),
  );
  return folder;
}

Deno.test("mlperf check: CLOSED, OPEN and INVALID with their reasons; reportgen", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-rules-" });
  const closed = await crafted(dir, "a-closed", {
    overrides: [
      // As DLIO's Hydra writes them under mlpstorage: the workload choice, tool-injected keys
      // and workflow.* are not the user's overrides.
      "workload=unet3d_h100",
      "++workload.dataset.num_files_train=28000",
      "reader.read_threads=8",
      "train.seed=124",
      "++workload.dataset.skip_listing=True",
      "++workload.workflow.generate_data=False",
    ],
  });
  const open = await crafted(dir, "b-open", { overrides: ["reader.data_loader=tensorflow"] });
  const lowAu = await crafted(dir, "c-au", { au: 80 });
  const small = await crafted(dir, "d-small", { files: 1000 });
  const noCkpt = await crafted(dir, "e-ckpt", { checkpoint: false });
  const odirect = await crafted(dir, "f-odirect", { model: "resnet50", odirect: true, au: 95 });
  const forbidden = await crafted(dir, "g-forbidden", {
    overrides: ["train.computation_time=0.1"],
  });
  assert.deepEqual((await checkRun(closed)).category, "CLOSED");
  const o = await checkRun(open);
  assert.equal(o.category, "OPEN");
  assert.deepEqual(o.reasons, ["reader.data_loader overridden (allowed in OPEN only)"]);
  const expect: [string, RegExp][] = [
    [lowAu, /AU 80\.00 % is below the 90 % that unet3d requires/],
    [small, /num_files_train 1000 is below the 28000 the rules require/],
    [noCkpt, /unet3d must checkpoint/],
    [odirect, /reader\.odirect is allowed for unet3d only/],
    [forbidden, /train\.computation_time may not be overridden/],
  ];
  for (const [folder, why] of expect) {
    // unet3d's checkpoint is a v2.0 rule (v3.0's workloads do not checkpoint).
    const c = await checkRun(folder, folder === noCkpt ? "v2.0" : "v3.0");
    assert.equal(c.category, "INVALID", folder);
    assert.ok(c.reasons.some((r) => why.test(r)), `${folder}: ${c.reasons.join("; ")}`);
  }
  // reportgen: every run found, checked, written as JSON and CSV; values rounded to 2 decimals.
  // (v3.0's rules: e-ckpt, a unet3d run without checkpoints, is CLOSED; v2.0's: INVALID.)
  const v2 = await reportgen(dir, "v2.0");
  assert.equal(v2.find((r) => r.folder === noCkpt)?.category, "INVALID");
  const runs = await reportgen(dir);
  assert.equal(runs.length, 7);
  const json = JSON.parse(await Deno.readTextFile(join(dir, "dl-driver-results.json")));
  assert.deepEqual(json.map((r: { category: string }) => r.category), [
    "CLOSED",
    "OPEN",
    "INVALID",
    "INVALID",
    "CLOSED",
    "INVALID",
    "INVALID",
  ]);
  // mlpstorage's own results.json is never written (a different schema).
  await assert.rejects(Deno.stat(join(dir, "results.json")));
  assert.equal(json[0].train_au_mean_percentage, 95.12);
  assert.equal(json[0].train_io_mean_MB_per_second, 16800.79);
  const csv = (await Deno.readTextFile(join(dir, "dl-driver-results.csv"))).trim().split("\n");
  assert.equal(csv.length, 8);
  assert.match(csv[0]!, /^folder,model,category,/);
  const r = await runCli(["mlperf", "reportgen", "--results-dir", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CLOSED: .*a-closed, .*e-ckpt$/m);
  assert.match(r.stdout, /^OPEN: .*b-open$/m);
});

Deno.test("mlperf run: a warm-up and N measured runs, a new seed each, the mean, checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-mlperf-" });
  const small = [
    "--param",
    "dataset.record_length_bytes=65536",
    "--param",
    "dataset.record_length_bytes_stdev=0",
    "--param",
    "dataset.record_length_bytes_resize=4096",
  ];
  const gen = await runCli([
    "mlperf",
    "datagen",
    "--model",
    "unet3d",
    "--data-dir",
    join(dir, "data"),
    "--num-files-train",
    "28",
    ...small,
    "-q",
  ]);
  assert.equal(gen.code, 0, gen.stderr);
  const r = await runCli([
    "mlperf",
    "run",
    "--model",
    "unet3d",
    "--accelerator-type",
    "h100",
    "--num-accelerators",
    "2",
    "--data-dir",
    join(dir, "data"),
    "--results-dir",
    join(dir, "results"),
    "--runs",
    "2",
    "--param",
    "dataset.num_files_train=28",
    ...small,
    "--param",
    "train.computation_time=0.005",
    "--param",
    "train.epochs=1",
    "--param",
    `checkpoint.checkpoint_folder=${join(dir, "ck")}`,
    "--param",
    "model.model_size_bytes=65536",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
  assert.equal(res.runs, 2);
  assert.equal(res.folders.length, 2);
  assert.equal(typeof res.train_au_mean_percentage, "number");
  assert.equal(res.train_au_mean_percentage, Math.round(res.train_au_mean_percentage * 100) / 100);
  // Shrunk for the test, so not a valid submission: the checker says why.
  assert.equal(res.category, "INVALID");
  const seeds = [];
  for (const f of res.folders) {
    const cfg = await Deno.readTextFile(join(f, "dlio_config", "config.yaml"));
    seeds.push(/seed: (\d+)/.exec(cfg)![1]);
  }
  assert.notEqual(seeds[0], seeds[1]);
  const all = [...Deno.readDirSync(join(dir, "results", "training", "unet3d", "run"))].map((e) =>
    e.name
  );
  assert.ok(all.some((n) => n.endsWith("-warmup")));
  assert.ok(all.some((n) => n.endsWith("-result.json")));
});

Deno.test("mlperf checkpointing datasize: closed process counts, subset mode below them", async () => {
  const closed = await runCli([
    "mlperf",
    "checkpointing",
    "datasize",
    "--model",
    "llama3-70b",
    "--num-processes",
    "64",
  ]);
  assert.equal(closed.code, 0, closed.stderr);
  assert.match(closed.stdout, /llama3-70b on 64 processes: checkpoint 911\.2 GiB/);
  // 8 processes (one host): subset mode, DP = 64 / (TP 8 · PP 1) = 8, each writes 1/8 of the data.
  const subset = await runCli([
    "mlperf",
    "checkpointing",
    "datasize",
    "--model",
    "llama3-70b",
    "--num-processes",
    "8",
  ]);
  assert.match(subset.stdout, /llama3-70b on 8 processes \(subset mode\): checkpoint 113\.9 GiB/);
  const l8 = await runCli(["mlperf", "checkpointing", "datasize", "--model", "llama3-8b"]);
  assert.match(l8.stdout, /llama3-8b on 8 processes: checkpoint 104\.7 GiB/);
});
