/**
 * MLPerf Storage v3.0's command line and results tree through the CLI: help at every level,
 * mode rules checked before any data is touched, and init → datasize → datagen → run for
 * retinanet on b200 (CLOSED) at test scale, leaves laid out as mlpstorage lays them out.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { normaliseArgv } from "../src/commands/mlperf_v3.ts";
import { runCli } from "./_helpers.ts";

Deno.test("mlperf v3.0: mlpstorage's short forms and nargs flags", () => {
  assert.deepEqual(
    normaliseArgv([
      "closed",
      "training",
      "unet3d",
      "run",
      "-at",
      "b200",
      "-na",
      "8",
      "-p",
      "a=1",
      "b=2",
      "file",
      "-s",
      "h1",
      "h2",
    ]),
    [
      "closed",
      "training",
      "unet3d",
      "run",
      "--accelerator-type",
      "b200",
      "--num-accelerators",
      "8",
      "--param",
      "a=1",
      "--param",
      "b=2",
      "file",
      "--hosts",
      "h1,h2",
    ],
  );
});

Deno.test("mlperf v3.0: --help at every level", async () => {
  for (
    const args of [
      ["mlperf", "--help"],
      ["mlperf", "closed", "--help"],
      ["mlperf", "open", "training", "--help"],
      ["mlperf", "whatif", "checkpointing", "llama3-8b", "run", "-h"],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stdout, /dl-driver mlperf/);
  }
});

Deno.test("mlperf v3.0: the mode's rules are checked before anything is read or written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-v3-" });
  const rd = join(dir, "res"), dd = join(dir, "data");
  const base = ["-rd", rd, "-sn", "sys1", "-dd", dd, "-na", "1"];
  const cases: [string[], RegExp][] = [
    [["closed", "training", "retinanet", "run", "-at", "b200", ...base], /mlperf init <orgname>/],
    [["closed", "training", "resnet50", "run", "-at", "h100", ...base], /not submittable/],
    [["closed", "training", "unet3d", "run", "-at", "mi355", ...base], /unet3d\+b200/],
    [["whatif", "training", "flux", "run", "-at", "h100", ...base], /flux has flux_b200/],
    [["open", "kvcache", "x"], /not DLIO workloads/],
    [["closed", "checkpointing", "llama3-70b", "run", "-at", "b200", "-np", "8"], /exactly 64/],
    [["open", "checkpointing", "llama3-70b", "run", "-at", "b200", "-np", "12"], /TP·PP = 8/],
    [["closed", "checkpointing", "llama3-8b", "run", "-at", "h100"], /b200, mi355/],
    [["closed", "checkpointing", "llama3-8b", "run", "-at", "b200", "-ncw", "3"], /10 or 0/],
  ];
  for (const [args, why] of cases) {
    const r = await runCli(["mlperf", ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal((await runCli(["mlperf", "init", "acme", rd])).code, 0);
  const forbidden = await runCli([
    "mlperf",
    "closed",
    "training",
    "retinanet",
    "run",
    "-at",
    "b200",
    ...base,
    "--params",
    "train.computation_time=0.01",
  ]);
  assert.equal(forbidden.code, 2, forbidden.stderr);
  assert.match(forbidden.stderr, /train\.computation_time is not allowed in CLOSED/);
  await assert.rejects(Deno.stat(dd), "no data touched");
  await assert.rejects(Deno.stat(join(rd, "closed")), "no results written");
  await Deno.remove(dir, { recursive: true });
});

/** The one file of `dir` whose name matches `re`. */
function only(dir: string, re: RegExp): string {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => re.test(n));
  assert.equal(names.length, 1, `${dir}: ${names.join(", ")}`);
  return join(dir, names[0]!);
}

Deno.test("mlperf v3.0: init, datasize, datagen, run for retinanet on b200 in mlpstorage's tree", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-v3-" });
  const rd = join(dir, "res"), dd = join(dir, "data");
  const v3 = (...args: string[]) => runCli(["mlperf", "closed", "training", "retinanet", ...args]);
  assert.equal((await runCli(["mlperf", "init", "acme", rd])).code, 0);
  const size = await v3(
    "datasize",
    "-at",
    "b200",
    "-ma",
    "2",
    "-cm",
    "1",
    "-rd",
    rd,
    "-sn",
    "sys1",
  );
  assert.equal(size.code, 0, size.stderr);
  assert.match(size.stdout, /^Number of training files: \d+$/m);
  assert.match(size.stdout, /^Total disk space required for training: [\d.]+ GiB$/m);
  const tree = join(rd, "closed", "acme", "results", "sys1", "training", "retinanet");
  const [sizeLeaf] = [...Deno.readDirSync(join(tree, "datasize"))].map((e) => e.name);
  const sizeMeta = JSON.parse(
    await Deno.readTextFile(only(join(tree, "datasize", sizeLeaf!), /_metadata\.json$/)),
  );
  assert.equal(sizeMeta.command, "datasize");
  assert.ok(sizeMeta.parameters.dataset.num_files_train > 0);
  assert.equal(sizeMeta.args.max_accelerators, 2);

  const files = ["--params", "dataset.num_files_train=48"];
  const gen = await v3("datagen", "file", "-dd", dd, "-rd", rd, "-sn", "sys1", ...files, "-q");
  assert.equal(gen.code, 0, gen.stderr);
  const manifest = JSON.parse(
    await Deno.readTextFile(join(dd, "retinanet", ".mlps-datagen-manifest.json")),
  );
  assert.equal(manifest.num_files_train, 48);

  const run = await v3(
    "run",
    "file",
    "-at",
    "b200",
    "-na",
    "1",
    "-dd",
    dd,
    "-rd",
    rd,
    "-sn",
    "sys1",
    "--runs",
    "1",
    ...files,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /dl-driver's verdict under the rules/);
  assert.match(run.stderr, /warning: rule 3\.4\.2: .* same file system/);
  // The system's description stub, written on the first run for the submitter to complete.
  const system = parseYaml(
    await Deno.readTextFile(join(rd, "closed", "acme", "systems", "sys1.yaml")),
  ) as { system_under_test: { solution: { architecture: { benchmark_API: string } } } };
  assert.equal(system.system_under_test.solution.architecture.benchmark_API, "file");
  // The warm-up outside run/ (mlpstorage's reportgen would count it), one measured run in run/.
  for (const cmd of ["warmup", "run", "datagen"]) {
    const leaves = [...Deno.readDirSync(join(tree, cmd))].map((e) => e.name);
    assert.equal(leaves.length, 1, `${cmd}: ${leaves.join(", ")}`);
    assert.match(leaves[0]!, /^\d{8}_\d{6}$/);
    const leaf = join(tree, cmd, leaves[0]!);
    const stamp = leaves[0]!;
    only(leaf, new RegExp(`^training_${stamp}_metadata\\.json$`));
    only(leaf, new RegExp(`^training_${cmd === "datagen" ? "datagen" : "run"}\\.stdout\\.log$`));
    only(leaf, /\.stderr\.log$/);
    if (cmd === "datagen") continue;
    assert.deepEqual([...Deno.readDirSync(join(leaf, "dlio_config"))].map((e) => e.name).sort(), [
      "config.yaml",
      "hydra.yaml",
      "overrides.yaml",
    ]);
    const overrides = parseYaml(
      await Deno.readTextFile(join(leaf, "dlio_config", "overrides.yaml")),
    ) as string[];
    assert.equal(overrides[0], "workload=retinanet_b200");
    assert.ok(overrides.includes("++workload.dataset.num_files_train=48"), overrides.join(" "));
    assert.ok(overrides.every((o) => o === overrides[0] || o.startsWith("++workload.")));
    assert.ok(!overrides.some((o) => /seed|decode_images/.test(o)), overrides.join(" "));
    const cfg = parseYaml(await Deno.readTextFile(join(leaf, "dlio_config", "config.yaml"))) as {
      workload: { reader: { decode_images: boolean }; dataset: Record<string, unknown> };
    };
    assert.equal(cfg.workload.reader.decode_images, false, "images read as bytes");
    assert.equal(cfg.workload.dataset.num_files_generated, 48);
    const meta = JSON.parse(await Deno.readTextFile(only(leaf, /_metadata\.json$/)));
    for (const k of ["benchmark_type", "run_datetime", "num_processes", "parameters"]) {
      assert.ok(k in meta, k);
    }
    assert.equal(meta.verification, "CLOSED");
    // Host metrics sampled during the run, named in the metadata.
    const ts = JSON.parse(await Deno.readTextFile(only(leaf, /_timeseries\.json$/)));
    assert.ok(Object.values(ts.hosts as Record<string, unknown[]>)[0]!.length >= 2);
    assert.equal(meta.timeseries_data.file, `training_${stamp}_timeseries.json`);
    // Rule 3.4.2's evidence: data and results here share one file system, and it says so.
    const fs = JSON.parse(await Deno.readTextFile(join(leaf, "fs_separation.json")));
    assert.equal(fs.separate, false);
    assert.equal(typeof fs.data_st_dev, "number");
    // The page cache dropped before each of the 8 epochs, outside the timed window.
    const rep = JSON.parse(await Deno.readTextFile(join(leaf, "report.json")));
    assert.equal(rep.page_cache_drops, 8);
    assert.equal(rep.page_cache_drop_method, "fadvise");
    assert.equal(rep.page_cache_dropped_files, 48);
    assert.ok(rep.page_cache_dropped_bytes > 48 * 1000);
    assert.equal(meta.accelerator, "b200");
    assert.match(meta.generated_by, /^dl-driver /);
    assert.match(
      await Deno.readTextFile(only(leaf, /stdout\.log$/)),
      /Training Accelerator Utilization/,
    );
  }
  // reportgen finds the measured run (not the warm-up) and wants 5 of them.
  const rg = await runCli(["mlperf", "reportgen", "--results-dir", rd]);
  assert.equal(rg.code, 0, rg.stderr);
  const found = JSON.parse(await Deno.readTextFile(join(rd, "dl-driver-results.json")));
  assert.equal(found.length, 1);
  assert.match(found[0].folder, /\/training\/retinanet\/run\//);
  assert.ok(found[0].reasons.some((r: string) => /expected 5 measured runs .* found 1/.test(r)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mlperf v3.0: a checkpointing run lands in checkpointing/<model>/<ts>/ (no command level)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-v3ck-" });
  const rd = join(dir, "res");
  assert.equal((await runCli(["mlperf", "init", "acme", rd])).code, 0);
  const r = await runCli([
    "mlperf",
    "whatif",
    "checkpointing",
    "llama3-8b",
    "run",
    "file",
    "-at",
    "b200",
    "-np",
    "2",
    "-cf",
    join(dir, "ck"),
    "-ncw",
    "1",
    "-ncr",
    "1",
    "-rd",
    rd,
    "-sn",
    "sys1",
    "-p",
    "model.num_layers=2",
    "model.transformer.hidden_size=128",
    "model.transformer.vocab_size=1000",
    "model.transformer.ffn_hidden_size=256",
    "checkpoint.time_between_checkpoints=0",
    "-q",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const parent = join(rd, "whatif", "acme", "results", "sys1", "checkpointing", "llama3-8b");
  const [stamp] = [...Deno.readDirSync(parent)].map((e) => e.name);
  const leaf = join(parent, stamp!);
  only(leaf, new RegExp(`^checkpointing_${stamp}_metadata\\.json$`));
  only(leaf, /^checkpointing_run\.stdout\.log$/);
  const summary = JSON.parse(await Deno.readTextFile(join(leaf, "summary.json")));
  assert.ok(summary.metric.save_checkpoint_io_mean_GB_per_second > 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mlperf v3.0 checkpointing: accelerators that cannot hold the checkpoint get rule 4.3.4's warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-v3mem-" });
  const rd = join(dir, "res");
  assert.equal((await runCli(["mlperf", "init", "acme", rd])).code, 0);
  const args = (layers: number) => [
    "mlperf",
    "whatif",
    "checkpointing",
    "llama3-8b",
    "run",
    "-at",
    "a100",
    "-np",
    "1",
    "-cf",
    join(dir, "ck"),
    "-ncw",
    "0",
    "-ncr",
    "0",
    "-rd",
    rd,
    "-sn",
    "sys1",
    "-p",
    `model.num_layers=${layers}`,
    "-q",
  ];
  const big = await runCli(args(1000));
  assert.equal(big.code, 0, big.stderr);
  assert.match(big.stderr, /warning: rule 4\.3\.4: 1 × a100 \(80 GB each, 80 GB\) cannot hold/);
  const small = await runCli(args(2));
  assert.equal(small.code, 0, small.stderr);
  assert.doesNotMatch(small.stderr, /4\.3\.4/);
  await Deno.remove(dir, { recursive: true });
});
