/**
 * S3 GET throughput from the moto server bench.sh starts (64 objects of 4 MiB) at 1, 4, 8 and 16
 * concurrent GETs (`read_threads`). Part of `deno task bench`; skipped without moto_server.
 *   deno run -A scripts/bench_s3.ts [--dir DIR]   (with DL_DRIVER_TEST_S3_ENDPOINT set)
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { resolveConfig } from "../src/config/resolve.ts";
import { runWorkload } from "../src/run/lifecycle.ts";
import { generateDataset } from "../src/generate/generate.ts";
import { EVERY_FILE } from "./_bench_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { dir: { type: "string", default: ".bench" } },
});
const root = resolve(values.dir!);

function workload(rt: number, epochs: number, s3args: string[]) {
  return resolveConfig({
    args: [
      "workload=demo",
      "dataset.num_files_eval=0",
      `dataset.record_length_bytes=${4 * 2 ** 20}`,
      "dataset.record_length_bytes_stdev=0",
      "dataset.record_length_bytes_resize=0",
      "workflow.generate_data=False",
      "workflow.evaluation=False",
      "reader.batch_size=4",
      `reader.read_threads=${rt}`,
      "reader.prefetch_size=2",
      "reader.file_shuffle=off",
      "reader.sample_shuffle=off",
      "train.computation_time=0",
      `train.epochs=${epochs}`,
      EVERY_FILE,
      ...s3args,
    ],
    requireRunnable: true,
  });
}

const endpoint = Deno.env.get("DL_DRIVER_TEST_S3_ENDPOINT");
if (!endpoint) {
  console.log("s3: skipped (no moto_server; bench.sh starts one when it is installed)");
  Deno.exit(0);
}
const { newBucket, s3Options } = await import("../tests/_servers.ts");
const bucket = await newBucket(endpoint);
const s3args = [
  `dataset.data_folder=s3://${bucket}/bench`,
  "dataset.num_files_train=64",
  ...Object.entries(s3Options(endpoint)).map(([k, v]) => `storage.storage_options.${k}=${v}`),
];
await generateDataset(workload(1, 1, s3args).config, { quiet: true, log: () => {}, threads: 8 });
console.log("S3 GET from moto on 127.0.0.1 (64 objects of 4 MiB; moto is the limit here)");
console.log("read_threads (concurrent GETs)   GB/s   GETs/s");
const out = [];
for (const t of [1, 4, 8, 16]) {
  const r = await runWorkload(workload(t, 2, s3args), {
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
await Deno.writeTextFile(join(root, "s3.json"), JSON.stringify(out, null, 2) + "\n");
