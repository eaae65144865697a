/**
 * Per-format generate and read throughput: MB/s, samples/s and CPU time per sample (all
 * threads of the process), for a small-sample workload (resnet50-like: ~110 KiB samples, many
 * per file) and a large-sample one (4 MiB samples, one per file). Local files, warm page cache,
 * `computation_time: 0`, 2 read threads. Part of `deno task bench`; alone:
 *   deno run -A scripts/bench_formats.ts [--formats npz,tfrecord] [--dir .bench/formats]
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { resolveConfig } from "../src/config/resolve.ts";
import { runWorkload } from "../src/run/lifecycle.ts";
import { generateDataset } from "../src/generate/generate.ts";
import { FORMATS_AVAILABLE } from "../src/formats/mod.ts";
import { EVERY_FILE } from "./_bench_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    formats: { type: "string", default: FORMATS_AVAILABLE.join(",") },
    dir: { type: "string", default: ".bench/formats" },
  },
});
const root = resolve(values.dir!);

const SHAPES = {
  small: { record: 112640, nspf: 64, files: 16, batch: 64, imageFiles: 256 },
  large: { record: 4194304, nspf: 1, files: 48, batch: 4, imageFiles: 12 },
};

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

console.log("format       shape   generate MB/s  read MB/s  read samples/s  CPU µs/sample");
const rows = [];
for (const format of values.formats!.split(",")) {
  for (const [shape, s] of Object.entries(SHAPES)) {
    const image = format === "png" || format === "jpeg";
    const files = image ? s.imageFiles : s.files;
    const nspf = image ? 1 : s.nspf;
    const args = (epochs: number) => [
      "workload=demo",
      `dataset.data_folder=${join(root, `${format}-${shape}`)}`,
      `dataset.format=${format}`,
      `dataset.num_files_train=${files}`,
      "dataset.num_files_eval=0",
      `dataset.num_samples_per_file=${nspf}`,
      `dataset.record_length_bytes=${s.record}`,
      "dataset.record_length_bytes_stdev=0",
      "dataset.record_length_bytes_resize=0",
      "workflow.generate_data=False",
      "workflow.evaluation=False",
      `reader.batch_size=${Math.min(s.batch, (files * nspf) / 2)}`,
      "reader.read_threads=2",
      "reader.file_shuffle=off",
      "reader.sample_shuffle=off",
      `reader.data_loader=${format === "tfrecord" ? "tensorflow" : "pytorch"}`,
      `framework=${format === "tfrecord" ? "tensorflow" : "pytorch"}`,
      "train.computation_time=0",
      `train.epochs=${epochs}`,
      EVERY_FILE,
    ];
    const c = resolveConfig({ args: args(1), requireRunnable: true });
    await Deno.remove(join(root, `${format}-${shape}`), { recursive: true }).catch(() => {});
    const g = await generateDataset(c.config, { quiet: true, log: () => {} });
    const genMBs = g.bytesWritten / 1e6 / g.seconds;
    const cpu0 = cpuMs();
    const r = await runWorkload(resolveConfig({ args: args(2), requireRunnable: true }), {
      quiet: true,
      log: () => {},
      output: join(root, "results", `${format}-${shape}`),
    });
    const cpu = cpuMs() - cpu0;
    const samples = r.report.total_samples as number;
    const secs = r.report.train_time_secs as number;
    const row = {
      format,
      shape,
      generate_MB_per_second: genMBs,
      read_MB_per_second: (r.report.total_bytes as number) / 1e6 / secs,
      read_samples_per_second: samples / secs,
      cpu_us_per_sample: (cpu * 1000) / samples,
    };
    rows.push(row);
    console.log(
      `${format.padEnd(19)} ${shape.padEnd(6)} ${genMBs.toFixed(0).padStart(13)}  ${
        row.read_MB_per_second.toFixed(0).padStart(9)
      }  ${row.read_samples_per_second.toFixed(0).padStart(14)}  ${
        row.cpu_us_per_sample.toFixed(0).padStart(13)
      }`,
    );
  }
}
await Deno.writeTextFile(join(root, "formats.json"), JSON.stringify(rows, null, 2) + "\n");
console.log(
  "(CPU µs/sample counts every thread of the process: reader threads' reads, decode and copies)",
);
