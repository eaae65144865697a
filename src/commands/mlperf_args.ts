/**
 * The mlperf commands' flags (v2.0's and mlpstorage v3.0's names), their parser and the small
 * checks every subcommand shares.
 * @module
 */
import { parseArgs } from "node:util";
import { UserError } from "../errors.ts";

/** The flag's value, or a clear error that it is required. */
export function need<T>(v: T | undefined, flag: string): T {
  if (v === undefined) throw new UserError(`mlperf: --${flag} is required`);
  return v;
}

/** A non-negative number flag (`def` when absent; required when there is no default). */
export function num(v: string | undefined, flag: string, def?: number): number {
  if (v === undefined) return need(def, flag);
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new UserError(`mlperf: --${flag} expects a number, got '${v}'`);
  }
  return n;
}

/** Every flag of every mlperf command (mlpstorage's multi-letter short forms: mlperf_v3.ts). */
export const OPTIONS = {
  model: { type: "string", short: "m" },
  "accelerator-type": { type: "string", short: "g" },
  "num-accelerators": { type: "string", short: "n" },
  "num-client-hosts": { type: "string" },
  "client-host-memory-in-gb": { type: "string" },
  "data-dir": { type: "string" },
  "results-dir": { type: "string" },
  "num-files-train": { type: "string" },
  "num-processes": { type: "string" },
  "checkpoint-folder": { type: "string" },
  "num-checkpoints-write": { type: "string" },
  "num-checkpoints-read": { type: "string" },
  runs: { type: "string" },
  param: { type: "string", multiple: true },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  // mlpstorage v3.0's
  "max-accelerators": { type: "string" },
  systemname: { type: "string" },
  hosts: { type: "string" },
  "allow-invalid-params": { type: "boolean" },
  "config-file": { type: "string" },
  "dlio-bin-path": { type: "string" },
  "exec-type": { type: "string" },
  rules: { type: "string" },
} as const;

/** Parse normalised argv (`normaliseArgv` first for mlpstorage's forms). */
export function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
}

/** What every subcommand gets: the options, the word after it, the overrides, the log. */
export interface Call {
  o: ReturnType<typeof parse>["values"];
  sub?: string;
  params: string[];
  model: string;
  log: (s: string) => void;
  /** The results folder to use (v3.0's tree leaf) instead of the command's default. */
  output?: string;
  /** The v3.0 command (absent for v2.0's forms). */
  v3?: import("./mlperf_v3.ts").V3Command;
}
