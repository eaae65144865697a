/**
 * Config entry point: find the workload file, parse it, apply overrides, validate against the
 * schema and DLIO's cross-field rules; every problem is reported at once.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, type Diagnostic, UserError } from "../errors.ts";
import { capacityRules } from "./capacity.ts";
import { crossFieldRules, unsupported } from "./rules.ts";
import { SCHEMA, type WorkloadConfig } from "./schema.ts";
import { Locations, parseYamlSource } from "./source.ts";
import { applyOverrides, parseOverrides } from "./overrides.ts";
import { aliasTarget, resolveAliases, unknownPath, validateAgainstSchema } from "./validate.ts";
import { closest } from "./suggest.ts";

/** Folder of the bundled workloads. */
export const BUNDLED_WORKLOADS = fileURLToPath(new URL("../../configs/workload/", import.meta.url));

/** What to load. */
export interface ResolveOptions {
  /** Path of a workload YAML file. */
  file?: string;
  /** Override arguments (`workload=NAME`, `dataset.x=1`, `++workload.a.b=v`, ...). */
  args?: string[];
  /** Folder holding `workload/NAME.yaml` (DLIO's `--config-dir`). */
  configDir?: string;
  /** Number of ranks (for DLIO's parallelism rules). */
  worldSize?: number;
  /** Also report what dl-driver cannot run yet as errors (generate/run). */
  requireRunnable?: boolean;
  /** This host's memory: refuse sizes it cannot hold (capacity.ts). */
  hostMemoryBytes?: number;
}

/** A loaded, validated workload. */
export interface ResolvedConfig {
  config: WorkloadConfig;
  /** Warnings (errors throw). */
  warnings: Diagnostic[];
  /** The workload file used. */
  sourceFile: string;
  /** Override arguments as given (for `overrides.yaml`). */
  overrides: string[];
  /** `hydra.run.dir=` if given. */
  runDir?: string;
  /** `workload=NAME` if given (the bundled workload). */
  workloadName?: string;
  /**
   * The workload as Hydra composes it for DLIO: the file's keys with the overrides applied, no
   * defaults (DLIO's `dlio_config/config.yaml`).
   */
  composed: Record<string, unknown>;
  /** Positions of keys (for later diagnostics). */
  locations: Locations;
}

/** List bundled (or `configDir`) workload names. */
export function listWorkloads(configDir?: string): string[] {
  const dir = configDir ? join(configDir, "workload") : BUNDLED_WORKLOADS;
  try {
    return [...Deno.readDirSync(dir)]
      .filter((e) => e.isFile && /\.ya?ml$/.test(e.name))
      .map((e) => e.name.replace(/\.ya?ml$/, ""))
      .sort();
  } catch {
    return [];
  }
}

function findWorkload(name: string, configDir?: string): string {
  const dir = configDir ? join(configDir, "workload") : BUNDLED_WORKLOADS;
  for (const ext of [".yaml", ".yml"]) {
    const p = join(dir, name + ext);
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* try next */ }
  }
  const names = listWorkloads(configDir);
  const near = closest(name, names);
  throw new UserError(
    `workload '${name}' not found in ${dir}` + (near ? `; did you mean '${near}'?` : "") +
      (names.length ? `\navailable: ${names.join(", ")}` : ""),
  );
}

/** The largest workload file read (DLIO's are a few KiB; anything bigger is not a workload). */
const MAX_CONFIG_BYTES = 4 * 2 ** 20;

function readText(path: string): string {
  try {
    using f = Deno.openSync(path, { read: true });
    if (f.statSync().isDirectory) throw new Deno.errors.IsADirectory(path);
    // Read at most the cap (+1 to notice more): /dev/zero or a 50 MB file is refused at once.
    const buf = new Uint8Array(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (let got; n < buf.length && (got = f.readSync(buf.subarray(n))) !== null;) n += got;
    if (n > MAX_CONFIG_BYTES) {
      throw new UserError(
        `config file ${path} is larger than ${MAX_CONFIG_BYTES / 2 ** 20} MiB: not a workload ` +
          "(DLIO workloads are a few KiB)",
      );
    }
    return new TextDecoder().decode(buf.subarray(0, n));
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new UserError(`config file not found: ${path}`);
    if (e instanceof Deno.errors.IsADirectory) {
      throw new UserError(`config path is a directory, not a YAML file: ${path}`);
    }
    throw new UserError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
}

/** Load and validate a workload. Throws `ConfigError` listing every problem. */
export function resolveConfig(opts: ResolveOptions): ResolvedConfig {
  const parsedArgs = parseOverrides(opts.args ?? []);
  const diagnostics: Diagnostic[] = [...parsedArgs.diagnostics];
  if (opts.file && parsedArgs.workload) {
    throw new UserError(
      `give either a workload file (${opts.file}) or workload=${parsedArgs.workload}, not both`,
    );
  }
  let file = opts.file;
  if (!file && parsedArgs.workload) file = findWorkload(parsedArgs.workload, opts.configDir);
  if (!file) {
    const none = "no workload given: pass a YAML file or workload=NAME (see --help)";
    if (!diagnostics.some((d) => d.severity === "error")) throw new UserError(none);
    throw new ConfigError([...diagnostics, { path: "", severity: "error", message: none }]);
  }
  const text = readText(file);
  let data: Record<string, unknown> = {};
  let locations = new Locations();
  if (text.trim() === "" || /^\s*(#.*)?(\n\s*(#.*)?)*$/.test(text)) {
    diagnostics.push({
      path: "",
      severity: "error",
      message:
        "the workload file is empty: expected a DLIO workload mapping (dataset:, reader:, ...)",
      location: { source: file, line: 1, col: 1 },
    });
  } else {
    const parsed = parseYamlSource(text, file);
    locations = parsed.locations;
    diagnostics.push(...parsed.diagnostics);
    if (parsed.diagnostics.length === 0) {
      if (typeof parsed.data !== "object" || parsed.data === null || Array.isArray(parsed.data)) {
        diagnostics.push({
          path: "",
          severity: "error",
          message: "expected a mapping of sections (model:, dataset:, reader:, ...) at top level",
          location: { source: file, line: 1, col: 1 },
        });
      } else data = parsed.data as Record<string, unknown>;
    }
  }
  const fatal = diagnostics.filter((d) => d.severity === "error" && d.location?.source === file);
  if (fatal.length > 0) throw new ConfigError(diagnostics);
  // The file's aliases first, so an override under either name replaces the file's value.
  diagnostics.push(...resolveAliases(data, locations));
  for (const o of parsedArgs.overrides.filter((o) => o.op === "delete")) {
    const where = { source: `override '${o.text}'`, line: 0, col: 0 };
    const unknown = unknownPath(SCHEMA, aliasTarget(o.path), new Locations());
    if (unknown) diagnostics.push({ ...unknown, location: where });
  }
  diagnostics.push(...applyOverrides(data, parsedArgs.overrides, locations));
  const composed = structuredClone(data);
  const { value, diagnostics: schemaDiags } = validateAgainstSchema(SCHEMA, data, locations);
  diagnostics.push(...schemaDiags);
  const config = value as unknown as WorkloadConfig;
  if (!hasKey(data, ["reader", "data_loader"]) && !hasKey(data, ["data_reader", "data_loader"])) {
    // DLIO's bundled files rely on the loader matching the framework when it is not given.
    config.reader.data_loader = config.framework === "pytorch" ? "pytorch" : "tensorflow";
  }
  // The cross-field rules run even after schema errors (every problem at once); a key the
  // schema refused holds its default, so rules about it would mislead and are dropped.
  const refused = schemaDiags.filter((d) => d.severity === "error").map((d) => d.path);
  const about = (d: Diagnostic) =>
    refused.some((p) => d.path === p || d.path.startsWith(p + ".") || p.startsWith(d.path + "."));
  const rules: Diagnostic[] = [...crossFieldRules(config, locations, opts.worldSize)];
  if (opts.hostMemoryBytes) rules.push(...capacityRules(config, locations, opts.hostMemoryBytes));
  const notYet = unsupported(config, locations);
  if (opts.requireRunnable) rules.push(...notYet);
  else rules.push(...notYet.map((d) => ({ ...d, severity: "warning" as const })));
  diagnostics.push(...(refused.length ? rules.filter((d) => !about(d)) : rules));
  if (diagnostics.some((d) => d.severity === "error")) throw new ConfigError(diagnostics);
  return {
    config,
    warnings: diagnostics,
    sourceFile: file,
    overrides: opts.args?.filter((a) => !/^workload=/.test(a)) ?? [],
    runDir: parsedArgs.runDir,
    workloadName: parsedArgs.workload,
    composed,
    locations,
  };
}

function hasKey(data: Record<string, unknown>, path: string[]): boolean {
  let node: unknown = data;
  for (const k of path) {
    if (typeof node !== "object" || node === null || !(k in node)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  return true;
}
