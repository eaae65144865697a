/**
 * Scale benchmark: how many accelerators one small client keeps fed, and what each costs.
 * Every number is measured in this run, each dl-driver figure next to its reference:
 *
 * 1. Emulated accelerators at AU ≥ 90 % for a scaled unet3d_h100-like workload (4 MiB NPZ
 *    samples, batch 2, O_DIRECT reads, computation time set so that one accelerator needs
 *    100 MB/s), against the limit the storage allows: fio's O_DIRECT bytes/s ÷ 100 MB/s.
 *    Target ≥ 0.8 of that limit.
 * 2. CPU microseconds per sample on ~110 KiB samples (resnet50-like), per framework profile,
 *    with decoding and checksums on, from the process's CPU time (all threads) over the
 *    training. Target ≥ 5,000 samples/s per core (≤ 200 µs).
 * 3. Peak RSS per emulated accelerator (1, 4 and 16 in one process).
 * 4. Peak RSS of a 10-million-file plan (names derived, shuffles lazy) vs a 1,000-file plan.
 *
 *   deno task bench (runs it), or: deno run -A scripts/bench_scale.ts [--dir D]
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fio as runFio } from "./_fio.ts";
import { EVERY_FILE } from "./_bench_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { dir: { type: "string", default: ".bench" } },
});
const root = resolve(values.dir!);
const cli = new URL("../cli.ts", import.meta.url).pathname;
const DEMAND = 100e6; // bytes/s one emulated accelerator needs at 100 % AU
const SAMPLE = 4 * 1024 * 1024, BATCH = 2;

type Report = Record<string, number | string>;

/** Run the CLI in its own process (peak RSS is per process) and return its report. */
async function run(args: string[]): Promise<Report> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      cli,
      "run",
      EVERY_FILE,
      ...args,
      "--json",
      "-q",
      "-o",
      join(root, "results", "scale"),
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) throw new Error(`dl-driver ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout));
}

async function fioDirect(dir: string, jobs: number): Promise<number> {
  return (await runFio([
    "--name=scale",
    `--opendir=${dir}`,
    "--rw=read",
    "--bs=4M",
    "--ioengine=psync",
    "--direct=1",
    `--numjobs=${jobs}`,
    "--time_based",
    "--runtime=3",
  ])).read;
}

const mb = (b: number) => (b / 1e6).toFixed(0);
const result: Record<string, unknown> = {};

// 1. Accelerators per client.
const big = join(root, "scale-unet3d");
const unet = (n: number, extra: string[] = []) => [
  "workload=demo",
  `dataset.data_folder=${big}`,
  "dataset.num_files_train=256",
  "dataset.num_files_eval=0",
  `dataset.record_length_bytes=${SAMPLE}`,
  "dataset.record_length_bytes_stdev=0",
  "dataset.record_length_bytes_resize=0",
  "workflow.evaluation=False",
  `reader.batch_size=${BATCH}`,
  "reader.read_threads=2",
  "reader.prefetch_size=2",
  "reader.odirect=True",
  `train.computation_time=${(BATCH * SAMPLE / DEMAND).toFixed(4)}`,
  "train.epochs=2",
  "--accelerators",
  String(n),
  ...extra,
];
await run(unet(1, ["workflow.generate_data=True", "--max-steps", "1"]));
let fio = 0;
for (const jobs of [4, 8, 16]) fio = Math.max(fio, await fioDirect(join(big, "train"), jobs));
const limit = fio / DEMAND;
console.log(
  `1. accelerators at AU ≥ 90 %: 4 MiB NPZ samples, batch ${BATCH}, O_DIRECT, ` +
    `${mb(DEMAND)} MB/s per accelerator`,
);
console.log(
  `   fio --direct=1 (best of 4/8/16 jobs): ${mb(fio)} MB/s → storage allows ` +
    `${limit.toFixed(1)} accelerators`,
);
console.log("   accelerators   AU %   MB/s read   CPU µs/sample   peak RSS MiB");
const tries: { n: number; au: number; bps: number }[] = [];
let best = 0, misses = 0;
for (let n = Math.max(1, Math.floor(limit * 0.5)); n <= Math.ceil(limit * 1.3); n++) {
  const r = await run(unet(n, ["workflow.generate_data=False"]));
  const au = r.train_au_mean_percentage as number;
  tries.push({ n, au, bps: r.throughput_bytes_per_sec as number });
  console.log(
    `   ${String(n).padStart(12)}  ${au.toFixed(1).padStart(5)}  ${
      mb(r.throughput_bytes_per_sec as number).padStart(10)
    }  ${(r.cpu_us_per_sample as number).toFixed(0).padStart(14)}  ${
      ((r.peak_rss_bytes as number) / 2 ** 20).toFixed(0).padStart(13)
    }`,
  );
  if (au >= 90) {
    best = n;
    misses = 0;
  } else if (++misses >= 2) break;
}
console.log(
  `   → ${best} accelerators at AU ≥ 90 % = ${(best / limit).toFixed(2)} of the storage limit ` +
    "(target ≥ 0.8). DLIO is not installable here; its users report ~7 passing H100s per " +
    "client before removing CRC and copy overheads (mlcommons/storage#223).",
);
result.accelerators = { fio_direct_bytes_per_sec: fio, demand: DEMAND, limit, best, tries };

// 2. CPU per sample per profile.
console.log("\n2. CPU per sample, ~110 KiB samples, decode and checksums on, warm page cache");
console.log("   profile      format     CPU µs/sample   samples/s per core   samples/s");
const small = (fmt: string, loader: string, extra: string[]) => [
  "workload=demo",
  `dataset.data_folder=${join(root, `scale-small-${fmt}`)}`,
  `dataset.format=${fmt}`,
  `framework=${loader === "tensorflow" ? "tensorflow" : "pytorch"}`,
  `reader.data_loader=${loader}`,
  "dataset.num_files_eval=0",
  "dataset.record_length_bytes=112640",
  "dataset.record_length_bytes_stdev=0",
  "dataset.record_length_bytes_resize=0",
  "workflow.generate_data=True",
  "workflow.evaluation=False",
  "reader.batch_size=32",
  "reader.read_threads=2",
  "reader.prefetch_size=4",
  "reader.file_shuffle=off",
  "reader.sample_shuffle=off",
  "train.computation_time=0",
  "train.epochs=3",
  ...extra,
];
const cpu = [];
for (
  const [loader, fmt, extra] of [
    ["pytorch", "npz", ["dataset.num_files_train=4000"]],
    ["jax", "npz", ["dataset.num_files_train=4000"]],
    ["dali", "npz", ["dataset.num_files_train=4000"]],
    ["tensorflow", "tfrecord", ["dataset.num_files_train=8", "dataset.num_samples_per_file=500"]],
  ] as const
) {
  const r = await run(small(fmt, loader, [...extra]));
  const us = r.cpu_us_per_sample as number;
  cpu.push({
    profile: loader,
    format: fmt,
    cpu_us_per_sample: us,
    samples_per_sec: r.throughput_samples_per_sec,
  });
  console.log(
    `   ${loader.padEnd(11)}  ${fmt.padEnd(9)}  ${us.toFixed(0).padStart(14)}  ${
      (1e6 / us).toFixed(0).padStart(19)
    }  ${(r.throughput_samples_per_sec as number).toFixed(0).padStart(10)}`,
  );
}
console.log("   (target: ≥ 5,000 samples/s per core)");
result.cpu = cpu;

// 3. Peak RSS per accelerator.
console.log("\n3. peak RSS per emulated accelerator (pytorch, 110 KiB NPZ, read_threads 2 each)");
const rss: { accelerators: number; peak_rss_bytes: number }[] = [];
for (const n of [1, 4, 16]) {
  const r = await run(
    small("npz", "pytorch", ["dataset.num_files_train=4000", "--accelerators", String(n)]),
  );
  rss.push({ accelerators: n, peak_rss_bytes: r.peak_rss_bytes as number });
  console.log(
    `   ${String(n).padStart(3)} accelerators: ${
      ((r.peak_rss_bytes as number) / 2 ** 20).toFixed(0)
    } MiB`,
  );
}
const per = (rss[2]!.peak_rss_bytes - rss[0]!.peak_rss_bytes) / 15;
const capped = await run(
  small("npz", "pytorch", [
    "dataset.num_files_train=4000",
    "--accelerators",
    "16",
    "--io-threads",
    "4",
  ]),
);
console.log(
  `   → ${(per / 2 ** 20).toFixed(1)} MiB per additional accelerator, most of it its ` +
    "2 reader threads (a V8 isolate each); DLIO: ~0.5 GB per accelerator",
);
console.log(
  `   16 accelerators sharing --io-threads 4: ${
    ((capped.peak_rss_bytes as number) / 2 ** 20).toFixed(0)
  } MiB, ${(capped.throughput_samples_per_sec as number).toFixed(0)} samples/s`,
);
result.rss = { runs: rss, per_accelerator_bytes: per, io_threads_4: capped.peak_rss_bytes };

// 4. A 10-million-file plan.
console.log("\n4. plan memory: synthetic data, skip_listing, shuffled, 20 steps");
const plan = async (files: number) =>
  await run([
    "workload=demo",
    `dataset.data_folder=${join(root, "scale-plan")}`,
    "dataset.format=synthetic",
    "reader.data_loader=pytorch",
    `dataset.num_files_train=${files}`,
    "dataset.num_files_eval=0",
    "dataset.record_length_bytes=4096",
    "dataset.record_length_bytes_stdev=0",
    "dataset.record_length_bytes_resize=0",
    "storage.skip_listing=True",
    "workflow.generate_data=False",
    "workflow.evaluation=False",
    "reader.file_shuffle=seed",
    "reader.sample_shuffle=seed",
    "train.computation_time=0",
    "--max-steps",
    "20",
  ]);
const p1 = await plan(1000), p10 = await plan(10_000_000);
for (const [n, r] of [[1000, p1], [10_000_000, p10]] as const) {
  console.log(
    `   ${String(n).padStart(10)} files: peak RSS ${
      ((r.peak_rss_bytes as number) / 2 ** 20).toFixed(0)
    } MiB`,
  );
}
result.plan = { files_1000: p1.peak_rss_bytes, files_10M: p10.peak_rss_bytes };

await Deno.writeTextFile(join(root, "scale.json"), JSON.stringify(result, null, 2) + "\n");
console.log(`\nraw numbers in ${join(root, "scale.json")}`);
