/**
 * The CLI's help: the whole text (`dl-driver --help`) and each command's own (`dl-driver CMD
 * --help`, `dl-driver help CMD`): its usage, what it does, and only the options it takes, cut from
 * the whole text so the two never disagree.
 * @module
 */
import { VERSION } from "../version.ts";

/** The whole help text. */
export const HELP = `dl-driver ${VERSION}: a deep-learning I/O benchmark that runs DLIO workloads.

Usage:
  dl-driver run <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]
  dl-driver generate <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]
  dl-driver validate <workload.yaml | workload=NAME> [KEY=VALUE ...] [--json]
  dl-driver compare <results folder | report.json> ... [--json] [--html FILE]
  dl-driver mlperf <closed|open|whatif> <training|checkpointing> <model> <command> ...
  dl-driver mlperf <init|check|reportgen|datasize|datagen|run|checkpointing> [options]
  dl-driver workloads [--config-dir DIR]
  dl-driver help | version

Commands:
  run (alias dlio)  Run the emulated training (generating the dataset first when
                    workflow.generate_data is True) and write the results.
  generate          Write the dataset (resumable: complete files are skipped).
  validate          Check a workload as run would (exit 2 for anything run refuses) and
                    print its effective settings.
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
      --json              print the report (run), resolved config (validate) or comparison
                          (compare: numbers, ratios to the first run) as JSON
      --latency-lists     stream every sample's stage times to latencies-<rank>.tsv.gz
      --visited-items     stream the planned order of every item to visited-<rank>.tsv.gz
      --csv-append FILE   append this run's scalar fields as one row to FILE (header when new)
      --html FILE         compare: also write the comparison as a self-contained HTML page
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

/** Each command: its usage line(s), and the options (long names) it takes. */
const COMMANDS: Record<string, { usage: string[]; about: string; options: string[] }> = {
  run: {
    usage: ["run <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]"],
    about: "run (alias dlio)",
    options: [
      "output",
      "config-dir",
      "max-epochs",
      "max-steps",
      "accelerators",
      "io-threads",
      "threads",
      "json",
      "latency-lists",
      "visited-items",
      "csv-append",
      "trace",
      "quiet",
    ],
  },
  generate: {
    usage: ["generate <workload.yaml | workload=NAME> [KEY=VALUE ...] [options]"],
    about: "generate",
    options: ["config-dir", "threads", "quiet"],
  },
  validate: {
    usage: ["validate <workload.yaml | workload=NAME> [KEY=VALUE ...] [--json]"],
    about: "validate",
    options: ["config-dir", "accelerators", "json"],
  },
  compare: {
    usage: ["compare <results folder | report.json> ... [--json] [--html FILE]"],
    about: "compare A B ...",
    options: ["json", "html"],
  },
  workloads: {
    usage: ["workloads [--config-dir DIR]"],
    about: "workloads",
    options: ["config-dir"],
  },
};
COMMANDS.dlio = COMMANDS.run!;

/** The lines of a section of the whole text (after its heading, up to the blank line). */
function section(heading: string): string[] {
  const lines = HELP.split("\n");
  const start = lines.indexOf(heading) + 1;
  const end = lines.indexOf("", start);
  return lines.slice(start, end < 0 ? undefined : end);
}

/** A section's entries: each starts at a line indented by `indent`, with its continuations. */
function entries(lines: string[], starts: (line: string) => boolean): string[][] {
  const out: string[][] = [];
  for (const line of lines) {
    if (starts(line) || out.length === 0) out.push([line]);
    else out.at(-1)!.push(line);
  }
  return out;
}

/** Words in lines of at most `width` characters, continuation lines indented by two. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = "  " + word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** One command's help, or undefined for a command without its own (mlperf has its own). */
export function commandHelp(cmd: string): string | undefined {
  const c = COMMANDS[cmd];
  if (!c) return undefined;
  const about = entries(section("Commands:"), (l) => /^ {2}\S/.test(l))
    .find((e) => e[0]!.trimStart().startsWith(c.about))!
    .map((l) => l.slice(20).trim()).join(" ");
  const options = entries(section("Options:"), (l) => /^ {2}(-\w, )?\s*--/.test(l))
    .filter((e) => c.options.some((o) => e[0]!.includes(`--${o} `) || e[0]!.endsWith(`--${o}`)));
  const workload = ["run", "dlio", "generate", "validate"].includes(cmd);
  return [
    ...wrap(`dl-driver ${cmd}: ${about}`, 96),
    "",
    "Usage:",
    ...c.usage.map((u) => `  dl-driver ${cmd === "dlio" ? u.replace(/^run/, "dlio") : u}`),
    "",
    ...(workload
      ? [
        "Overrides (as DLIO/Hydra users type them):",
        ...section("Overrides (as DLIO/Hydra users type them):"),
        "",
      ]
      : []),
    "Options:",
    ...options.flat(),
    "  -h, --help              this help",
    "",
    "Exit codes:",
    ...section("Exit codes:"),
  ].join("\n");
}
