/**
 * Client efficiency (issue 16): dl-driver beside fio on the same files at the same concurrency,
 * in one run: samples/s, CPU µs per sample (every thread of the dl-driver process) and the ratio
 * of dl-driver's bytes/s to fio's, against the targets. Rows: NPZ 4 MiB (1, 2, 4 threads, warm
 * page cache and O_DIRECT), TFRecord and HDF5 small samples (112 KiB), and a retinanet-like set
 * of small JPEG files read as bytes (fio opening and reading each file in turn). The machine's
 * speed drifts: each row is the median of alternating rounds (fio, dl-driver, fio, ...).
 *
 *   deno task bench (runs it), or:
 *   deno run -A scripts/bench_efficiency.ts [--rounds 3] [--seconds 3] [--jpegs 100000] [--only npz,tfrecord]
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { cliJson } from "./_bench_cli.ts";
import { fio } from "./_fio.ts";
import { smallJpegs } from "./_jpegs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: ".bench" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    jpegs: { type: "string", default: "100000" },
    only: { type: "string", default: "npz,direct,tfrecord,hdf5,jpeg" },
  },
});
const root = resolve(values.dir!, "efficiency");
const rounds = Number(values.rounds), seconds = Number(values.seconds);
const only = new Set(values.only!.split(","));

/** One row: what was read, and how dl-driver and fio are run on it. */
interface Case {
  name: string;
  target: number;
  /** dl-driver's `run` arguments for `epochs` epochs. */
  args: (epochs: number) => string[];
  /** fio's arguments (time-based, `seconds` long). */
  fio: string[];
  /**
   * What the ratio compares: bytes/s, or files/s (small files: fio reads one request per file,
   * dl-driver one sample per file).
   */
  per?: "bytes" | "files";
}

interface Row {
  name: string;
  target: number;
  samples_per_sec: number;
  cpu_us_per_sample: number;
  bytes_per_sec: number;
  fio_bytes_per_sec: number;
  fio_files_per_sec?: number;
  ratio: number;
}

/** Width of the table's first column (set once the rows are known). */
let nameWidth = 34;

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Rounds of fio then dl-driver, alternating; medians of each. */
async function measure(c: Case): Promise<Row> {
  // Size the run to last about `seconds`: one epoch first, then enough epochs.
  const once = await cliJson(["run", ...c.args(1), "-o", join(root, "out", "calibrate")]);
  const epochs = Math.max(1, Math.ceil(seconds / Math.max(once.train_time_secs!, 0.01)));
  const f: number[] = [], fIops: number[] = [], sps: number[] = [], cpu: number[] = [];
  const bps: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const fr = await fio([...c.fio, "--time_based", `--runtime=${seconds}`]);
    f.push(fr.read);
    fIops.push(fr.readIops);
    const r = await cliJson(["run", ...c.args(epochs), "-o", join(root, "out", `${i}`)]);
    sps.push(r.throughput_samples_per_sec!);
    bps.push(r.total_bytes! / r.train_time_secs!);
    cpu.push((r.cpu_seconds! / r.total_samples!) * 1e6);
  }
  const files = c.per === "files";
  const row: Row = {
    name: c.name,
    target: c.target,
    samples_per_sec: median(sps),
    cpu_us_per_sample: median(cpu),
    bytes_per_sec: median(bps),
    fio_bytes_per_sec: median(f),
    ...(files && { fio_files_per_sec: median(fIops) }),
    ratio: files ? median(sps) / median(fIops) : median(bps) / median(f),
  };
  console.log(
    `${row.name.padEnd(nameWidth)} ${row.samples_per_sec.toFixed(0).padStart(9)} ${
      row.cpu_us_per_sample.toFixed(0).padStart(8)
    } ${(row.bytes_per_sec / 1e6).toFixed(0).padStart(9)} ${
      (row.fio_bytes_per_sec / 1e6).toFixed(0).padStart(9)
    } ${row.ratio.toFixed(2).padStart(6)} ${("≥ " + row.target).padStart(7)}  ${
      row.ratio >= row.target ? "met" : "NOT met"
    }${files ? ` (files/s: fio ${row.fio_files_per_sec!.toFixed(0)})` : ""}`,
  );
  return row;
}

/** A dataset's `run` arguments (computation_time 0, every file read, no shuffle). */
function runArgs(folder: string, extra: string[]): (epochs: number) => string[] {
  return (epochs) => [
    "workload=demo",
    `dataset.data_folder=${folder}`,
    "dataset.num_files_eval=0",
    "dataset.record_length_bytes_stdev=0",
    "dataset.record_length_bytes_resize=0",
    "workflow.evaluation=False",
    "workflow.generate_data=False",
    "reader.file_shuffle=off",
    "reader.sample_shuffle=off",
    "train.computation_time=0",
    `train.epochs=${epochs}`,
    ...extra,
  ];
}

/** Generate a dataset into `folder`, emptied first (another run's files would be refused). */
async function generate(folder: string, args: string[]) {
  await Deno.remove(folder, { recursive: true }).catch(() => {});
  await cliJson(["generate", ...args, "--threads", "4"]);
}

/** fio reading every file of `dir` in turn, `jobs` jobs, `bs` requests. */
function fioFiles(dir: string, bs: string, jobs: number, direct = false): string[] {
  return [
    "--name=dl-driver-efficiency",
    `--opendir=${dir}`,
    "--rw=read",
    `--bs=${bs}`,
    "--ioengine=psync",
    `--direct=${direct ? 1 : 0}`,
    "--invalidate=0", // keep the warm page cache (fio drops it by default)
    `--numjobs=${jobs}`,
    "--openfiles=1",
    "--file_service_type=sequential",
  ];
}

const cases: Case[] = [];
if (only.has("npz") || only.has("direct")) {
  const folder = join(root, "npz");
  const base = [
    "dataset.format=npz",
    "dataset.num_files_train=384",
    "dataset.num_samples_per_file=1",
    `dataset.record_length_bytes=${4 * 2 ** 20}`,
    "reader.batch_size=4",
    "reader.prefetch_size=2",
  ];
  await generate(folder, runArgs(folder, base)(1));
  for (const direct of [false, true]) {
    if (!only.has(direct ? "direct" : "npz")) continue;
    for (const t of [1, 2, 4]) {
      cases.push({
        name: `NPZ 4 MiB, ${t} thread${t > 1 ? "s" : ""}, ${direct ? "O_DIRECT" : "warm"}`,
        target: direct ? 0.95 : t <= 2 ? 0.8 : 0,
        args: runArgs(folder, [
          ...base,
          `reader.read_threads=${t}`,
          ...(direct ? ["reader.odirect=True"] : []),
        ]),
        fio: fioFiles(join(folder, "train"), "4M", t, direct),
      });
    }
  }
}
const SMALL = 112 * 1024;
for (const [format, bs, target] of [["tfrecord", "256k", 0.3], ["hdf5", "112k", 0.1]] as const) {
  if (!only.has(format)) continue;
  const folder = join(root, format);
  const base = [
    `dataset.format=${format}`,
    "dataset.num_files_train=96",
    "dataset.num_samples_per_file=64",
    `dataset.record_length_bytes=${SMALL}`,
    "reader.batch_size=64",
    "reader.read_threads=2",
    ...(format === "tfrecord" ? ["framework=tensorflow", "reader.data_loader=tensorflow"] : []),
  ];
  await generate(folder, runArgs(folder, base)(1));
  cases.push({
    name: `${format === "hdf5" ? "HDF5" : "TFRecord"} 112 KiB × 64 per file, 2 threads`,
    target,
    args: runArgs(folder, base),
    fio: fioFiles(join(folder, "train"), bs, 2),
  });
}
if (only.has("jpeg")) cases.push(await jpegCase(Number(values.jpegs)));

/** Small JPEG files read as bytes (v3.0's DLIO), with skip_listing: `n` files of ~4 KiB. */
async function jpegCase(n: number): Promise<Case> {
  const base = [
    "dataset.format=jpeg",
    "dataset.num_samples_per_file=1",
    "dataset.record_length_bytes=4096",
    "reader.decode_images=False",
    "reader.batch_size=64",
    "reader.read_threads=2",
    // Two batches queued per reader thread: PyTorch's default prefetch_factor. With one (the
    // demo's prefetch_size 2 over 2 threads), a thread that finishes its batch of ~4 KiB files
    // (~1 ms) waits for the loop to take a batch and ask for the next: ~15 % fewer samples/s.
    "reader.prefetch_size=4",
    "storage.skip_listing=True",
    "dataset.listing_validation_interval=1000",
  ];
  const args = runArgs("", base)(1).filter((a) => !a.startsWith("dataset.data_folder"));
  const folder = await smallJpegs(resolve(values.dir!, "jpegs"), n, args);
  // fio reads whole blocks only: one block of the smallest file's size per file.
  let smallest = Infinity;
  for await (const e of Deno.readDir(join(folder, "..", "seed", "train"))) {
    smallest = Math.min(
      smallest,
      (await Deno.stat(join(folder, "..", "seed", "train", e.name))).size,
    );
  }
  return {
    name: `JPEG bytes, ${n.toLocaleString("en")} files, 2 threads`,
    target: 0.5,
    args: runArgs(folder, [...base, `dataset.num_files_train=${n}`]),
    fio: fioFiles(join(folder, "train"), String(smallest), 2),
    per: "files",
  };
}

nameWidth = Math.max(4, ...cases.map((c) => c.name.length));
console.log(
  `medians of ${rounds} alternating rounds of ~${seconds} s; computation_time 0; ` +
    "fio: psync, the same files, one job per dl-driver reader thread",
);
console.log(
  `${"data".padEnd(nameWidth)} ${"samples/s".padStart(9)} ${"CPU µs".padStart(8)} ${
    "MB/s".padStart(9)
  } ${"fio MB/s".padStart(9)} ${"ratio".padStart(6)} ${"target".padStart(7)}`,
);
const rows: Row[] = [];
for (const c of cases) rows.push(await measure(c));
await Deno.writeTextFile(join(root, "efficiency.json"), JSON.stringify(rows, null, 2) + "\n");
console.log(`(CPU µs: per sample, every thread of dl-driver; raw: ${root}/efficiency.json)`);
