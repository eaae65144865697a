/**
 * `dl-driver mlperf <command>`: MLPerf Storage's workflow (mlpstorage's commands, dl-driver
 * underneath).
 *
 *   mlperf datasize  --model M --accelerator-type T --num-accelerators A --num-client-hosts H
 *                    --client-host-memory-in-gb G
 *   mlperf datagen   --model M --data-dir D [--num-files-train N] [--param k=v ...]
 *   mlperf run       --model M --accelerator-type T --num-accelerators A --data-dir D
 *                    [--results-dir R] [--runs 5] [--param k=v ...]
 *   mlperf check     <results folder>
 *   mlperf reportgen --results-dir R
 *   mlperf checkpointing datasize|run --model llama3-8b --num-processes N
 *                    [--checkpoint-folder F] [--num-checkpoints-write 10] [--num-checkpoints-read 10]
 * @module
 */
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { resolveConfig, type ResolvedConfig } from "../config/resolve.ts";
import { checkpointBytes, rankFiles } from "../checkpoint/layout.ts";
import { generateDataset } from "../generate/generate.ts";
import { runStamp } from "../run/output_dir.ts";
import { runWorkload } from "../run/lifecycle.ts";
import type { RunResult } from "../run/options.ts";
import {
  aggregateRuns,
  CHECKPOINT_MODELS,
  checkpointingSetup,
  checkRun,
  datasize,
  MLPERF_MODELS,
  REPORT_CSV,
  REPORT_JSON,
  reportgen,
  rulesOf,
} from "./mlperf.ts";
import { type Call, need, num, parse } from "./mlperf_args.ts";
import { initResults } from "./mlperf_tree.ts";
import { helpText, MODES, normaliseArgv, parseV3 } from "./mlperf_v3.ts";

const USAGE = "mlperf <closed|open|whatif> <training|checkpointing> <model> <command>, or " +
  "mlperf init|check|reportgen|datasize|datagen|run|checkpointing (mlperf --help)";

/** `mlperf datasize`: the dataset size the rules ask for. */
function datasizeCmd({ o, model, log }: Call): Promise<number> {
  const r = datasize({
    model: need(o.model, "model"),
    accelerator: need(o["accelerator-type"], "accelerator-type"),
    accelerators: num(o["num-accelerators"], "num-accelerators"),
    clients: num(o["num-client-hosts"], "num-client-hosts", 1),
    clientMemoryGiB: num(o["client-host-memory-in-gb"], "client-host-memory-in-gb"),
  });
  if (o.json) log(JSON.stringify(r, null, 2));
  else {
    log(
      `${model}: num_files_train = ${r.numFilesTrain} (5 × client memory needs ${r.byMemory}; ` +
        `500 steps per epoch need ${r.bySteps}); ${(r.datasetBytes / 2 ** 30).toFixed(1)} GiB`,
    );
    log(
      `generate it: dl-driver mlperf datagen --model ${model} --data-dir DIR ` +
        `--num-files-train ${r.numFilesTrain}`,
    );
  }
  return Promise.resolve(0);
}

/** `mlperf datagen`: generate the model's dataset. */
async function datagenCmd({ o, params, model, log }: Call): Promise<number> {
  const dir = need(o["data-dir"], "data-dir");
  const args = [
    `workload=${need(o.model, "model")}_datagen`,
    `dataset.data_folder=${join(dir, model)}`,
    ...(o["num-files-train"] ? [`dataset.num_files_train=${o["num-files-train"]}`] : []),
    ...params,
  ];
  const g = await generateDataset(resolveConfig({ args, requireRunnable: true }).config, {
    quiet: o.quiet,
  });
  log(`generated ${g.files} files in ${g.location} (${g.written} written, ${g.skipped} kept)`);
  return 0;
}

/** How a series of training runs is laid out. */
export interface RunPlan {
  /** The workload and the user's overrides. */
  base: string[];
  /** Overrides the tool sets for itself (applied, not listed as the user's). */
  tool: string[];
  /** Measured runs after the warm-up. */
  runs: number;
  /** The results folder of run `i` (0: the warm-up). */
  folder: (i: number, label: string) => Promise<string>;
  /** Called after each run (v3.0's metadata and logs), with the config it ran. */
  after?: (i: number, folder: string, r: RunResult, rc: ResolvedConfig) => Promise<void>;
}

/** A warm-up run, then `runs` measured runs; the seed changes for every run (the rules). */
export async function trainingRuns(c: Call, plan: RunPlan) {
  const { o, log } = c;
  const n = num(o["num-accelerators"], "num-accelerators");
  const seed0 = resolveConfig({ args: plan.base }).config.train.seed;
  const metrics: Record<string, number>[] = [];
  const folders: string[] = [];
  const toolKeys = ["train.seed", ...plan.tool.map((t) => t.split("=")[0]!)];
  for (let i = 0; i <= plan.runs; i++) {
    const label = i === 0 ? "warmup" : `run${i}`;
    const output = await plan.folder(i, label);
    const args = [...plan.base, ...plan.tool, `train.seed=${seed0 + i}`];
    const rc = resolveConfig({ args, requireRunnable: true });
    const r = await runWorkload(rc, {
      accelerators: n,
      quiet: true,
      log: () => {},
      output,
      toolKeys,
    });
    await plan.after?.(i, output, r, rc);
    const summary = JSON.parse(await Deno.readTextFile(join(output, "summary.json")));
    if (i > 0) {
      metrics.push(summary.metric);
      folders.push(output);
    }
    if (!o.quiet) {
      const au = (r.report.train_au_mean_percentage as number).toFixed(2);
      const sps = (r.report.train_throughput_mean_samples_per_second as number).toFixed(2);
      log(`${label}: AU ${au} %, ${sps} samples/s → ${output}`);
    }
  }
  return { n, metrics, folders };
}

/** `mlperf run`: warm-up and measured runs, their mean, and the rules' verdict. */
async function runCmd(c: Call): Promise<number> {
  const { o, params, model, log } = c;
  const accel = need(o["accelerator-type"], "accelerator-type");
  if (!MLPERF_MODELS[need(o.model, "model")]) {
    throw new UserError(
      `mlperf: unknown model '${model}' (${Object.keys(MLPERF_MODELS).join(", ")})`,
    );
  }
  const runs = num(o.runs, "runs", 5);
  const results = join(o["results-dir"] ?? "results", "training", model, "run");
  const base = [
    `workload=${model}_${accel}`,
    `dataset.data_folder=${join(need(o["data-dir"], "data-dir"), model)}`,
    ...params,
  ];
  const stamp = runStamp(Date.now());
  const { n, metrics, folders } = await trainingRuns(c, {
    base,
    // mlperf_storage_v2.0's DLIO reads every file (no trimming).
    tool: ["reader.file_trimming=none"],
    runs,
    folder: (_i, label) => Promise.resolve(join(results, `${stamp}-${label}`)),
  });
  const agg: Record<string, unknown> = { ...aggregateRuns(metrics), folders };
  const checks = await Promise.all(folders.map((f) => checkRun(f, rulesOf(o.rules))));
  const category = checks.some((c) => c.category === "INVALID")
    ? "INVALID"
    : checks.some((c) => c.category === "OPEN")
    ? "OPEN"
    : "CLOSED";
  const result = { model, accelerator: accel, num_accelerators: n, category, ...agg };
  await Deno.writeTextFile(
    join(results, `${stamp}-result.json`),
    JSON.stringify(result, null, 2) + "\n",
  );
  if (o.json) log(JSON.stringify(result, null, 2));
  else {
    log(
      `${category}: mean of ${runs} runs: AU ${agg.train_au_mean_percentage} %, ` +
        `${agg.train_throughput_mean_samples_per_second} samples/s, ` +
        `${agg.train_io_mean_MB_per_second} MB/s` +
        (agg.within_5_percent ? "" : " (runs differ by more than 5 %)"),
    );
    for (const c of checks) for (const why of c.reasons) log(`  ${c.folder}: ${why}`);
  }
  return 0;
}

/** `mlperf check <folder>`: CLOSED, OPEN or INVALID, with the reasons. */
async function checkCmd({ o, sub, log }: Call): Promise<number> {
  const c = await checkRun(need(sub, "results folder"), rulesOf(o.rules));
  if (o.json) log(JSON.stringify(c, null, 2));
  else {
    log(`${c.category}: ${c.folder}` + c.reasons.map((r) => `\n  ${r}`).join(""));
    if (c.category !== "INVALID") {
      log(
        `(dl-driver's verdict under the ${rulesOf(o.rules)} rules: it would be ${c.category}; ` +
          "a CLOSED submission must be produced by the unmodified mlpstorage)",
      );
    }
  }
  return 0;
}

/** `mlperf reportgen`: every run under a results folder, checked, into dl-driver-results.json/csv. */
async function reportgenCmd({ o, log }: Call): Promise<number> {
  const dir = need(o["results-dir"], "results-dir");
  const runs = await reportgen(dir, rulesOf(o.rules));
  for (const cat of ["CLOSED", "OPEN", "INVALID"]) {
    const these = runs.filter((r) => r.category === cat);
    if (these.length) log(`${cat}: ${these.map((r) => r.folder).join(", ")}`);
  }
  log(`${runs.length} runs → ${join(dir, REPORT_JSON)}, ${join(dir, REPORT_CSV)}`);
  return 0;
}

/** `mlperf checkpointing datasize|run`. */
export async function checkpointingCmd(c: Call): Promise<number> {
  const { o, sub, params, model, log } = c;
  const m = CHECKPOINT_MODELS[need(o.model, "model")];
  if (!m) throw new UserError(`mlperf: unknown checkpointing model '${model}'`);
  const procs = num(o["num-processes"], "num-processes", m.closed);
  const { extra, config: ck } = checkpointingSetup(model, procs);
  if (sub === "datasize") {
    const total = checkpointBytes(ck, procs);
    const perRank = Math.max(
      ...Array.from(
        { length: procs },
        (_, r) => rankFiles(ck, r, procs).reduce((a, f) => a + f.bytes, 0),
      ),
    );
    log(
      `${model} on ${procs} processes${extra.length ? " (subset mode)" : ""}: checkpoint ` +
        `${(total / 2 ** 30).toFixed(1)} GiB, at most ${(perRank / 2 ** 30).toFixed(2)} GiB per ` +
        "process; dl-driver streams it in 8 MiB chunks (~24 MiB of memory per process)",
    );
    return 0;
  }
  if (sub !== "run") {
    throw new UserError(`mlperf checkpointing: expected datasize or run, got '${sub ?? ""}'`);
  }
  const folder = join(need(o["checkpoint-folder"], "checkpoint-folder"), model);
  const rc = resolveConfig({
    args: [
      `workload=${m.workload}`,
      ...extra,
      `checkpoint.checkpoint_folder=${folder}`,
      `checkpoint.num_checkpoints_write=${o["num-checkpoints-write"] ?? 10}`,
      `checkpoint.num_checkpoints_read=${o["num-checkpoints-read"] ?? 10}`,
      ...params,
    ],
    requireRunnable: true,
  });
  const output = c.output ??
    join(o["results-dir"] ?? "results", "checkpointing", model, runStamp(Date.now()));
  const r = await runWorkload(rc, { accelerators: procs, quiet: o.quiet, output });
  log(o.json ? JSON.stringify(r.report, null, 2) : r.summaryText);
  return 0;
}

/** The subcommands. */
const SUBCOMMANDS: Record<string, (c: Call) => Promise<number>> = {
  datasize: datasizeCmd,
  datagen: datagenCmd,
  run: runCmd,
  check: checkCmd,
  reportgen: reportgenCmd,
  checkpointing: checkpointingCmd,
};

/** Run an mlperf command; returns the exit code. */
export async function mlperfMain(
  argv: string[],
  log: (s: string) => void = console.log,
): Promise<number> {
  const { values: o, positionals } = parse(normaliseArgv(argv));
  const params = (o.param ?? []).map((p) => p.replace(/^(\+\+)?(workload\.)?/, ""));
  if (o.help) {
    log(helpText(positionals));
    return 0;
  }
  if (positionals[0] === "init") {
    const file = await initResults(positionals[1], positionals[2] ?? o["results-dir"] ?? ".");
    log(`initialised ${file}`);
    return 0;
  }
  if ((MODES as readonly string[]).includes(positionals[0]!)) {
    const { v3Main } = await import("./mlperf_v3_cli.ts");
    const v3 = parseV3(positionals);
    return await v3Main({ o, params, model: v3.model, log, v3 });
  }
  const [cmd, sub] = positionals;
  const command = cmd === undefined ? undefined : SUBCOMMANDS[cmd];
  if (!command) {
    throw new UserError(
      cmd === undefined
        ? `usage: dl-driver ${USAGE}`
        : `unknown mlperf command '${cmd}'; usage: dl-driver ${USAGE}`,
    );
  }
  return await command({ o, sub, params, model: o.model ?? "", log });
}
