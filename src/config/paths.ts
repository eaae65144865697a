/**
 * Where dl-driver may write: a path or URI is rejected when empty or malformed (`s3:/b`, `s3://`,
 * `az://`, an unknown scheme), and names taken from the config (model name, file prefix, log
 * file) may not contain path separators or `..`, so every file is written under the data
 * folder, checkpoint location or results folder the user named.
 * @module
 */
import type { Diagnostic } from "../errors.ts";
import { SCHEME_REGISTRY } from "../storage/schemes.ts";
import { redactString } from "../util/redact.ts";
import type { WorkloadConfig } from "./schema.ts";
import type { Locations } from "./source.ts";

/** Why a location is unusable, or undefined when it is fine. */
export function locationProblem(value: string): string | undefined {
  if (value.trim() === "") {
    return "is empty (it would mean the filesystem root or the current folder)";
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  // One-letter "schemes" are Windows drive letters; plain paths have none.
  if (!scheme || scheme.length === 1) return undefined;
  if (!SCHEME_REGISTRY[scheme]) {
    return `has an unknown scheme '${scheme}:' (known: ${Object.keys(SCHEME_REGISTRY).join(", ")})`;
  }
  const rest = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/i.exec(value)?.[1];
  if (rest === undefined) return `is not a URI: write ${scheme}://… (two slashes)`;
  if (!SCHEME_REGISTRY[scheme]!.localFiles && !/^[^/]+/.test(rest)) {
    return `names no bucket or container (${scheme}://<bucket>/<prefix>)`;
  }
  if (SCHEME_REGISTRY[scheme]!.localFiles && rest.trim() === "") return "names no path";
  if (/^[^/]*@/.test(rest)) {
    return "carries credentials (user:…@): give them in storage.storage_options or the " +
      "environment, never in a location";
  }
  return undefined;
}

/** Why a name used inside a folder is unusable (separators, `..`, empty). */
export function nameProblem(value: string): string | undefined {
  if (value.trim() === "") return "is empty";
  if (/[/\\]/.test(value)) return "may not contain a path separator (it names a file, not a path)";
  if (value === "." || value === "..") return `may not be '${value}'`;
  return undefined;
}

/** The path rules of a workload. */
export function pathRules(c: WorkloadConfig, locations: Locations): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (path: string, value: string | null | undefined, rule: typeof nameProblem) => {
    if (value === null || value === undefined) return;
    const why = rule(value);
    if (why) {
      out.push({
        path,
        severity: "error",
        message: `${JSON.stringify(redactString(value))} ${why}`,
        location: locations.value(path),
      });
    }
  };
  check("dataset.data_folder", c.dataset.data_folder, locationProblem);
  check("checkpoint.checkpoint_folder", c.checkpoint.checkpoint_folder, locationProblem);
  check("checkpoint.uri", c.checkpoint.uri, locationProblem);
  check("output.folder", c.output.folder, locationProblem);
  check("model.name", c.model.name, nameProblem);
  check("dataset.file_prefix", c.dataset.file_prefix, nameProblem);
  check("output.log_file", c.output.log_file, nameProblem);
  return out;
}
