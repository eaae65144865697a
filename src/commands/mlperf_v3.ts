/**
 * mlpstorage v3.0's command line in front of dl-driver's MLPerf commands:
 * `mlperf <closed|open|whatif> training <model> <datasize|datagen|run|configview> [file|object]`,
 * `mlperf <mode> checkpointing <model> <datasize|run> [file|object]`, `mlperf init <org> [path]`,
 * mlpstorage's flag names and multi-letter short forms, `--help` at every level, and the mode's
 * rules checked before any data is touched (reference: mlperf-v3.md §1.1, §2.3, §5.1).
 * @module
 */
import { listWorkloads } from "../config/resolve.ts";
import { UserError } from "../errors.ts";
import { CLOSED_ALLOWED, OPEN_ALLOWED, TOOL_INJECTED } from "./mlperf.ts";

export const MODES = ["closed", "open", "whatif"] as const;
export type Mode = typeof MODES[number];

/** mlpstorage's short forms that are more than one letter (and `-p`, `-s`) → long flags. */
const SHORT_FORMS: Record<string, string> = {
  "-at": "--accelerator-type",
  "-na": "--num-accelerators",
  "-ma": "--max-accelerators",
  "-cm": "--client-host-memory-in-gb",
  "-nc": "--num-client-hosts",
  "-s": "--hosts",
  "-dd": "--data-dir",
  "-rd": "--results-dir",
  "-sn": "--systemname",
  "-np": "--num-processes",
  "-cf": "--checkpoint-folder",
  "-ncw": "--num-checkpoints-write",
  "-ncr": "--num-checkpoints-read",
  "-p": "--params",
  "-aip": "--allow-invalid-params",
  "-dp": "--dlio-bin-path",
  "-c": "--config-file",
};

/**
 * mlpstorage's argv as dl-driver's parser takes it: short forms expanded; `--params a=1 b=2`
 * (argparse's nargs) → `--param a=1 --param b=2`; `--hosts h1 h2` → `--hosts h1,h2`.
 */
export function normaliseArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = splitFlag(SHORT_FORMS[argv[i]!] ?? argv[i]!);
    if (flag !== "--params" && flag !== "--hosts") {
      out.push(inline === undefined ? flag : `${flag}=${inline}`);
      continue;
    }
    const values = inline === undefined ? [] : [inline];
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) {
      // A positional (file|object) ends the list when it has no "=" (params) or is a keyword.
      if (flag === "--params" && !argv[i + 1]!.includes("=")) break;
      if (flag === "--hosts" && ["file", "object"].includes(argv[i + 1]!)) break;
      values.push(argv[++i]!);
    }
    if (flag === "--params") { for (const v of values) out.push("--param", v); }
    else out.push("--hosts", values.join(","));
  }
  return out;
}

function splitFlag(a: string): [string, string | undefined] {
  const eq = a.indexOf("=");
  return a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
}

/** A v3.0 command. */
export interface V3Command {
  mode: Mode;
  benchmark: "training" | "checkpointing";
  model: string;
  command: string;
  storage: "file" | "object";
}

const COMMANDS = {
  training: ["datasize", "datagen", "run", "configview"],
  checkpointing: ["datasize", "run"],
} as const;

const usage = (p: string[]) => `usage: dl-driver ${helpLine(p)} (dl-driver mlperf --help)`;

/** Parse `<mode> <benchmark> <model> <command> [file|object]`. */
export function parseV3(p: string[]): V3Command {
  const [mode, benchmark, model, command, storage = "file", ...rest] = p;
  if (benchmark !== "training" && benchmark !== "checkpointing") {
    throw new UserError(
      `mlperf ${mode}: expected training or checkpointing, got '${benchmark ?? ""}'` +
        (benchmark && ["kvcache", "vectordb"].includes(benchmark)
          ? " (KV-cache and VectorDB are not DLIO workloads; dl-driver does not run them)"
          : "") +
        `; ${usage(p.slice(0, 1))}`,
    );
  }
  if (!model) throw new UserError(`mlperf ${mode} ${benchmark}: a model is required; ${usage(p)}`);
  const cmds: readonly string[] = COMMANDS[benchmark];
  if (!command || !cmds.includes(command)) {
    throw new UserError(
      `mlperf ${mode} ${benchmark} ${model}: expected ${cmds.join(", ")}, got '${command ?? ""}'`,
    );
  }
  if (storage !== "file" && storage !== "object") {
    throw new UserError(`mlperf: the storage is 'file' or 'object', got '${storage}'`);
  }
  if (rest.length) throw new UserError(`mlperf: unexpected '${rest.join(" ")}'; ${usage(p)}`);
  return { mode: mode as Mode, benchmark, model, command, storage };
}

/** Submittable (model, accelerator) pairs of CLOSED and OPEN (reference §1.1). */
export const SUBMITTABLE: Record<string, string[]> = {
  unet3d: ["b200"],
  retinanet: ["b200", "mi355"],
};

/** Refuse a (model, accelerator) pair the mode does not run, naming the ones it does. */
export function checkPair(mode: Mode, model: string, accel: string): void {
  if (mode !== "whatif") {
    if (SUBMITTABLE[model]?.includes(accel)) return;
    const pairs = Object.entries(SUBMITTABLE).flatMap(([m, a]) => a.map((x) => `${m}+${x}`));
    throw new UserError(
      `mlperf ${mode}: ${model} on ${accel} is not submittable in MLPerf Storage v3.0 ` +
        `(${pairs.join(", ")}); use whatif to plan other pairs`,
    );
  }
  if (!listWorkloads().includes(`${model}_${accel}`)) {
    const have = listWorkloads().filter((w) => w.startsWith(`${model}_`) && !/datagen/.test(w));
    throw new UserError(
      `mlperf whatif: no workload ${model}_${accel} (combination not supported; ` +
        `${have.length ? `${model} has ${have.join(", ")}` : `unknown model '${model}'`})`,
    );
  }
}

/**
 * The mode's parameter rules, before anything runs: every `--params` key must be allowed in the
 * mode (CLOSED's list; OPEN adds its own; whatif: any). A disallowed key stops the command
 * unless `--allow-invalid-params` (open and whatif only), as mlpstorage does. Returns the
 * verdict the parameters give.
 */
export function checkParams(
  mode: Mode,
  keys: string[],
  allowInvalid: boolean,
): "CLOSED" | "OPEN" | "INVALID" {
  if (allowInvalid && mode === "closed") {
    throw new UserError("mlperf closed: --allow-invalid-params is for open and whatif only");
  }
  let verdict: "CLOSED" | "OPEN" | "INVALID" = "CLOSED";
  for (const k of keys) {
    if (CLOSED_ALLOWED.includes(k) || TOOL_INJECTED.includes(k)) continue;
    if (OPEN_ALLOWED.includes(k) && mode !== "closed") {
      if (verdict === "CLOSED") verdict = "OPEN";
      continue;
    }
    if (mode === "whatif" || allowInvalid) {
      verdict = "INVALID";
      continue;
    }
    const allowed = mode === "closed" ? CLOSED_ALLOWED : [...CLOSED_ALLOWED, ...OPEN_ALLOWED];
    throw new UserError(
      `mlperf ${mode}: --params ${k} is not allowed in ${mode.toUpperCase()} (allowed: ` +
        `${allowed.join(", ")})` +
        (mode === "open" ? "; --allow-invalid-params runs it anyway" : ""),
    );
  }
  return verdict;
}

/** The command line a help level documents. */
function helpLine(p: string[]): string {
  const [mode = "<closed|open|whatif>", bench = "<training|checkpointing>"] = p;
  if (p.length >= 2 && bench === "checkpointing") {
    return `mlperf ${mode} checkpointing <llama3-8b|llama3-70b|llama3-405b|llama3-1t> ` +
      "<datasize|run> [file|object] [flags]";
  }
  return `mlperf ${mode} ${bench} <model> <datasize|datagen|run|configview> [file|object] [flags]`;
}

const FLAGS_TRAINING = `
  -at, --accelerator-type T        b200 or mi355 (closed/open); a100, h100 too in whatif
  -na, --num-accelerators N        accelerators emulated (run)
  -ma, --max-accelerators N        accelerators the dataset must feed (datasize)
  -cm, --client-host-memory-in-gb G   memory per client host (the larger of this and the
                                   measured memory is used)
  -nc, --num-client-hosts N        client hosts (default 1)
  -s,  --hosts H [H ...]           client hosts (recorded; dl-driver runs under mpirun for more)
  -dd, --data-dir D                the dataset goes in D/<model>
  -rd, --results-dir R             an \`mlperf init\`-ed results folder (or MLPSTORAGE_RESULTS_DIR)
  -sn, --systemname S              the system's name (or MLPSTORAGE_SYSTEMNAME; run, datagen)
  -np, --num-processes N           datagen: concurrent file writers (default 4)
  -p,  --params K=V [K=V ...]      workload overrides, checked against the mode's lists first
  -aip, --allow-invalid-params     run disallowed overrides anyway (open, whatif; marked INVALID)
       --runs N                    measured runs after the warm-up (default 5)
       --json, -q`;

const FLAGS_CHECKPOINTING = `
  -np, --num-processes N           ranks (closed: 8/64/512/1024; below: subset mode)
  -at, --accelerator-type T        b200 or mi355 (whatif: a100, h100 too)
  -cf, --checkpoint-folder F       checkpoints go in F/<model> (or MLPSTORAGE_CHECKPOINT_FOLDER)
  -ncw, --num-checkpoints-write N  default 10 (closed: 10 or 0)
  -ncr, --num-checkpoints-read N   default 10 (closed: 10 or 0)
  -rd, --results-dir R, -sn, --systemname S, -p, --params K=V ..., --json, -q`;

/** Help for the level `positionals` names (`mlperf`, `mlperf closed`, ... a whole command). */
export function helpText(p: string[]): string {
  if (p.length === 0) {
    return `dl-driver mlperf: MLPerf Storage (v3.0's mlpstorage command line; v2.0's still works)

  dl-driver mlperf init <orgname> [<results-dir>]
  dl-driver mlperf <closed|open|whatif> training <model> datasize [flags]
  dl-driver mlperf <closed|open|whatif> training <model> <datagen|run|configview> [file|object] [flags]
  dl-driver mlperf <closed|open|whatif> checkpointing <model> <datasize|run> [file|object] [flags]
  dl-driver mlperf check <results folder> [--rules v2.0|v3.0]
  dl-driver mlperf reportgen --results-dir R [--rules v2.0|v3.0]

Modes: closed and open run the submittable pairs (unet3d on b200; retinanet on b200, mi355);
whatif plans any pair with a workload file (flux, resnet50, cosmoflow, a100, h100, ...).
v2.0's forms (mlperf datasize|datagen|run|checkpointing --model M ...) keep working.
Results are dl-driver's, labelled as such: a CLOSED verdict means "would be CLOSED under the
rules"; a CLOSED submission must use the unmodified mlpstorage. docs/mlperf.md has the rest.`;
  }
  const bench = p[1];
  const flags = bench === "checkpointing" ? FLAGS_CHECKPOINTING : FLAGS_TRAINING;
  return `usage: dl-driver ${helpLine(p)}\n${
    p.length === 1 ? `${FLAGS_TRAINING}\n\ncheckpointing:${FLAGS_CHECKPOINTING}` : flags
  }`;
}
