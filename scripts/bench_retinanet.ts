/**
 * Retinanet-like benchmark (MLPerf Storage v3.0's CLOSED workload): many small JPEG files read
 * as bytes (`reader.decode_images=False`, as v3.0's DLIO reads them) with skip_listing, and the
 * same files decoded (upstream DLIO's PIL reader), computation_time 0: samples/s and CPU µs per
 * sample. Default 100 k files of ~4 KiB (`--files N`; scripts/_jpegs.ts makes them).
 *
 *   deno task bench (runs it), or: deno run -A scripts/bench_retinanet.ts [--files N] [--dir D]
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { cliJson } from "./_bench_cli.ts";
import { smallJpegs } from "./_jpegs.ts";

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
  "dataset.record_length_bytes=4096",
  "storage.skip_listing=True",
  "dataset.listing_validation_interval=1000",
  "reader.read_threads=2",
  "train.epochs=1",
  "train.computation_time=0",
];
// The same files as bench_efficiency's JPEG row (made once per bench run).
const data = await smallJpegs(resolve(values.dir!, "jpegs"), files, common);
common.push(`dataset.data_folder=${data}`);
console.log(`  ${files.toLocaleString("en")} JPEG files (~4 KiB)`);
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
for (const d of [root, resolve(values.dir!, "jpegs")]) {
  await Deno.remove(d, { recursive: true }).catch(() => {});
}
