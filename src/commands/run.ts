/**
 * `run` (alias `dlio`), `generate` and `validate`: turn command-line arguments into a resolved
 * workload and options, call the lifecycle (src/run/) or the generator, print the outcome.
 * @module
 */
import { ConfigError, ExitCode, formatDiagnostic, UserError } from "../errors.ts";
import type { ProcessComm } from "../train/comm.ts";

/** The parsed command-line options these commands read. */
export interface CliValues {
  output?: string;
  "config-dir"?: string;
  config?: string;
  "max-epochs"?: string;
  "max-steps"?: string;
  accelerators?: string;
  "io-threads"?: string;
  threads?: string;
  json?: boolean;
  "latency-lists"?: boolean;
  "visited-items"?: boolean;
  trace?: boolean;
  "csv-append"?: string;
  quiet?: boolean;
}

/** A positive integer option, or a usage error naming it. */
export function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`--${name} expects a positive integer, got '${v}'`);
  }
  return n;
}

/** This host's memory, when the permissions allow asking (else no capacity checks). */
function hostMemory(): number | undefined {
  try {
    return Deno.systemMemoryInfo().total;
  } catch {
    return undefined;
  }
}

/** Resolve the workload named by the arguments (one file or workload=NAME, plus overrides). */
async function resolveArgs(cmd: string, o: CliValues, rest: string[]) {
  const { isOverrideArg } = await import("../config/overrides.ts");
  const files = rest.filter((a) => !isOverrideArg(a));
  const args = rest.filter((a) => isOverrideArg(a));
  if (o.config) files.unshift(o.config);
  if (files.length > 1) {
    throw new UserError(`expected one workload file, got ${files.length}: ${files.join(", ")}`);
  }
  const { resolveConfig } = await import("../config/resolve.ts");
  const rc = resolveConfig({
    file: files[0],
    args,
    configDir: o["config-dir"],
    // validate refuses exactly what run would (a format not implemented yet is exit 2 there too).
    requireRunnable: true,
    hostMemoryBytes: hostMemory(),
  });
  const warnings = rc.warnings;
  if (cmd === "validate") {
    // What run would refuse once the ranks are known (this process's accelerators; under MPI
    // the run checks again with every process's).
    const { codecFor } = await import("../formats/mod.ts");
    const { planDiagnostics } = await import("../run/plan.ts");
    const ranks = intOption("accelerators", o.accelerators) ?? 1;
    const plan = planDiagnostics(rc, await codecFor(rc.config.dataset.format), ranks);
    if (plan.some((d) => d.severity === "error")) throw new ConfigError([...warnings, ...plan]);
    warnings.push(...plan); // counted in validate's summary line too
  }
  if (!o.quiet || cmd === "validate") {
    for (const w of warnings) console.error(formatDiagnostic(w));
  }
  return rc;
}

/** `run`, `generate` or `validate`; `onProcess` learns the MPI job while a run is on. */
export async function workloadCommand(
  cmd: string,
  o: CliValues,
  rest: string[],
  onProcess: (p: ProcessComm | undefined) => void,
): Promise<number> {
  const rc = await resolveArgs(cmd, o, rest);
  const maxEpochs = intOption("max-epochs", o["max-epochs"]);
  const maxSteps = intOption("max-steps", o["max-steps"]);
  if (cmd === "validate") {
    const { describeConfig } = await import("./validate.ts");
    const { redact, redactString } = await import("../util/redact.ts");
    console.log(
      o.json ? JSON.stringify(redact(rc.config), null, 2) : redactString(describeConfig(rc)),
    );
    return ExitCode.ok;
  }
  const controller = new AbortController();
  const onInt = () => controller.abort(new UserError("interrupted (SIGINT)", ExitCode.interrupted));
  const onTerm = () => controller.abort(new UserError("terminated (SIGTERM)", ExitCode.terminated));
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    if (cmd === "generate") return await generate(rc.config, o, controller.signal);
    // Under mpirun/srun: this process is one rank of the job (MPI through FFI).
    const { processComm } = await import("../train/mpi.ts");
    const proc = processComm();
    onProcess(proc);
    await run(rc, o, { maxEpochs, maxSteps }, proc, controller.signal);
    await proc.finalize();
    onProcess(undefined);
    return ExitCode.ok;
  } catch (e) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

/** `generate`: write the dataset and say what was written. */
async function generate(
  c: import("../config/schema.ts").WorkloadConfig,
  o: CliValues,
  signal: AbortSignal,
): Promise<number> {
  const { generateDataset } = await import("../generate/generate.ts");
  const g = await generateDataset(c, {
    threads: intOption("threads", o.threads),
    quiet: o.quiet,
    signal,
  });
  const line = `generated ${g.files} files in ${g.location}: ${g.written} written, ` +
    `${g.skipped} already complete, ${(g.bytesWritten / 2 ** 20).toFixed(1)} MiB in ` +
    `${g.seconds.toFixed(2)} s`;
  const { ownUsage } = await import("../run/deps.ts");
  const json = { ...g, peak_rss_bytes: ownUsage().peakRssBytes };
  console.log(o.json ? JSON.stringify(json, null, 2) : line);
  return ExitCode.ok;
}

/** `run`: the lifecycle, then the summary (or JSON report) on rank 0. */
async function run(
  rc: import("../config/resolve.ts").ResolvedConfig,
  o: CliValues,
  limits: { maxEpochs?: number; maxSteps?: number },
  proc: ProcessComm,
  signal: AbortSignal,
): Promise<void> {
  const { runWorkload } = await import("../run/lifecycle.ts");
  const r = await runWorkload(rc, {
    ...limits,
    accelerators: intOption("accelerators", o.accelerators),
    ioThreads: intOption("io-threads", o["io-threads"]),
    process: proc,
    output: o.output,
    quiet: o.quiet,
    latencyLists: o["latency-lists"],
    visitedItems: o["visited-items"],
    trace: o.trace,
    signal,
    log: o.quiet ? () => {} : undefined,
  });
  if (proc.rank !== 0) return;
  if (o["csv-append"] && r.summaryText) {
    const { appendCsv } = await import("./compare.ts");
    await appendCsv(o["csv-append"], r.report);
  }
  if (o.json) console.log(JSON.stringify(r.report, null, 2));
  else console.log(r.summaryText || "training skipped (workflow.train is False)");
}
