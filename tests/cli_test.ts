/**
 * End to end: the CLI as users run it, on the demo and on a generated config in a temp dir.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { CLI_PERMISSIONS, readLists, runCli, smallWorkload, yamlFile } from "./_helpers.ts";

const readJson = async (p: string) => JSON.parse(await Deno.readTextFile(p));

Deno.test("cli: run generates, trains and writes every output file with DLIO's fields", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-e2e-" });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli(["run", wl, "++workload.train.epochs=3"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /generate: 16 written, 0 already complete/);
  assert.match(r.stdout, /\[METRIC\] Training Accelerator Utilization \[AU\] \(%\): \d+\.\d{4}/);
  assert.match(r.stdout, /Measured: 18 steps, 72 samples/);
  const out = join(dir, "out");
  const files = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(files, [
    "0_output.json",
    "0_per_epoch_stats.json",
    "dlio.log",
    "dlio_config",
    "report.csv",
    "report.html",
    "report.json",
    "resolved_config.yaml",
    "summary.json",
  ]);
  // DLIO's dlio_config/ as Hydra writes it: exactly three files.
  assert.deepEqual([...Deno.readDirSync(join(out, "dlio_config"))].map((e) => e.name).sort(), [
    "config.yaml",
    "hydra.yaml",
    "overrides.yaml",
  ]);

  const summary = await readJson(join(out, "summary.json"));
  for (
    const k of [
      "num_accelerators",
      "num_hosts",
      "hostname",
      "metric",
      "start",
      "end",
      "epochs",
      "num_files_train",
      "num_files_eval",
      "num_samples_per_file",
      "host_cpu_count",
      "host_processor_name",
      "host_memory_GB",
      "data_size_per_host_GB",
      "potential_caching",
      "host_cpuinfo",
      "host_meminfo",
    ]
  ) assert.ok(k in summary, `summary.json lacks ${k}`);
  assert.equal(summary.epochs, 3);
  assert.equal(summary.num_accelerators, 1);
  assert.match(summary.start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  const m = summary.metric;
  assert.equal(m.train_au_percentage.length, 3);
  assert.equal(m.eval_au_percentage.length, 3);
  assert.ok(m.train_au_mean_percentage > 0 && m.train_au_mean_percentage <= 100);
  assert.ok(["success", "fail"].includes(m.train_au_meet_expectation));
  // DLIO's formula: MB/s = mean samples/s × record_length / 2^20
  assert.ok(
    Math.abs(
      m.train_io_mean_MB_per_second - m.train_throughput_mean_samples_per_second * 16384 / 2 ** 20,
    ) < 1e-9,
  );
  assert.ok(m.train_io_measured_mean_MB_per_second > 0);

  const perEpoch = await readJson(join(out, "0_per_epoch_stats.json"));
  assert.deepEqual(Object.keys(perEpoch), ["1", "2", "3"]);
  assert.match(perEpoch["1"].duration, /^\d+\.\d\d$/);
  assert.ok(perEpoch["1"].block1.start && perEpoch["1"].eval.end);

  const rankOut = await readJson(join(out, "0_output.json"));
  assert.equal(rankOut["2"].compute.block1.length, 6); // floor(12 files · 2 samples / 4 / 1 rank)
  assert.equal(rankOut["2"].load.block1.length, rankOut["2"].proc.block1.length);
  assert.ok(rankOut["2"].compute.block1.every((s: number) => s >= 0.002));
  assert.ok("eval" in rankOut["2"].au && "block1" in rankOut["2"].throughput);

  const cfg = parseYaml(await Deno.readTextFile(join(out, "dlio_config", "config.yaml")));
  assert.equal(cfg.workload.dataset.num_files_train, 12);
  assert.equal(cfg.workload.train.epochs, 3);
  // The workload as Hydra composes it (its keys and the overrides), not every default.
  assert.equal(cfg.workload.reader.verify_checksums, undefined);
  const resolved = parseYaml(await Deno.readTextFile(join(out, "resolved_config.yaml")));
  assert.equal(resolved.workload.reader.verify_checksums, true);
  assert.deepEqual(parseYaml(await Deno.readTextFile(join(out, "dlio_config", "overrides.yaml"))), [
    "++workload.train.epochs=3",
  ]);

  const rep = await readJson(join(out, "report.json"));
  for (
    const k of [
      "benchmark_name",
      "backend_type",
      "framework",
      "total_samples",
      "total_bytes",
      "throughput_samples_per_sec",
      "p50_latency_ms",
      "p95_latency_ms",
      "p99_latency_ms",
      "io_p50_latency_ms",
      "io_p95_latency_ms",
      "io_p99_latency_ms",
      "decode_p50_latency_ms",
      "decode_p95_latency_ms",
      "decode_p99_latency_ms",
      "h2d_p50_latency_ms",
      "h2d_p95_latency_ms",
      "h2d_p99_latency_ms",
      "seed",
      "data_folder",
      "format",
      "batch_size",
      "read_threads",
      "shuffle",
      "dl_driver_version",
      "total_execution_time_secs",
      "access_order_sample",
      "provenance",
    ]
  ) assert.ok(k in rep, `report.json lacks ${k}`);
  assert.equal(rep.benchmark_name, "small");
  assert.equal(rep.backend_type, "file");
  assert.equal(rep.total_samples, 72);
  assert.equal(rep.seed, 7);
  // Real bytes: the sum of the sizes of the files read (each file holds 2 samples, read per sample).
  const sizes = new Map<string, number>();
  for (const e of Deno.readDirSync(join(dir, "data", "train"))) {
    sizes.set(`train/${e.name}`, Deno.statSync(join(dir, "data", "train", e.name)).size);
  }
  for (const key of rep.access_order_sample) assert.ok(sizes.has(key.split("#")[0]), key);
  // NPZ is read whole for every sample (DLIO): 72 reads of ~2-sample files.
  const mean = [...sizes.values()].reduce((a, b) => a + b, 0) / sizes.size;
  assert.ok(Math.abs(rep.total_bytes / 72 - mean) / mean < 0.3, String(rep.total_bytes));
  assert.ok(rep.io_p50_latency_ms > 0 && rep.io_p99_latency_ms >= rep.io_p50_latency_ms);
  assert.ok(rep.decode_p50_latency_ms > 0);
  assert.equal(rep.provenance.dl_driver_version, rep.dl_driver_version);
  assert.equal(typeof rep.provenance.deno, "string");
  assert.equal(rep.provenance.dependencies.yaml, "2.9.1");
  assert.equal(rep.latency_list_files, undefined);

  const csv = (await Deno.readTextFile(join(out, "report.csv"))).trimEnd().split("\n");
  assert.equal(csv.length, 2);
  assert.ok(
    csv[0]!.startsWith("benchmark_name,backend_type,odirect,odirect_fallback,backend_sdk,"),
  );
  assert.match(
    await Deno.readTextFile(join(out, "dlio.log")),
    /\[METRIC\] train_au_meet_expectation/,
  );
});

Deno.test("cli: re-running skips complete files; --json, lists, max-steps", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-e2e-" });
  const wl = await yamlFile(smallWorkload(dir));
  assert.equal((await runCli(["generate", wl, "-q"])).code, 0);
  const r = await runCli([
    "run",
    wl,
    "--json",
    "--max-steps",
    "4",
    "--latency-lists",
    "--visited-items",
    "-o",
    join(dir, "o2"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /generate: 0 written, 16 already complete/);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.steps_completed, 4);
  assert.equal(rep.stopped_early, "--max-steps 4");
  // The lists streamed to gzip TSV files in the results folder, one per rank.
  assert.deepEqual(rep.latency_list_files, ["latencies-0.tsv.gz"]);
  const lat = readLists(rep, "latency_list_files");
  assert.equal(lat.length, 16);
  assert.ok(lat.every((l) => (l.io_ms as number) >= 0 && (l.bytes as number) > 0));
  const visited = readLists(rep, "visited_items_files");
  assert.equal(visited.length, 16);
  assert.deepEqual(Object.keys(visited[0]!), ["rank", "epoch", "key", "sample"]);
  // The visited items are the sampler's planned order; the report's sample is its start.
  assert.deepEqual(
    visited.slice(0, rep.access_order_sample.length).map((v) => `${v.key}#${v.sample}`),
    rep.access_order_sample,
  );
  // Real byte counts: exactly the sizes of the objects read, one whole-file read per sample.
  const size = (k: string) => Deno.statSync(join(dir, "data", k)).size;
  const visitedBytes = visited.reduce((a, v) => a + size(v.key as string), 0);
  assert.equal(rep.total_bytes, visitedBytes);
  assert.ok(Deno.statSync(join(dir, "o2", "summary.json")).isFile);
});

Deno.test("cli: validate prints effective settings; workloads lists bundled files", async () => {
  const v = await runCli(["validate", "workload=unet3d_h100", "dataset.num_files_train=16"]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /OK .*unet3d_h100\.yaml with dataset\.num_files_train=16/);
  assert.match(v.stdout, /16 train files/);
  // Checkpointing is implemented: no "not implemented" warning for it.
  assert.doesNotMatch(v.stderr, /workflow\.checkpoint: known DLIO key, not implemented/);
  const w = await runCli(["workloads"]);
  assert.match(w.stdout, /^cosmoflow_a100$/m);
  assert.match(w.stdout, /^unet3d_h100$/m);
  const h = await runCli(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Exit codes:/);
});

Deno.test("cli: user errors are one clear message, no stack trace, documented exit codes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-e2e-" });
  const cases: [string[], number, RegExp][] = [
    [["run", "/nonexistent.yaml"], 2, /config file not found: \/nonexistent\.yaml/],
    [["run", "workload=nope"], 2, /workload 'nope' not found/],
    [["frobnicate"], 2, /unknown command 'frobnicate'/],
    [["run", "--bogus"], 2, /Unknown option '--bogus'/],
    [["run", "workload=demo", "--max-steps", "0"], 2, /--max-steps expects a positive integer/],
    [
      ["run", "workload=demo", "dataset.num_files_train=-2"],
      2,
      /override 'dataset\.num_files_train=-2'/,
    ],
    [
      ["run", "workload=demo", "dataset.format=hdf5_opt"],
      2,
      /format hdf5_opt is not implemented yet/,
    ],
    [
      [
        "run",
        "workload=demo",
        `dataset.data_folder=${join(dir, "empty")}`,
        "workflow.generate_data=False",
      ],
      3,
      /found 0 of the 48 train files \(\*\.npz\) in file:\/\/.*empty\/train \(missing: train\/img_00_of_48\.npz, train\/img_01_of_48\.npz, train\/img_02_of_48\.npz, …\); generate them first/,
    ],
  ];
  for (const [args, code, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

Deno.test("cli: corrupt data is a data error naming the object", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-e2e-" });
  const wl = await yamlFile(smallWorkload(dir));
  assert.equal((await runCli(["generate", wl, "-q"])).code, 0);
  const victim = join(dir, "data", "train", "img_00_of_12.npz");
  const b = await Deno.readFile(victim);
  b[300] = b[300]! ^ 0x55;
  await Deno.writeFile(victim, b);
  const r = await runCli(["run", wl, "workflow.generate_data=False", "-q"]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /decode file:\/\/.*img_00_of_12\.npz: member x\.npy: CRC-32 mismatch/);
  const skip = await runCli([
    "run",
    wl,
    "workflow.generate_data=False",
    "reader.verify_checksums=False",
    "-q",
  ]);
  assert.equal(skip.code, 0, skip.stderr);
});

Deno.test("cli: the demo workload runs (scaled down) from a temp dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-demo-" });
  const r = await runCli([
    "run",
    "workload=demo",
    "dataset.num_files_train=8",
    "dataset.num_files_eval=4",
    "dataset.record_length_bytes=262144",
    "dataset.record_length_bytes_stdev=0",
    "train.epochs=2",
  ], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Results: results\/demo\/\d{8}_\d{6}\//);
  const results = [...Deno.readDirSync(join(dir, "results", "demo"))];
  assert.equal(results.length, 1);
  assert.ok(Deno.statSync(join(dir, "data", "demo", "train", "img_0_of_8.npz")).isFile);
});

Deno.test("cli: keep_files False deletes the dataset after the run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-e2e-" });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli(["run", wl, "dataset.keep_files=False", "train.epochs=1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /keep_files is False: deleted the dataset/);
  assert.throws(() => Deno.statSync(join(dir, "data", "train")), Deno.errors.NotFound);
  assert.ok(Deno.statSync(join(dir, "out", "summary.json")).isFile);
});

const FILES = 4000;
Deno.test("cli: SIGINT during generation exits 130 and leaves no partial file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-e2e-" });
  const wl = await yamlFile(smallWorkload(dir, ""));
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  // Many small files: generation takes seconds (per-file work), yet the whole set is ~260 MB,
  // not the gigabytes of a few large files (CI machines may have little disk to spare).
  const size = [
    `dataset.num_files_train=${FILES}`,
    "dataset.record_length_bytes=32768",
    "dataset.record_length_bytes_stdev=0",
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...CLI_PERMISSIONS,
      cli,
      "generate",
      wl,
      ...size,
      "--threads",
      "2",
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Wait until some files exist, then interrupt.
  const train = join(dir, "data", "train");
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      if ([...Deno.readDirSync(train)].length >= 4) break;
    } catch { /* not yet created */ }
  }
  child.kill("SIGINT");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 130, stderr);
  assert.match(stderr, /dl-driver: interrupted/);
  const names = [...Deno.readDirSync(train)].map((e) => e.name);
  assert.ok(names.length < FILES);
  assert.deepEqual(names.filter((n) => n.includes(".partial-")), []);
  // Every file left at a final name is complete: numpy-sized and a valid zip.
  for (const n of names) {
    assert.equal(Deno.statSync(join(train, n)).size, Deno.statSync(join(train, names[0]!)).size);
  }
  // And a re-run resumes.
  const again = await runCli(["generate", wl, ...size, "-q"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stdout,
    new RegExp(`${FILES + 4 - names.length} written, ${names.length} already complete`),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("live progress on a terminal: epoch, steps, samples/s, MiB/s, AU so far, ETA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-tty-" });
  const wl = await yamlFile(
    smallWorkload(dir).replace("computation_time: 0.002", "computation_time: 0.02"),
  );
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  // `script` gives the command a pseudo-terminal, as a user's shell would.
  const tty = async (extra: string) => {
    const cmd = [Deno.execPath(), "run", ...CLI_PERMISSIONS, cli, "run", wl, extra]
      .filter((a) => a).map((a) => `'${a}'`).join(" ");
    const out = await new Deno.Command("script", {
      args: ["-qfec", cmd, "/dev/null"],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout);
  };
  const shown = await tty("");
  assert.match(
    shown,
    /epoch 2\/2 \[.*\] 100% 6\/6 steps \| [\d.]+ samples\/s \| [\d.]+ MiB\/s \| live AU [\d.]+% \(all steps\) \| ETA/,
  );
  const quiet = await tty("-q");
  assert.doesNotMatch(quiet, /samples\/s \|/);
  assert.match(quiet, /\[METRIC\] Number of Simulated Accelerators: 1/);
});

Deno.test("compare: runs side by side with ratios; --csv-append adds one row per run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-cmp-" });
  const wl = await yamlFile(smallWorkload(dir));
  const csv = join(dir, "runs.csv");
  for (const [out, threads] of [["a", 1], ["b", 3]] as const) {
    const r = await runCli([
      "run",
      wl,
      `reader.read_threads=${threads}`,
      "--csv-append",
      csv,
      "-q",
      "-o",
      join(dir, out),
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const lines = (await Deno.readTextFile(csv)).trim().split("\n");
  assert.equal(lines.length, 3); // one header, two runs
  assert.match(lines[0]!, /^benchmark_name,backend_type,/);
  const a = JSON.parse(await Deno.readTextFile(join(dir, "a", "report.json")));
  const b = JSON.parse(await Deno.readTextFile(join(dir, "b", "report.json")));
  const c = await runCli(["compare", join(dir, "a"), join(dir, "b", "report.json")]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /run A: .*\/a\nrun B: .*\/b\/report\.json/);
  const row = c.stdout.split("\n").find((l) => l.startsWith("throughput_samples_per_sec"))!;
  const ratio = (b.throughput_samples_per_sec / a.throughput_samples_per_sec).toFixed(2);
  assert.ok(row.trimEnd().endsWith(`${ratio}×`), row);
  const j = JSON.parse(
    (await runCli(["compare", join(dir, "a"), join(dir, "b"), "--json"])).stdout,
  );
  assert.equal(j.runs.length, 2);
  // Numbers, not formatted text: the ratio is b ÷ a as a number.
  const thr = j.fields.find((f: { field: string }) => f.field === "throughput_samples_per_sec");
  assert.deepEqual(thr.values, [a.throughput_samples_per_sec, b.throughput_samples_per_sec]);
  assert.equal(thr.ratios[0], b.throughput_samples_per_sec / a.throughput_samples_per_sec);
  assert.equal(thr.better, "higher");
  // Bad input: one clear line, exit 2.
  const bad = await runCli(["compare", join(dir, "a"), join(dir, "nope")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^dl-driver: compare: .*nope: no such results folder or report file\n$/);
});

Deno.test("the demo task's restricted permissions are enough for a run (no extra prompts)", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  const flags = (tasks.demo.command as string).split(" ").filter((a) => a.startsWith("--allow-"));
  assert.ok(flags.length >= 4 && !flags.includes("--allow-all"), flags.join(" "));
  // FFI's native code is not bound by the read/write lists: the demo does without it.
  assert.ok(!flags.some((f) => /^--allow-(ffi|run)\b/.test(f)), flags.join(" "));
  // As the demo runs: from the repository root, data under data/, results under results/.
  const root = new URL("..", import.meta.url).pathname;
  const id = `perm-test-${crypto.randomUUID().slice(0, 8)}`;
  const wl = await yamlFile(
    smallWorkload("PLACEHOLDER").replaceAll("PLACEHOLDER/data", `data/${id}`)
      .replaceAll("PLACEHOLDER/out", `results/${id}`),
  );
  const run = (cwd: string, file: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...flags, join(root, "cli.ts"), "run", file, "-q"],
      cwd,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  await Deno.copyFile(wl, join(root, "data", `${id}.yaml`)).catch(async () => {
    await Deno.mkdir(join(root, "data"), { recursive: true });
    await Deno.copyFile(wl, join(root, "data", `${id}.yaml`));
  });
  try {
    const out = await run(root, `data/${id}.yaml`);
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    assert.doesNotMatch(err, /permission/i);
    assert.ok(Deno.statSync(join(root, "results", id, "report.html")).isFile);
    // From elsewhere, the same flags cannot read the reader threads' code: a clear error, no hang.
    const other = await Deno.makeTempDir({ prefix: "dl-driver-perm-" });
    await Deno.copyFile(wl, join(other, "wl.yaml"));
    const bad = await run(other, "wl.yaml");
    assert.equal(bad.code, 2);
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /dl-driver: a reader thread could not start: Requires read access/,
    );
  } finally {
    for (const p of [`data/${id}`, `data/${id}.yaml`, `results/${id}`]) {
      await Deno.remove(join(root, p), { recursive: true }).catch(() => {});
    }
  }
});

Deno.test("access order: the planned order is identical at read_threads 1, 2 and 8 and any prefetch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-order-" });
  const wl = await yamlFile(smallWorkload(dir));
  assert.equal((await runCli(["generate", wl, "-q"])).code, 0);
  const orders: string[][] = [], files: string[][] = [];
  for (const [threads, prefetch] of [[1, 0], [2, 2], [8, 5]]) {
    const r = await runCli([
      "run",
      wl,
      "reader.sample_shuffle=seed",
      "reader.file_shuffle=seed",
      `reader.read_threads=${threads}`,
      `reader.prefetch_size=${prefetch}`,
      "--visited-items",
      "--json",
      "-q",
      "-o",
      join(dir, `o${threads}`),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.access_order_sample.length, 32);
    assert.equal(rep.access_order_arrival_sample.length, 32);
    orders.push(rep.access_order_sample);
    files.push(readLists(rep, "visited_items_files").map((v) => `${v.epoch} ${v.key}#${v.sample}`));
  }
  assert.deepEqual(orders[1], orders[0]);
  assert.deepEqual(orders[2], orders[0]);
  assert.deepEqual(files[1], files[0]);
  assert.deepEqual(files[2], files[0]);
  // 2 epochs × 24 samples (12 files × 2), each once per epoch.
  assert.equal(files[0]!.length, 2 * 24);
  assert.equal(new Set(files[0]).size, 2 * 24);
});

Deno.test("every command's --help: exit 0, its own usage and options on stdout, nothing on stderr", async () => {
  const own: Record<string, string[]> = {
    run: ["--output", "--accelerators", "--trace", "--max-epochs", "--json"],
    dlio: ["--output", "--accelerators"],
    generate: ["--threads", "--config-dir"],
    validate: ["--accelerators", "--json"],
    compare: ["--json"],
    workloads: ["--config-dir"],
    mlperf: ["<closed|open|whatif>", "reportgen", "check", "init"],
  };
  for (const [cmd, options] of Object.entries(own)) {
    for (const args of [[cmd, "--help"], [cmd, "-h"], ["help", cmd]]) {
      if (cmd === "mlperf" && args[0] === "help") continue; // mlperf's help is its own parser's
      const r = await runCli(args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr, "", args.join(" "));
      assert.match(r.stdout, new RegExp(`^dl-driver ${cmd}`), args.join(" "));
      for (const o of options) assert.ok(r.stdout.includes(o), `${args.join(" ")} lacks ${o}`);
    }
  }
  // A command's help leaves out what the command does not take.
  const compare = await runCli(["compare", "--help"]);
  assert.doesNotMatch(compare.stdout, /--accelerators|--trace/);
  // The whole help names every command.
  const all = await runCli(["--help"]);
  for (const cmd of Object.keys(own).filter((c) => c !== "dlio")) {
    assert.match(all.stdout, new RegExp(`dl-driver ${cmd}`));
  }
  assert.match(all.stdout, /run \(alias dlio\)/);
});

Deno.test("cli: skip_listing spot-checks files that are read, not synthetic data's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-e2e-" });
  const run = (format: string) =>
    runCli([
      "run",
      "workload=demo",
      `dataset.data_folder=${join(dir, "none")}`, // nothing there
      `dataset.format=${format}`,
      "dataset.num_files_train=100000",
      "dataset.num_files_eval=0",
      "dataset.record_length_bytes=4096",
      "dataset.record_length_bytes_stdev=0",
      "storage.skip_listing=True",
      "workflow.generate_data=False",
      "workflow.evaluation=False",
      "train.computation_time=0",
      "--max-steps",
      "3",
      "-q",
      "-o",
      join(dir, `out-${format}`),
    ]);
  const synthetic = await run("synthetic");
  assert.equal(synthetic.code, 0, synthetic.stderr); // reads no file: checks none
  const npz = await run("npz");
  assert.equal(npz.code, 3);
  assert.match(
    npz.stderr,
    /skip_listing: .*img_000000_of_100000\.npz \(file 1 of 100000\) is not there/,
  );
});

Deno.test("peak RSS is dl-driver's own, not that of a larger process that started it", async () => {
  // Linux carries getrusage's ru_maxrss across exec: a child of this 300 MiB test process would
  // report at least 300 MiB. The report reads /proc's VmHWM (through libc under the cli task).
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-rss-" });
  let ballast: Uint8Array | undefined = new Uint8Array(300 * 2 ** 20).fill(1);
  const args = ["workload=demo", "dataset.format=synthetic", `dataset.data_folder=${dir}`];
  const small = ["dataset.num_files_train=64", "dataset.num_files_eval=0", "--json", "-q"];
  const gen = await runCli(["generate", ...args, ...small]);
  const run = await runCli(["run", ...args, ...small, "train.epochs=1", "-o", join(dir, "out")]);
  assert.equal(ballast[7], 1);
  ballast = undefined;
  for (const r of [gen, run]) {
    assert.equal(r.code, 0, r.stderr);
    const mib = JSON.parse(r.stdout).peak_rss_bytes / 2 ** 20;
    assert.ok(mib > 10 && mib < 250, `peak RSS ${mib.toFixed(0)} MiB`);
  }
  await Deno.remove(dir, { recursive: true });
});
