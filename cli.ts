#!/usr/bin/env -S deno run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi
/**
 * dl-driver command line. Thin: parses arguments, lazy-loads the command, maps errors to exit
 * codes. Only this file exits the process.
 * @module
 */
import { parseArgs } from "node:util";
import { ExitCode, formatDiagnostic, UserError } from "./src/errors.ts";
import type { ProcessComm } from "./src/train/comm.ts";
import { VERSION } from "./src/version.ts";

const HELP = `dl-driver ${VERSION}: a deep-learning I/O benchmark that runs DLIO workloads.

Usage:
  dl-driver run <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]
  dl-driver generate <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]
  dl-driver validate <workload.yaml | workload=NAME> [KEY=VALUE ...] [--json]
  dl-driver compare <results folder | report.json> ... [--json]
  dl-driver mlperf <datasize|datagen|run|check|reportgen|checkpointing> [options]
  dl-driver workloads [--config-dir DIR]
  dl-driver help | version

Commands:
  run (alias dlio)  Run the emulated training (generating the dataset first when
                    workflow.generate_data is True) and write the results.
  generate          Write the dataset (resumable: complete files are skipped).
  validate          Check a workload and print its effective settings.
  mlperf ...        MLPerf Storage: datasize, datagen, run (warm-up + 5 runs), check
                    (CLOSED/OPEN/INVALID), reportgen, checkpointing (docs/mlperf.md).
  compare A B ...   Runs side by side (results folders or report.json files), with each
                    value's ratio to the first run.
  workloads         List the bundled workloads (or those in --config-dir).

Overrides (as DLIO/Hydra users type them):
  workload=unet3d_h100                    bundled configs/workload/unet3d_h100.yaml
  ++workload.dataset.num_files_train=16   set a key (also +workload.… and the short form
  dataset.num_files_train=16              without the workload. prefix)
  ~workload.train.computation_time        reset a key to its default
  hydra.run.dir=DIR                       results folder (same as --output)

Options:
  -o, --output DIR        results folder (default results/<model.name>/<YYYYmmdd_HHMMSS>)
      --config-dir DIR    folder holding workload/NAME.yaml for workload=NAME
      --max-epochs N      stop after N epochs
      --max-steps N       stop after N training steps in total
      --accelerators N    emulate N accelerators (ranks) in this process, each with its own
                          loader and compute timeline, sharing one I/O engine (default 1).
                          Under mpirun/srun every process runs N: the job has P × N ranks
      --io-threads N      reader threads of the shared I/O engine (default read_threads × N)
      --threads N         concurrent file writes for generate (default 4)
      --json              print the report (run) or resolved config (validate) as JSON
      --latency-lists     include every per-sample latency in report.json
      --visited-items     include every visited item in report.json
      --csv-append FILE   append this run's scalar fields as one row to FILE (header when new)
      --trace             write a Chrome trace per rank (trace-<rank>-of-<ranks>.pfw; opens
                          in Perfetto): steps, compute, samples, checkpoints
  -q, --quiet             no progress bars or warnings on stderr
  -h, --help              this help
  -V, --version           print the version

Exit codes:
  0 success · 1 internal error (a bug; printed with a stack trace) · 2 bad command line or
  configuration · 3 storage or data error (missing dataset, I/O failure, corrupt file) ·
  130 interrupted
`;

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`--${name} expects a positive integer, got '${v}'`);
  }
  return n;
}

/** The MPI job this process belongs to, while a run is in progress (aborted on failure). */
let activeProcess: ProcessComm | undefined;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "mlperf") {
    // mlpstorage's own options (--model, --num-accelerators, ...): its own parser.
    const { mlperfMain } = await import("./src/commands/mlperf_cli.ts");
    try {
      return await mlperfMain(argv.slice(1));
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
        throw new UserError(`mlperf: ${(e as Error).message}`);
      }
      throw e;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: "string", short: "o" },
        "config-dir": { type: "string" },
        config: { type: "string", short: "c" },
        "max-epochs": { type: "string" },
        "max-steps": { type: "string" },
        accelerators: { type: "string" },
        "io-threads": { type: "string" },
        threads: { type: "string" },
        json: { type: "boolean" },
        "latency-lists": { type: "boolean" },
        "visited-items": { type: "boolean" },
        trace: { type: "boolean" },
        "csv-append": { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\nRun 'dl-driver help' for usage.`);
  }
  const { values: o, positionals } = parsed;
  if (o.version) {
    console.log(`dl-driver ${VERSION}`);
    return ExitCode.ok;
  }
  const [cmd, ...rest] = positionals;
  if (o.help || !cmd || cmd === "help") {
    console.log(HELP);
    return cmd || o.help ? ExitCode.ok : ExitCode.usage;
  }
  if (cmd === "version") {
    console.log(`dl-driver ${VERSION}`);
    return ExitCode.ok;
  }
  if (cmd === "workloads") {
    const { listWorkloads } = await import("./src/config/resolve.ts");
    for (const w of listWorkloads(o["config-dir"])) console.log(w);
    return ExitCode.ok;
  }
  if (cmd === "compare") {
    if (rest.length < 2) {
      throw new UserError("compare needs two or more results folders (or report.json files)");
    }
    const { compareRows, compareTable, loadRun } = await import("./src/commands/compare.ts");
    const runs = [];
    for (const p of rest) runs.push(await loadRun(p));
    if (o.json) {
      console.log(JSON.stringify(
        { runs: runs.map((r) => r.label), rows: compareRows(runs) },
        null,
        2,
      ));
    } else console.log(compareTable(runs));
    return ExitCode.ok;
  }
  if (!["run", "dlio", "generate", "validate"].includes(cmd)) {
    throw new UserError(
      `unknown command '${cmd}'. Commands: run, generate, validate, compare, workloads, help`,
    );
  }
  const { isOverrideArg } = await import("./src/config/overrides.ts");
  const files = rest.filter((a) => !isOverrideArg(a));
  const args = rest.filter((a) => isOverrideArg(a));
  if (o.config) files.unshift(o.config);
  if (files.length > 1) {
    throw new UserError(`expected one workload file, got ${files.length}: ${files.join(", ")}`);
  }
  const { resolveConfig } = await import("./src/config/resolve.ts");
  const rc = resolveConfig({
    file: files[0],
    args,
    configDir: o["config-dir"],
    requireRunnable: cmd !== "validate",
  });
  if (!o.quiet || cmd === "validate") {
    for (const w of rc.warnings) console.error(formatDiagnostic(w));
  }
  const maxEpochs = intOption("max-epochs", o["max-epochs"]);
  const maxSteps = intOption("max-steps", o["max-steps"]);

  if (cmd === "validate") {
    const { describeConfig } = await import("./src/commands/validate.ts");
    if (o.json) console.log(JSON.stringify(rc.config, null, 2));
    else console.log(describeConfig(rc));
    return ExitCode.ok;
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort(new UserError("interrupted", ExitCode.interrupted));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    if (cmd === "generate") {
      const { generateDataset } = await import("./src/generate/generate.ts");
      const g = await generateDataset(rc.config, {
        threads: intOption("threads", o.threads),
        quiet: o.quiet,
        signal: controller.signal,
      });
      const line = `generated ${g.files} files in ${g.location}: ${g.written} written, ` +
        `${g.skipped} already complete, ${(g.bytesWritten / 2 ** 20).toFixed(1)} MiB in ` +
        `${g.seconds.toFixed(2)} s`;
      if (o.json) console.log(JSON.stringify(g, null, 2));
      else console.log(line);
      return ExitCode.ok;
    }
    const { runWorkload } = await import("./src/commands/run.ts");
    const accelerators = intOption("accelerators", o.accelerators);
    const ioThreads = intOption("io-threads", o["io-threads"]);
    // Under mpirun/srun: this process is one rank of the job (MPI through FFI).
    const { processComm } = await import("./src/train/mpi.ts");
    const proc = activeProcess = processComm();
    const r = await runWorkload(rc, {
      accelerators,
      ioThreads,
      process: proc,
      output: o.output,
      maxEpochs,
      maxSteps,
      quiet: o.quiet,
      latencyLists: o["latency-lists"],
      visitedItems: o["visited-items"],
      trace: o.trace,
      signal: controller.signal,
      log: o.quiet ? () => {} : undefined,
    });
    if (proc.rank === 0) {
      if (o["csv-append"] && r.summaryText) {
        const { appendCsv } = await import("./src/commands/compare.ts");
        await appendCsv(o["csv-append"], r.report);
      }
      if (o.json) console.log(JSON.stringify(r.report, null, 2));
      else console.log(r.summaryText || "training skipped (workflow.train is False)");
    }
    await proc.finalize();
    activeProcess = undefined;
    return ExitCode.ok;
  } catch (e) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`dl-driver: ${e.message}`);
      code = e.exitCode;
    } else if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      console.error(
        `dl-driver: permission needed: ${(e as Error).message.split("\n")[0]} ` +
          "(see the README's permissions table)",
      );
      code = ExitCode.usage;
    } else {
      console.error("dl-driver: internal error (please report this):");
      console.error(e);
      code = ExitCode.internal;
    }
  }
  // One failed rank stops the whole MPI job (the others would wait at a barrier forever).
  if (code !== ExitCode.ok && activeProcess && activeProcess.size > 1) activeProcess.abort(code);
  Deno.exit(code);
}

export { main };
