/**
 * Read-throughput benchmark: dl-driver vs fio on the same 4 MiB NPZ files, warm page cache,
 * measured in the same run. Prints bytes/s and the ratio dl-driver/fio per read_threads.
 *
 *   deno task bench [--files N] [--seconds S] [--dir DIR]
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { resolveConfig } from "../src/config/resolve.ts";
import { runWorkload } from "../src/run/lifecycle.ts";
import { generateDataset } from "../src/generate/generate.ts";
import { fio as runFio } from "./_fio.ts";
import { EVERY_FILE } from "./_bench_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "256" },
    seconds: { type: "string", default: "4" },
    dir: { type: "string", default: ".bench" },
    threads: { type: "string", default: "1,2,4" },
  },
});
const files = Number(values.files), seconds = Number(values.seconds);
const root = resolve(values.dir!);
const data = join(root, "data");
const threads = values.threads!.split(",").map(Number);
const SAMPLE = 4 * 1024 * 1024;

function workload(rt: number, epochs: number, verify: boolean, extra: string[] = []) {
  return resolveConfig({
    args: [
      "workload=demo",
      `dataset.data_folder=${data}`,
      `dataset.num_files_train=${files}`,
      "dataset.num_files_eval=0",
      `dataset.record_length_bytes=${SAMPLE}`,
      "dataset.record_length_bytes_stdev=0",
      "dataset.record_length_bytes_resize=0",
      "workflow.generate_data=False",
      "workflow.evaluation=False",
      "reader.batch_size=4",
      `reader.read_threads=${rt}`,
      "reader.prefetch_size=2",
      `reader.verify_checksums=${verify}`,
      "reader.file_shuffle=off",
      "reader.sample_shuffle=off",
      "train.computation_time=0",
      `train.epochs=${epochs}`,
      EVERY_FILE,
      ...extra,
    ],
    requireRunnable: true,
  });
}

async function warm(dir: string): Promise<number> {
  let bytes = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile) bytes += (await Deno.readFile(join(dir, e.name))).byteLength;
  }
  return bytes;
}

async function fio(jobs: number, direct = false): Promise<number> {
  return (await runFio([
    "--name=dl-driver-bench",
    `--opendir=${join(data, "train")}`,
    "--rw=read",
    "--bs=4M",
    "--ioengine=psync",
    `--direct=${direct ? 1 : 0}`,
    "--invalidate=0", // keep the warm page cache (fio drops it by default)
    `--numjobs=${jobs}`,
    "--time_based",
    `--runtime=${seconds}`,
  ])).read;
}

async function dlDriver(rt: number, verify: boolean, extra: string[] = []): Promise<number> {
  // Size the run to last about `seconds`: calibrate with one epoch, then run enough epochs.
  const once = await runWorkload(workload(rt, 1, verify, extra), {
    quiet: true,
    log: () => {},
    output: join(root, "results", "calibrate"),
  });
  const perEpoch = once.report.train_time_secs as number;
  const epochs = Math.max(1, Math.ceil(seconds / Math.max(perEpoch, 0.01)));
  const r = await runWorkload(workload(rt, epochs, verify, extra), {
    quiet: true,
    log: () => {},
    output: join(root, "results", `rt${rt}-${verify ? "crc" : "nocrc"}${extra.length ? "-x" : ""}`),
  });
  return r.report.throughput_bytes_per_sec as number;
}

const gen = await generateDataset(workload(1, 1, true).config, { quiet: true, log: () => {} });
const warmed = await warm(join(data, "train"));
console.log(
  `dataset: ${gen.files} NPZ files × ${(SAMPLE / 2 ** 20).toFixed(0)} MiB samples in ${data} ` +
    `(${(warmed / 2 ** 30).toFixed(2)} GiB, page cache warmed; ${gen.written} newly written)`,
);
console.log(
  `each measurement runs ~${seconds} s; dl-driver: computation_time 0, batch 4, prefetch 2`,
);
console.log("");
console.log("threads  fio GB/s  dl-driver GB/s  ratio   dl-driver no-CRC GB/s  ratio");
const rows = [];
for (const t of threads) {
  const f = await fio(t);
  const d = await dlDriver(t, true);
  const n = await dlDriver(t, false);
  rows.push({
    threads: t,
    fio_bytes_per_sec: f,
    dl_driver_bytes_per_sec: d,
    dl_driver_nocrc_bytes_per_sec: n,
  });
  console.log(
    `${String(t).padStart(7)}  ${(f / 1e9).toFixed(2).padStart(8)}  ${
      (d / 1e9).toFixed(2).padStart(14)
    }  ${(d / f).toFixed(2).padStart(5)}   ${(n / 1e9).toFixed(2).padStart(21)}  ${
      (n / f).toFixed(2).padStart(5)
    }`,
  );
}
console.log("(target: ≥ 0.5 of fio with a warm page cache)");

console.log(
  "\nO_DIRECT (page cache bypassed): fio --direct=1 psync vs dl-driver reader.odirect=True",
);
console.log("(the virtual disk's speed drifts: 3 alternating rounds each, medians compared)");
console.log("threads  fio GB/s  dl-driver GB/s  ratio   (one read in flight per thread in both)");
const direct = [];
for (const t of threads) {
  const fs: number[] = [], ds: number[] = [];
  for (let round = 0; round < 3; round++) {
    fs.push(await fio(t, true));
    ds.push(await dlDriver(t, true, ["reader.odirect=True"]));
  }
  const f = median(fs), d = median(ds);
  direct.push({
    threads: t,
    fio_bytes_per_sec: f,
    dl_driver_bytes_per_sec: d,
    rounds: { fio: fs, dl_driver: ds },
  });
  console.log(
    `${String(t).padStart(7)}  ${(f / 1e9).toFixed(2).padStart(8)}  ${
      (d / 1e9).toFixed(2).padStart(14)
    }  ${(d / f).toFixed(2).padStart(5)}`,
  );
}
console.log("(target: ≥ 0.9 of fio at the same queue depth)");

const s3 = await s3Bench();
await Deno.writeTextFile(
  join(root, "bench.json"),
  JSON.stringify({ buffered: rows, direct, s3 }, null, 2) + "\n",
);
console.log(`\nraw numbers in ${join(root, "bench.json")}`);

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** GET throughput from the moto S3 server (started by bench.sh) at several concurrencies. */
async function s3Bench() {
  const endpoint = Deno.env.get("DL_DRIVER_TEST_S3_ENDPOINT");
  if (!endpoint) {
    console.log("\ns3: skipped (no moto_server; bench.sh starts one when it is installed)");
    return [];
  }
  const { newBucket, s3Options } = await import("../tests/_servers.ts");
  const bucket = await newBucket(endpoint);
  const opts = Object.entries(s3Options(endpoint)).map(([k, v]) =>
    `storage.storage_options.${k}=${v}`
  );
  const s3args = [
    `dataset.data_folder=s3://${bucket}/bench`,
    "dataset.num_files_train=64",
    ...opts,
  ];
  await generateDataset(workload(1, 1, true, s3args).config, {
    quiet: true,
    log: () => {},
    threads: 8,
  });
  console.log("\nS3 GET from moto on 127.0.0.1 (64 objects of 4 MiB; moto is the limit here)");
  console.log("read_threads (concurrent GETs)   GB/s   GETs/s");
  const out = [];
  for (const t of [1, 4, 8, 16]) {
    const r = await runWorkload(workload(t, 2, true, s3args), {
      quiet: true,
      log: () => {},
      output: join(root, "results", `s3-${t}`),
    });
    const bps = r.report.throughput_bytes_per_sec as number;
    const gets = (r.report.total_samples as number) / (r.report.train_time_secs as number);
    out.push({ read_threads: t, bytes_per_sec: bps, gets_per_sec: gets });
    console.log(
      `${String(t).padStart(30)}  ${(bps / 1e9).toFixed(2).padStart(5)}  ${
        gets.toFixed(0).padStart(7)
      }`,
    );
  }
  return out;
}
