/**
 * Hydra-style overrides as DLIO users type them:
 * `workload=unet3d_h100`, `++workload.dataset.num_files_train=16`, `+workload.a.b=v`,
 * the short form `dataset.num_files_train=16`, `~workload.a.b` (delete), and `hydra.run.dir=OUT`.
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { Diagnostic } from "../errors.ts";
import type { Locations } from "./source.ts";
import { aliasTarget } from "./validate.ts";
import { redactString } from "../util/redact.ts";

/** One parsed override. */
export interface Override {
  /** The text as typed. */
  text: string;
  /** Dotted path inside the workload (without `workload.`). */
  path: string;
  /** `set` assigns `value`; `delete` restores the default. */
  op: "set" | "delete";
  value?: unknown;
}

/** Overrides split by what they address. */
export interface ParsedOverrides {
  /** `workload=NAME`, if given. */
  workload?: string;
  /** `hydra.run.dir=DIR`, if given. */
  runDir?: string;
  overrides: Override[];
  diagnostics: Diagnostic[];
}

/** True when the argument looks like an override rather than a file name. */
export function isOverrideArg(arg: string): boolean {
  // `+…`/`~…` are always overrides (a file name does not start so): `++workload.dataset`
  // without `=VALUE` gets the override's error, not "file not found".
  return /^(\+\+|\+|~)/.test(arg) ||
    (/^[A-Za-z_][\w.-]*(=|$)/.test(arg) && arg.includes("="));
}

/** Parse override arguments. */
export function parseOverrides(args: string[]): ParsedOverrides {
  const out: ParsedOverrides = { overrides: [], diagnostics: [] };
  for (const text of args) {
    const where = { source: `override '${redactString(text)}'`, line: 0, col: 0 };
    const m = /^(\+\+|\+|~)?([A-Za-z_][\w.-]*)(?:=(.*))?$/s.exec(text);
    if (!m) {
      out.diagnostics.push({
        path: "",
        severity: "error",
        message: "expected KEY=VALUE (e.g. dataset.num_files_train=16 or workload=unet3d_h100)",
        location: where,
      });
      continue;
    }
    const [, prefix, rawPath, rawValue] = m;
    const del = prefix === "~";
    const problem = rawPath!.split(".").includes("")
      ? `'${rawPath}' has an empty key name (a leading, trailing or doubled '.')`
      : del && rawValue !== undefined
      ? `'~KEY' resets a key and takes no value; write ~${rawPath} or ${rawPath}=${rawValue}`
      : !del && rawValue === undefined
      ? `missing '=VALUE': an override sets a key (${rawPath}=VALUE); ~${rawPath} resets it`
      : undefined;
    if (problem) {
      out.diagnostics.push({
        path: rawPath!,
        severity: "error",
        message: problem,
        location: where,
      });
      continue;
    }
    if (rawPath === "workload" && !del) {
      out.workload = rawValue;
      continue;
    }
    if (rawPath!.startsWith("hydra.")) {
      if (rawPath === "hydra.run.dir") out.runDir = rawValue;
      else if (rawPath !== "hydra.output_subdir") {
        out.diagnostics.push({
          path: rawPath!,
          severity: "warning",
          message: "Hydra setting has no meaning for dl-driver; ignored",
          location: where,
        });
      }
      continue;
    }
    const path = rawPath!.startsWith("workload.") ? rawPath!.slice("workload.".length) : rawPath!;
    if (del) {
      out.overrides.push({ text, path, op: "delete" });
      continue;
    }
    const value = parseValue(rawValue!);
    if (value instanceof Error) {
      // The parser's first line only: its later lines quote the value (maybe a credential).
      const why = value.message.split("\n")[0]!.replace(/:$/, "");
      out.diagnostics.push({
        path,
        severity: "error",
        message: `the value is not a valid Hydra list or dict (${why})`,
        location: where,
      });
      continue;
    }
    out.overrides.push({ text, path, op: "set", value });
  }
  return out;
}

/**
 * Hydra's flow syntax as YAML reads it: Hydra writes dicts without a space after the colon
 * (`{type:uniform,min:0.01}`), which YAML would read as one plain key. A space goes after each
 * key's colon and each comma outside quotes; keys' colons only, so values keep theirs.
 */
export function hydraFlow(text: string): string {
  if (!/^\s*[[{]/.test(text)) return text;
  let out = "", quote = "", inKey = false;
  const stack: string[] = [];
  for (const ch of text) {
    if (quote) {
      out += ch;
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "{" || ch === "[") {
      stack.push(ch);
      inKey = ch === "{";
      out += ch;
    } else if (ch === "}" || ch === "]") {
      stack.pop();
      inKey = false;
      out += ch;
    } else if (ch === ",") {
      inKey = stack.at(-1) === "{";
      out += ", ";
    } else if (ch === ":" && inKey) {
      inKey = false;
      out += ": ";
    } else out += ch;
  }
  return out;
}

/** An override's value as Hydra reads it; an Error for a list or dict that does not parse. */
function parseValue(text: string): unknown {
  if (text === "") return "";
  try {
    return parseYaml(hydraFlow(text));
  } catch (e) {
    // A plain string that YAML cannot read stays a string; `[…`/`{…` meant a list or dict.
    return /^\s*[[{]/.test(text) ? e as Error : text;
  }
}

/** Apply overrides to parsed workload data (in place); records their locations. */
export function applyOverrides(
  data: Record<string, unknown>,
  overrides: Override[],
  locations: Locations,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const o of overrides) {
    const where = { source: `override '${redactString(o.text)}'`, line: 0, col: 0 };
    const path = aliasTarget(o.path);
    const parts = path.split(".");
    let node: Record<string, unknown> = data;
    let ok = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const k = parts[i]!;
      const next = node[k];
      if (next === undefined || next === null) {
        if (o.op === "delete") {
          ok = false;
          break;
        }
        node[k] = {};
      } else if (typeof next !== "object" || Array.isArray(next)) {
        diagnostics.push({
          path: parts.slice(0, i + 1).join("."),
          severity: "error",
          message: `cannot set '${o.path}': '${parts.slice(0, i + 1).join(".")}' is not a mapping`,
          location: where,
        });
        ok = false;
        break;
      }
      node = node[k] as Record<string, unknown>;
      if (!locations.key(parts.slice(0, i + 1).join("."))?.line) {
        locations.set(parts.slice(0, i + 1).join("."), where);
      }
    }
    const last = parts[parts.length - 1]!;
    if (o.op === "delete" && (!ok || !(last in node))) {
      diagnostics.push({
        path,
        severity: "warning",
        message: "the workload does not set this key: nothing to reset (Hydra refuses this)",
        location: where,
      });
      continue;
    }
    if (!ok) continue;
    locations.drop(path);
    if (o.op === "delete") delete node[last];
    else {
      node[last] = o.value;
      markLocations(path, o.value, where, locations);
    }
  }
  return diagnostics;
}

function markLocations(
  path: string,
  value: unknown,
  where: { source: string; line: number; col: number },
  locations: Locations,
): void {
  locations.set(path, where);
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) markLocations(`${path}.${k}`, v, where, locations);
  }
}
