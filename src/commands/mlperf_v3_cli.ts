/**
 * `dl-driver mlperf <closed|open|whatif> <training|checkpointing> <model> <command> [file|object]`:
 * mlpstorage v3.0's commands, checked against the mode's rules before anything is read or
 * written, with results in v3.0's tree (`mlperf_tree.ts`): datasize (v3.0's rounding, the larger
 * of declared and measured memory), datagen (with the manifest), run (a warm-up in `warmup/`,
 * then the measured runs in `run/`, reading images as bytes as v3.0's DLIO does), configview,
 * and checkpointing.
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { resolveConfig } from "../config/resolve.ts";
import { UserError } from "../errors.ts";
import { generateDataset } from "../generate/generate.ts";
import { hostInfo } from "../metrics/host.ts";
import { checkpointBytes } from "../checkpoint/layout.ts";
import {
  aggregateRuns,
  CHECKPOINT_MODELS,
  checkpointingSetup,
  checkpointingUnit,
  checkRun,
  datasize,
  overrideKey,
} from "./mlperf.ts";
import { type Call, need, num } from "./mlperf_args.ts";
import { checkpointingCmd, trainingRuns } from "./mlperf_cli.ts";
import {
  commandDir,
  fsSeparation,
  type LeafMetadata,
  manifestFiles,
  newLeaf,
  openTree,
  type Tree,
  writeLeaf,
  writeManifest,
  writeSystemStub,
} from "./mlperf_tree.ts";
import { checkPair, checkParams, type V3Command } from "./mlperf_v3.ts";
import { startTimeseries } from "./mlperf_timeseries.ts";

type V3Call = Call & { v3: V3Command };

/** The metadata fields every leaf of this call shares. */
function metadata(c: V3Call, command: string, over: Partial<LeafMetadata>): LeafMetadata {
  const h = hostInfo();
  return {
    benchmark_type: c.v3.benchmark,
    model: c.v3.model,
    command,
    num_processes: Number(c.o["num-accelerators"] ?? c.o["num-processes"] ?? 1),
    accelerator: c.o["accelerator-type"] ?? null,
    parameters: {},
    override_parameters: Object.fromEntries(
      c.params.map((p) => [overrideKey(p), p.slice(p.indexOf("=") + 1)]),
    ),
    verification: "CLOSED",
    args: { ...c.o, mode: c.v3.mode, storage: c.v3.storage },
    invocation_start_time: new Date().toISOString(),
    exit_status: 0,
    runtime: 0,
    host: { hostname: h.hostname, memoryGiB: h.memoryGB, cpus: h.cpuCount },
    ...over,
  };
}

/** `training <model> datasize`: v3.0's rounding (up) and the larger of declared and measured memory. */
async function datasizeV3(c: V3Call): Promise<number> {
  const { o, v3, log } = c;
  const accel = need(o["accelerator-type"], "accelerator-type");
  checkPair(v3.mode, v3.model, accel);
  const declared = num(o["client-host-memory-in-gb"], "client-host-memory-in-gb");
  const measured = hostInfo().memoryGB;
  const memory = Math.max(declared, measured);
  const accelerators = num(o["max-accelerators"] ?? o["num-accelerators"], "max-accelerators");
  const clients = num(o["num-client-hosts"], "num-client-hosts", 1);
  const r = datasize({
    model: v3.model,
    accelerator: accel,
    accelerators,
    clients,
    clientMemoryGiB: memory,
    round: "ceil",
  });
  const subfolders = r.numFilesTrain > 10_000 ? Math.ceil(r.numFilesTrain / 10_000) : 0;
  const tree = await openTree(v3.mode, o["results-dir"], o.systemname);
  const leaf = await newLeaf(commandDir(tree, "training", v3.model, "datasize"));
  const lines = [
    `Memory: ${memory.toFixed(1)} GiB per client (declared ${declared}, measured ` +
    `${measured.toFixed(1)}: the larger)`,
    `Number of training files: ${r.numFilesTrain}`,
    `Number of training subfolders: ${subfolders}`,
    `Total disk space required for training: ${(r.datasetBytes / 2 ** 30).toFixed(2)} GiB`,
    `generate it: dl-driver mlperf ${v3.mode} training ${v3.model} datagen file ` +
    `--data-dir DIR --results-dir ${tree.resultsDir} --systemname ${tree.system} ` +
    `--params dataset.num_files_train=${r.numFilesTrain}` +
    (subfolders ? ` dataset.num_subfolders_train=${subfolders}` : ""),
  ];
  await writeLeaf(
    leaf,
    metadata(c, "datasize", {
      num_processes: accelerators,
      parameters: {
        dataset: {
          num_files_train: r.numFilesTrain,
          num_subfolders_train: subfolders,
          total_disk_bytes: r.datasetBytes,
        },
      },
      args: {
        model: v3.model,
        accelerator_type: accel,
        max_accelerators: accelerators,
        client_host_memory_in_gb: declared,
        num_client_hosts: clients,
        data_dir: o["data-dir"] ?? null,
      },
    }),
    lines.join("\n") + "\n",
    "",
  );
  if (o.json) log(JSON.stringify({ ...r, subfolders, memoryGiB: memory, leaf: leaf.dir }, null, 2));
  else for (const l of lines) log(l);
  return 0;
}

/** `training <model> datagen`: the dataset in D/<model>, its leaf, and the manifest. */
async function datagenV3(c: V3Call): Promise<number> {
  const { o, v3, log, params } = c;
  checkParams(v3.mode, params.map(overrideKey), o["allow-invalid-params"] ?? false);
  const tree = await openTree(v3.mode, o["results-dir"], o.systemname);
  const data = join(need(o["data-dir"], "data-dir"), v3.model);
  const rc = resolveConfig({
    args: [`workload=${v3.model}_datagen`, `dataset.data_folder=${data}`, ...params],
    requireRunnable: true,
  });
  const leaf = await newLeaf(commandDir(tree, "training", v3.model, "datagen"));
  const t0 = Date.now();
  // -np: mlpstorage's datagen processes; here the concurrent file writers.
  const writers = o["num-processes"] === undefined
    ? undefined
    : num(o["num-processes"], "num-processes");
  const g = await generateDataset(rc.config, { quiet: o.quiet, threads: writers });
  const d = rc.config.dataset;
  const line = `generated ${g.files} files in ${g.location} (${g.written} written, ` +
    `${g.skipped} kept)`;
  await writeLeaf(
    leaf,
    metadata(c, "datagen", {
      parameters: rc.composed,
      num_processes: Number(o["num-processes"] ?? 1),
      runtime: (Date.now() - t0) / 1000,
    }),
    line + "\n",
    "",
  );
  await writeManifest(data, {
    model: v3.model,
    files: d.num_files_train,
    nspf: d.num_samples_per_file,
    record: d.record_length_bytes,
    leaf: leaf.dir,
  });
  log(line);
  return 0;
}

/** `training <model> run`: a warm-up (in `warmup/`) and the measured runs (in `run/`). */
async function runV3(
  c: V3Call,
  tree: Tree,
  accel: string,
  verdict: LeafMetadata["verification"],
): Promise<number> {
  const { o, v3, log, params } = c;
  const h = hostInfo();
  await writeSystemStub(tree, v3.storage, {
    hostname: h.hostname,
    memoryGiB: h.memoryGB,
    cpus: h.cpuCount,
  });
  const data = join(need(o["data-dir"], "data-dir"), v3.model);
  const generated = await manifestFiles(data);
  const fs = await fsSeparation(data, tree.resultsDir);
  if (!fs.separate) {
    console.error(
      `dl-driver: warning: rule 3.4.2: ${fs.data_dir} and ${fs.results_dir} are on the same ` +
        "file system (a submission needs them apart)",
    );
  }
  // What mlpstorage injects (its checker calls them tool-injected, never the user's): names
  // derived, not listed; the generated count from the datagen manifest. And dl-driver's own
  // (kept out of overrides.yaml): images read as bytes, the page cache dropped before every
  // epoch, files dealt round-robin and trimmed to equal shares, as v3.0's DLIO does.
  const injected = [
    "dataset.skip_listing=True",
    ...(generated ? [`dataset.num_files_generated=${generated}`] : []),
  ];
  const started = new Date().toISOString();
  let series: ReturnType<typeof startTimeseries> | undefined;
  const { n, metrics, folders } = await trainingRuns(c, {
    base: [`workload=${v3.model}_${accel}`, `dataset.data_folder=${data}`, ...params, ...injected],
    tool: [
      "reader.decode_images=False",
      "reader.drop_page_cache=fadvise",
      "reader.file_trimming=mlperf_v3",
    ],
    runs: num(o.runs, "runs", 5),
    folder: async (i) => {
      series = startTimeseries();
      return (await newLeaf(commandDir(tree, "training", v3.model, i === 0 ? "warmup" : "run")))
        .dir;
    },
    after: async (i, folder, r, rc) => {
      const stamp = folder.slice(folder.lastIndexOf("/") + 1);
      const timeseries = await series!.stop(folder, "training", stamp, h.hostname);
      await Deno.writeTextFile(
        join(folder, "fs_separation.json"),
        JSON.stringify(fs, null, 2) + "\n",
      );
      await writeLeaf(
        { dir: folder, stamp },
        metadata(c, "run", {
          // The warm-up says so (mlpstorage counts every run leaf it finds as measured).
          ...(i === 0 && { args: { ...c.o, mode: v3.mode, storage: v3.storage, warmup: true } }),
          parameters: rc.composed,
          verification: verdict,
          invocation_start_time: started,
          runtime: Number(r.report.total_execution_time_secs ?? 0),
          timeseries_data: timeseries,
        }),
        r.summaryText,
        "",
      );
    },
  });
  const agg = aggregateRuns(metrics);
  const checks = await Promise.all(folders.map((f) => checkRun(f)));
  const category = checks.some((x) => x.category === "INVALID")
    ? "INVALID"
    : checks.some((x) => x.category === "OPEN")
    ? "OPEN"
    : "CLOSED";
  const result = { model: v3.model, accelerator: accel, num_accelerators: n, category, ...agg };
  if (o.json) log(JSON.stringify({ ...result, folders }, null, 2));
  else {
    log(
      `${category} (dl-driver's verdict under the rules): mean of ${folders.length} runs: ` +
        `AU ${agg.train_au_mean_percentage} %, ${agg.train_throughput_mean_samples_per_second} ` +
        `samples/s, ${agg.train_io_mean_MB_per_second} MB/s`,
    );
    for (const x of checks) for (const why of x.reasons) log(`  ${x.folder}: ${why}`);
  }
  return 0;
}

/** `training <model> configview`: the workload as it would run (composed, as DLIO sees it). */
function configview(c: V3Call, accel: string): number {
  const rc = resolveConfig({ args: [`workload=${c.v3.model}_${accel}`, ...c.params] });
  c.log(stringify({ workload: rc.composed }).trimEnd());
  return 0;
}

/** `checkpointing <model> <datasize|run>`: v3.0's accelerator and count rules, its tree. */
async function checkpointingV3(c: V3Call): Promise<number> {
  const { o, v3 } = c;
  if (!CHECKPOINT_MODELS[v3.model]) {
    throw new UserError(
      `mlperf ${v3.mode} checkpointing: unknown model '${v3.model}' (${
        Object.keys(CHECKPOINT_MODELS).join(", ")
      })`,
    );
  }
  const call = { ...c, sub: v3.command, o: { ...o, model: v3.model } };
  if (v3.command === "datasize") return await checkpointingCmd(call);
  const accel = need(o["accelerator-type"], "accelerator-type");
  const accels = v3.mode === "whatif" ? ["b200", "mi355", "h100", "a100"] : ["b200", "mi355"];
  if (!accels.includes(accel)) {
    throw new UserError(
      `mlperf ${v3.mode} checkpointing: --accelerator-type is ${accels.join(", ")}`,
    );
  }
  for (const k of ["num-checkpoints-write", "num-checkpoints-read"] as const) {
    if (v3.mode === "closed" && o[k] !== undefined && !["0", "10"].includes(o[k]!)) {
      throw new UserError(`mlperf closed checkpointing: --${k} must be 10 or 0, got ${o[k]}`);
    }
  }
  const procs = Number(o["num-processes"] ?? CHECKPOINT_MODELS[v3.model]!.closed);
  checkProcesses(v3, procs);
  const short = memoryShortfall(v3.model, procs, accel, c.params);
  if (short) console.error(`dl-driver: warning: ${short}`);
  const tree = await openTree(v3.mode, o["results-dir"], o.systemname);
  const leaf = await newLeaf(commandDir(tree, "checkpointing", v3.model));
  const out: string[] = [];
  const t0 = Date.now();
  await checkpointingCmd({ ...call, output: leaf.dir, log: (s) => (out.push(s), c.log(s)) });
  const rc = resolveConfig({ args: [`workload=${CHECKPOINT_MODELS[v3.model]!.workload}`] });
  await writeLeaf(
    leaf,
    metadata(c, "run", { parameters: rc.composed, runtime: (Date.now() - t0) / 1000 }),
    out.join("\n") + "\n",
    "",
  );
  return 0;
}

/**
 * v3.0's process counts, before launch (#792, #841): CLOSED runs the model's count (8/64/512/
 * 1024; 8B's subset is 8 too); OPEN a multiple of TP·PP; whatif anything.
 */
function checkProcesses(v3: V3Command, procs: number): void {
  const m = CHECKPOINT_MODELS[v3.model]!;
  if (v3.mode === "closed" && procs !== m.closed) {
    throw new UserError(
      `mlperf closed checkpointing: ${v3.model} runs on exactly ${m.closed} processes in ` +
        `CLOSED, not ${procs} (other counts are INVALID; whatif plans them)`,
    );
  }
  if (v3.mode === "open") {
    const unit = checkpointingUnit(v3.model);
    if (procs % unit !== 0) {
      throw new UserError(
        `mlperf open checkpointing: ${v3.model} needs a multiple of TP·PP = ${unit} processes, ` +
          `not ${procs}`,
      );
    }
  }
}

/** Memory of one accelerator (GB, 10^9 B; Rules Table 3). */
const ACCELERATOR_GB: Record<string, number> = { b200: 180, mi355: 288, h100: 80, a100: 80 };

/**
 * Rule 4.3.4: the processes' accelerators must hold the checkpoint (a warning in the v3.0
 * round). Returns the shortfall's message, if any.
 */
function memoryShortfall(
  model: string,
  procs: number,
  accel: string,
  params: string[],
): string | undefined {
  const ck = checkpointingSetup(model, procs, params).config;
  const need = checkpointBytes(ck, procs) / 1e9, have = procs * ACCELERATOR_GB[accel]!;
  if (need <= have) return undefined;
  return `rule 4.3.4: ${procs} × ${accel} (${ACCELERATOR_GB[accel]} GB each, ${have} GB) ` +
    `cannot hold the ${need.toFixed(0)} GB checkpoint of ${model} (a warning in v3.0)`;
}

/** Run a v3.0 command. */
export async function v3Main(c: V3Call): Promise<number> {
  const { v3, o } = c;
  if (v3.benchmark === "checkpointing") return await checkpointingV3(c);
  if (v3.command === "datasize") return await datasizeV3(c);
  if (v3.command === "datagen") {
    if (v3.mode !== "whatif") checkPair(v3.mode, v3.model, o["accelerator-type"] ?? "b200");
    return await datagenV3(c);
  }
  const accel = need(o["accelerator-type"], "accelerator-type");
  checkPair(v3.mode, v3.model, accel);
  if (v3.command === "configview") return configview(c, accel);
  // The mode's parameter rules before anything is read or written.
  const verdict = checkParams(
    v3.mode,
    c.params.map(overrideKey),
    o["allow-invalid-params"] ?? false,
  );
  const tree = await openTree(v3.mode, o["results-dir"], o.systemname);
  return await runV3(c, tree, accel, verdict);
}
