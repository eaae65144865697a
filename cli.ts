#!/usr/bin/env -S deno run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi
/**
 * dl-driver command line. Thin: parses arguments, lazy-loads the command, maps errors to exit
 * codes. Only this file exits the process.
 * @module
 */
import { parseArgs } from "node:util";
import { ExitCode, isOsError, UserError } from "./src/errors.ts";
import type { ProcessComm } from "./src/train/comm.ts";
import { commandHelp, HELP } from "./src/commands/help.ts";
import { VERSION } from "./src/version.ts";

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
  html: { type: "string" },
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
    (await import("./src/commands/compare.ts")).compareCommand(rest, o.json, o.html),
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
    // `dl-driver CMD --help` and `dl-driver help CMD`: that command's usage and options.
    const topic = cmd === "help" ? rest[0] : cmd;
    console.log((topic && commandHelp(topic)) || HELP);
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
