/**
 * Results folder naming and JSON/YAML writers.
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { DataError, isOsError } from "../errors.ts";

/** An OS failure on a results file as the storage error it is (exit 3), naming file and operation. */
export function resultsError(e: unknown, path: string, op: string): unknown {
  if (!isOsError(e)) return e;
  const hint = e.code === "ENOSPC" || e.code === "EDQUOT"
    ? "; free space or choose another results folder (-o)"
    : "";
  return new DataError(`cannot ${op} results file ${path}: ${e.message}${hint}`, { cause: e });
}

/** Run a synchronous results-file operation, its OS failure as `resultsError`. */
export function resultsIo<T>(path: string, op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw resultsError(e, path, op);
  }
}

/** DLIO/MLPerf style `YYYYmmdd_HHMMSS` from a wall time (local). */
export function runStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${
    p(d.getMinutes())
  }${p(d.getSeconds())}`;
}

/** Default results folder: `results/<model.name>/<YYYYmmdd_HHMMSS>`. */
export function defaultOutputDir(modelName: string, startMs: number): string {
  return join("results", modelName, runStamp(startMs));
}

/** Write a JSON file (pretty, with a trailing newline), creating folders. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeText(path, jsonText(value));
}

/** Pretty JSON text (two spaces, non-finite numbers as null) with a trailing newline. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, jsonSafe, 2) + "\n";
}

/** Where a file is written before it is renamed into place (never looks complete). */
export function partialPath(path: string): string {
  return `${path}.partial-${Deno.pid}`;
}

/** Write a YAML file. */
export async function writeYaml(path: string, value: unknown): Promise<void> {
  await writeText(path, stringify(value));
}

/**
 * Write a text file atomically (temp name, then rename); on failure nothing partial is left and
 * an OS failure (a full disk) is a storage error naming the file.
 */
export async function writeText(path: string, text: string): Promise<void> {
  const tmp = partialPath(path);
  try {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw resultsError(e, path, "write");
  }
}

function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) return null;
  if (v instanceof Float64Array) return Array.from(v);
  return v;
}
