/**
 * Memory benchmark: peak RSS of a synthetic run (no I/O: the pipeline and the metrics alone) at
 * growing numbers of samples read (default 1 M, 10 M and 50 M; goal: the largest within 1.2× of
 * the smallest), and the histogram percentile error against exact values on the 1 M-sample run
 * (its `--latency-lists` file holds every value); peak RSS at batch 1 (one step per sample:
 * per-step timers) at 200 k and 1 M steps; and peak RSS of generating 20 k and 200 k files (flat
 * in the file count: files are planned as they are written).
 *
 *   deno task bench (runs it), or: deno run -A scripts/bench_memory.ts [--samples 1e6,1e7] [--dir D]
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { cliJson } from "./_bench_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: ".bench" },
    samples: { type: "string", default: "1e6,1e7,5e7" },
  },
});
const root = resolve(values.dir!, "memory");
const PER_FILE = 1000;

/** One synthetic run of `n` samples; returns its report. */
async function run(
  n: number,
  extra: string[] = [],
  batch = 1024,
): Promise<Record<string, unknown>> {
  const files = Math.ceil(n / PER_FILE);
  return await cliJson([
    "run",
    "workload=demo",
    "dataset.format=synthetic",
    `dataset.data_folder=${join(root, `data-${files}`)}`,
    `dataset.num_files_train=${files}`,
    `dataset.num_samples_per_file=${PER_FILE}`,
    "dataset.num_files_eval=0",
    "dataset.record_length_bytes=16",
    "dataset.record_length_bytes_stdev=0",
    "dataset.record_length_bytes_resize=0",
    `reader.batch_size=${batch}`,
    "train.computation_time=0",
    "train.epochs=1",
    "storage.skip_listing=True",
    ...extra,
    "-o",
    join(root, `out-${n}-${batch}`),
  ]);
}

const sizes = values.samples!.split(",").map(Number).sort((a, b) => a - b);
const rss: [number, number, number][] = [];
let first: Record<string, unknown> | undefined;
for (const n of sizes) {
  const rep = await run(n, n === sizes[0] ? ["--latency-lists"] : []);
  first ??= rep;
  const mb = (rep.peak_rss_bytes as number) / 2 ** 20;
  rss.push([rep.total_samples as number, mb, rep.throughput_samples_per_sec as number]);
  console.log(
    `  ${(rep.total_samples as number).toLocaleString("en")} samples read: peak RSS ` +
      `${mb.toFixed(0)} MiB (${(rep.throughput_samples_per_sec as number).toFixed(0)} samples/s)`,
  );
}
console.log(
  `  largest ÷ smallest peak RSS: ${(rss.at(-1)![1] / rss[0]![1]).toFixed(2)}× (goal ≤ 1.2×)`,
);

// Histogram percentiles vs exact percentiles of every value the 1 M-sample run streamed.
const out = join(root, `out-${sizes[0]}-1024`);
// h2d (the copy into the batch buffer) is the synthetic run's stage with real, varied times.
const h2d: number[] = [];
for (const f of first!.latency_list_files as string[]) {
  const text = new TextDecoder().decode(gunzipSync(Deno.readFileSync(join(out, f))));
  for (const line of text.split("\n").slice(1)) if (line) h2d.push(Number(line.split("\t")[6]));
}
const sorted = Float64Array.from(h2d).sort();
const exact = (p: number) => {
  const r = (p / 100) * (sorted.length - 1), lo = Math.floor(r);
  return sorted[lo]! + (sorted[Math.ceil(r)]! - sorted[lo]!) * (r - lo);
};
for (const p of [50, 95, 99]) {
  const got = first![`h2d_p${p}_latency_ms`] as number, want = exact(p);
  const err = want > 0 ? Math.abs(got - want) / want : Math.abs(got - want);
  console.log(
    `  h2d p${p} over ${sorted.length.toLocaleString("en")} samples: histogram ` +
      `${got.toFixed(6)} ms, exact ${want.toFixed(6)} ms, error ${
        (100 * err).toFixed(3)
      } % (bound 0.78 %)`,
  );
}

// Per-step timers: batch 1, so one step per sample (DLIO's per-step lists stream to a spool).
const stepRss: number[] = [];
for (const n of [200_000, 1_000_000]) {
  const rep = await run(n, [], 1);
  stepRss.push((rep.peak_rss_bytes as number) / 2 ** 20);
  console.log(
    `  batch 1, ${n.toLocaleString("en")} steps: peak RSS ${stepRss.at(-1)!.toFixed(0)} MiB`,
  );
}
console.log(`  1 M ÷ 200 k steps peak RSS: ${(stepRss[1]! / stepRss[0]!).toFixed(2)}×`);

// Generation: peak RSS by files written (tiny synthetic files: the planning and bookkeeping).
const gen: number[] = [];
for (const files of [20_000, 200_000]) {
  // A capped V8 heap proves nothing is kept per file (the run would fail, not grow).
  const g = await cliJson([
    "generate",
    "workload=demo",
    "dataset.format=synthetic",
    `dataset.data_folder=${join(root, `gen-${files}`)}`,
    `dataset.num_files_train=${files}`,
    "dataset.num_files_eval=0",
    "--threads",
    "8",
  ], ["--v8-flags=--max-old-space-size=48"]);
  gen.push(g.peak_rss_bytes / 2 ** 20);
  console.log(
    `  generate ${files.toLocaleString("en")} files (V8 heap capped at 48 MiB): peak RSS ` +
      `${gen.at(-1)!.toFixed(0)} MiB (${g.seconds.toFixed(1)} s)`,
  );
}
console.log(`  200 k ÷ 20 k files peak RSS: ${(gen[1]! / gen[0]!).toFixed(2)}×`);
// RSS per emulated accelerator: N accelerators in one process share one engine of reader
// threads (issue target: ≤ 64 MiB each, plus batch buffers).
const perAcc: number[] = [];
for (const n of [1, 4, 16]) {
  const rep = await run(204_800, ["--accelerators", String(n)], 8);
  const mb = (rep.peak_rss_bytes as number) / 2 ** 20;
  perAcc.push(mb);
  console.log(
    `  ${n} accelerator${n === 1 ? "" : "s"} (${rep.io_threads} reader threads): peak RSS ` +
      `${mb.toFixed(0)} MiB, ${(mb / n).toFixed(1)} MiB per accelerator`,
  );
}
console.log(
  `  each accelerator beyond the first: ${((perAcc[2]! - perAcc[0]!) / 15).toFixed(1)} MiB ` +
    "(goal ≤ 64 MiB)",
);
await Deno.remove(root, { recursive: true }).catch(() => {});
