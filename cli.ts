#!/usr/bin/env -S deno run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi
/**
 * dl-driver command line. Thin: parses arguments, lazy-loads the command, maps errors to exit
 * codes. Only this file exits the process.
 * @module
 */
import { parseArgs } from "node:util";
import { ExitCode, isOsError, UserError } from "./src/errors.ts";
import type { ProcessComm } from "./src/train/comm.ts";
import { VERSION } from "./src/version.ts";

const HELP = `dl-driver ${VERSION}: a deep-learning I/O benchmark that runs DLIO workloads.

Usage:
  dl-driver run <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]
  dl-driver generate <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]
  dl-driver validate <workload.yaml | workload=NAME> [KEY=VALUE ...] [--json]
  dl-driver compare <results folder | report.json> ... [--json]
  dl-driver mlperf <closed|open|whatif> <training|checkpointing> <model> <command> ...
  dl-driver mlperf <init|check|reportgen|datasize|datagen|run|checkpointing> [options]
  dl-driver workloads [--config-dir DIR]
  dl-driver help | version

Commands:
  run (alias dlio)  Run the emulated training (generating the dataset first when
                    workflow.generate_data is True) and write the results.
  generate          Write the dataset (resumable: complete files are skipped).
  validate          Check a workload and print its effective settings.
  mlperf ...        MLPerf Storage v3.0 as mlpstorage's command line (closed/open/
                    whatif; datasize, datagen, run: warm-up + 5 runs, its results
                    tree), check (CLOSED/OPEN/INVALID), reportgen, checkpointing;
                    v2.0's forms too (docs/mlperf.md; mlperf --help).
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
      --latency-lists     stream every sample's stage times to latencies-<rank>.tsv.gz
      --visited-items     stream the planned order of every item to visited-<rank>.tsv.gz
      --csv-append FILE   append this run's scalar fields as one row to FILE (header when new)
      --trace             write a Chrome trace per rank (trace-<rank>-of-<ranks>.pfw, dftracer's
                          dft_ai names; opens in Perfetto, speedscope): steps, compute, samples,
                          checkpoints
  -q, --quiet             no progress bars or warnings on stderr
  -h, --help              this help
  -V, --version           print the version

Exit codes:
  0 success · 1 internal error (a bug; printed with a stack trace) · 2 bad command line or
  configuration · 3 storage or data error (missing dataset, I/O failure, corrupt file, an
  endpoint that stopped answering, an MPI process that never reached a barrier) ·
  130 interrupted (SIGINT) · 143 terminated (SIGTERM); a run stopped by a signal or a failure
  leaves its results folder with everything measured so far, marked incomplete
`;

/** The MPI job this process belongs to, while a run is in progress (aborted on failure). */
let activeProcess: ProcessComm | undefined;

const OPTIONS = {
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
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\nRun 'dl-driver help' for usage.`);
  }
}

/** Each command: lazy-loaded, given the options and its arguments. */
const COMMANDS: Record<string, (o: Values, rest: string[], cmd: string) => Promise<number>> = {
  workloads: async (o) => {
    const { listWorkloads } = await import("./src/config/resolve.ts");
    const names = listWorkloads(o["config-dir"]);
    if (names.length === 0 && o["config-dir"]) {
      throw new UserError(`--config-dir ${o["config-dir"]}: no workload/*.yaml files there`);
    }
    for (const w of names) console.log(w);
    return ExitCode.ok;
  },
  compare: async (o, rest) =>
    (await import("./src/commands/compare.ts")).compareCommand(rest, o.json),
  run: workload,
  dlio: workload,
  generate: workload,
  validate: workload,
};

async function workload(o: Values, rest: string[], cmd: string): Promise<number> {
  const { workloadCommand } = await import("./src/commands/run.ts");
  return await workloadCommand(cmd, o, rest, (p) => (activeProcess = p));
}

/** mlpstorage's own options (--model, --num-accelerators, ...): its own parser. */
async function mlperf(argv: string[]): Promise<number> {
  const { mlperfMain } = await import("./src/commands/mlperf_cli.ts");
  try {
    return await mlperfMain(argv);
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      throw new UserError(`mlperf: ${(e as Error).message}`);
    }
    throw e;
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "mlperf") return await mlperf(argv.slice(1));
  const { values: o, positionals } = parse(argv);
  const [cmd, ...rest] = positionals;
  if (o.version || cmd === "version") {
    console.log(`dl-driver ${VERSION}`);
    return ExitCode.ok;
  }
  if (o.help || !cmd || cmd === "help") {
    console.log(HELP);
    return cmd || o.help ? ExitCode.ok : ExitCode.usage;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    throw new UserError(
      `unknown command '${cmd}'. Commands: run, generate, validate, compare, workloads, help`,
    );
  }
  return await command(o, rest, cmd);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`dl-driver: ${e.message}`);
      code = e.exitCode;
    } else if (e instanceof Deno.errors.NotCapable) {
      console.error(
        `dl-driver: permission needed: ${(e as Error).message.split("\n")[0]} ` +
          "(see the README's permissions table)",
      );
      code = ExitCode.usage;
    } else if (isOsError(e)) {
      // The operating system refused an operation (full disk, EACCES, EIO) where no layer named
      // the file: still a storage error, not a bug.
      console.error(`dl-driver: storage error: ${e.message.split("\n")[0]}`);
      code = ExitCode.data;
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
