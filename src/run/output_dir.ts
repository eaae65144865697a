/**
 * Results folder naming and JSON/YAML writers.
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";

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

/** Write a text file atomically (temp name, then rename). */
export async function writeText(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const tmp = partialPath(path);
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) return null;
  if (v instanceof Float64Array) return Array.from(v);
  return v;
}
