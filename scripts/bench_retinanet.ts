/**
 * Retinanet-like benchmark (MLPerf Storage v3.0's CLOSED workload): many small JPEG files read
 * as bytes (`reader.decode_images=False`, as v3.0's DLIO reads them) with skip_listing, and the
 * same files decoded (upstream DLIO's PIL reader), computation_time 0: samples/s and CPU µs per
 * sample. Default 100 k files of ~4 KiB (`--files N`). jpeg-js needs ~11 ms to encode even a
 * 64×64 image (its encoder builds its tables on every call), so the bench generates 1,000 files
 * with dl-driver and copies them under the other names (the content repeats every 1,000 files;
 * reading does not care).
 *
 *   deno task bench (runs it), or: deno run -A scripts/bench_retinanet.ts [--files N] [--dir D]
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { cliJson } from "./_bench_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: ".bench" },
    files: { type: "string", default: "100000" },
  },
});
const root = resolve(values.dir!, "retinanet");
const files = Number(values.files);
const common = [
  "workload=retinanet_b200",
  `dataset.data_folder=${join(root, "data")}`,
  "dataset.record_length_bytes=4096",
  "storage.skip_listing=True",
  "dataset.listing_validation_interval=1000",
  "reader.read_threads=2",
  "train.epochs=1",
  "train.computation_time=0",
];

const TEMPLATES = Math.min(1000, files);
const seedDir = join(root, "seed");
const g = await cliJson([
  "generate",
  ...common.map((a) => a.replace(/^dataset\.data_folder=.*/, `dataset.data_folder=${seedDir}`)),
  `dataset.num_files_train=${TEMPLATES}`,
  "--threads",
  "8",
]);
const name = (i: number, n: number) =>
  `img_${String(i).padStart(String(n).length, "0")}_of_${n}.jpeg`;
await Deno.mkdir(join(root, "data", "train"), { recursive: true });
for (let i = 0; i < files; i++) {
  await Deno.copyFile(
    join(seedDir, "train", name(i % TEMPLATES, TEMPLATES)),
    join(root, "data", "train", name(i, files)),
  );
}
console.log(
  `  ${files.toLocaleString("en")} JPEG files (~4 KiB; ${TEMPLATES} generated in ` +
    `${(g.seconds as number).toFixed(1)} s, copied under the other names)`,
);
for (const decode of ["False", "True"]) {
  const r = await cliJson([
    "run",
    ...common,
    `dataset.num_files_train=${files}`,
    `reader.decode_images=${decode}`,
    "-o",
    join(root, `out-${decode}`),
  ]);
  const sps = r.throughput_samples_per_sec;
  const cpuUs = (r.cpu_seconds / r.total_samples) * 1e6;
  console.log(
    `  ${decode === "False" ? "as bytes (v3.0 DLIO)" : "decoded (mozjpeg)   "}: ` +
      `${sps.toFixed(0)} samples/s, ${cpuUs.toFixed(0)} CPU µs per sample, ` +
      `${(r.total_bytes / 2 ** 20 / r.train_time_secs).toFixed(1)} MiB/s`,
  );
}
await Deno.remove(root, { recursive: true }).catch(() => {});
