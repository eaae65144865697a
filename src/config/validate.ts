/**
 * Check plain values against the schema: types, ranges, enums, unknown keys (with
 * did-you-mean), planned keys (one warning each). Fills in defaults. Reports every problem.
 * @module
 */
import type { Diagnostic } from "../errors.ts";
import type { KeySpec, SchemaNode, SectionSpec } from "./schema_dsl.ts";
import { KEY_ALIASES, SECTION_ALIASES } from "./schema.ts";
import type { Locations } from "./source.ts";
import { closest } from "./suggest.ts";

/** What a problem report needs to know. */
interface Ctx {
  locations: Locations;
  diagnostics: Diagnostic[];
  /** Every leaf path of the schema, for cross-section suggestions. */
  allPaths: string[];
  /** Planned keys present in the input, reported grouped by section. */
  planned: string[];
  /** Keys with no effect (DLIO ignores them too) present in the input, reported the same way. */
  noop: string[];
  /** Unknown keys met. */
  unknown: number;
}

/** Unknown keys reported one by one; the rest are counted. */
const UNKNOWN_LISTED = 50;

function describe(v: unknown): string {
  if (v === null || v === undefined) return "an empty value (null)";
  if (Array.isArray(v)) return `a list (${JSON.stringify(v).slice(0, 40)})`;
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `the boolean ${v}`;
  return `${typeof v} ${String(v)}`;
}

/** A fresh context; `allPaths` feeds the cross-section suggestions of unknown keys. */
function newCtx(locations: Locations, allPaths: string[] = []): Ctx {
  return { locations, diagnostics: [], allPaths, planned: [], noop: [], unknown: 0 };
}

function err(ctx: Ctx, path: string, message: string, at: "key" | "value" = "value"): void {
  ctx.diagnostics.push({
    path,
    message,
    severity: "error",
    location: at === "key" ? ctx.locations.key(path) : ctx.locations.value(path),
  });
}

function leafPaths(node: SchemaNode, prefix: string, out: string[]): string[] {
  if (node.node === "section") {
    for (const [k, child] of Object.entries(node.keys as Record<string, SchemaNode>)) {
      leafPaths(child, prefix ? `${prefix}.${k}` : k, out);
    }
  } else out.push(prefix);
  return out;
}

/** Validate `data` against `schema`. Returns the resolved object (defaults filled in). */
export function validateAgainstSchema(
  schema: SectionSpec<Record<string, SchemaNode>>,
  data: unknown,
  locations: Locations,
): { value: Record<string, unknown>; diagnostics: Diagnostic[] } {
  const ctx = newCtx(locations, leafPaths(schema, "", []));
  const own = isRecord(data) ? structuredClone(data) : data;
  if (isRecord(own)) ctx.diagnostics.push(...resolveAliases(own, locations));
  const value = checkSection(schema, own, "", ctx);
  if (ctx.unknown > UNKNOWN_LISTED) {
    ctx.diagnostics.push({
      path: "",
      severity: "error",
      message: `and ${ctx.unknown - UNKNOWN_LISTED} more unknown keys (not listed)`,
      location: ctx.locations.key(""),
    });
  }
  ignoredWarnings(ctx, ctx.planned, "not implemented by dl-driver yet");
  ignoredWarnings(ctx, ctx.noop, "without effect (DLIO ignores it too, or it has no meaning here)");
  return { value, diagnostics: ctx.diagnostics };
}

/** One warning per section for the keys accepted and ignored, saying why. */
function ignoredWarnings(ctx: Ctx, keys: string[], why: string): void {
  for (const [sectionName, paths] of Map.groupBy(keys, (p) => p.split(".")[0]!)) {
    const names = paths.map((p) => p.slice(sectionName.length + 1) || p);
    ctx.diagnostics.push({
      path: paths.length === 1 ? paths[0]! : `${sectionName}.{${names.join(", ")}}`,
      severity: "warning",
      message: `known DLIO key${paths.length === 1 ? "" : "s"}, ${why}: accepted and ignored`,
      location: ctx.locations.key(paths[0]!),
    });
  }
}

/**
 * Move aliased sections and keys (`data_reader`, `dataset.record_length`, ...) to the names
 * dl-driver uses, in place; both at once is an error naming the alias.
 */
export function resolveAliases(out: Record<string, unknown>, locations: Locations): Diagnostic[] {
  const ctx = newCtx(locations);
  for (const [alias, target] of Object.entries({ ...SECTION_ALIASES, ...KEY_ALIASES })) {
    const from = parentOf(out, alias, false);
    const name = alias.slice(alias.lastIndexOf(".") + 1);
    if (!from || !(name in from)) continue;
    const to = parentOf(out, target, true);
    const tname = target.slice(target.lastIndexOf(".") + 1);
    if (!to || tname in to) {
      err(ctx, alias, `both '${alias}' and its alias target '${target}' are given; use one`, "key");
    } else {
      to[tname] = from[name];
      const key = ctx.locations.key(alias);
      if (key) ctx.locations.set(target, key, ctx.locations.value(alias));
      copyLocations(ctx, alias, target, from[name]);
    }
    delete from[name];
  }
  return ctx.diagnostics;
}

/** The dl-driver name of a dotted override path given under an alias (else the path). */
export function aliasTarget(path: string): string {
  for (const [alias, target] of Object.entries({ ...SECTION_ALIASES, ...KEY_ALIASES })) {
    if (path === alias) return target;
    if (path.startsWith(`${alias}.`)) return target + path.slice(alias.length);
  }
  return path;
}

/** The mapping holding dotted `path`'s last key (made when `create`), or undefined. */
function parentOf(
  root: Record<string, unknown>,
  path: string,
  create: boolean,
): Record<string, unknown> | undefined {
  let at = root;
  for (const k of path.split(".").slice(0, -1)) {
    if (!(k in at) && create) at[k] = {};
    const next = at[k];
    if (!isRecord(next)) return undefined;
    at = next;
  }
  return at;
}

function copyLocations(ctx: Ctx, from: string, to: string, v: unknown): void {
  if (!isRecord(v)) return;
  for (const [k, child] of Object.entries(v)) {
    const kl = ctx.locations.key(`${from}.${k}`);
    if (kl) ctx.locations.set(`${to}.${k}`, kl, ctx.locations.value(`${from}.${k}`));
    copyLocations(ctx, `${from}.${k}`, `${to}.${k}`, child);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function defaults(node: SchemaNode): unknown {
  if (node.node === "key") return structuredClone(node.default);
  const out: Record<string, unknown> = {};
  for (const [k, child] of Object.entries(node.keys as Record<string, SchemaNode>)) {
    out[k] = defaults(child);
  }
  return out;
}

function checkSection(
  spec: SectionSpec<Record<string, SchemaNode>>,
  data: unknown,
  path: string,
  ctx: Ctx,
): Record<string, unknown> {
  const out = defaults(spec) as Record<string, unknown>;
  if (data === undefined || data === null) return out;
  if (!isRecord(data)) {
    err(ctx, path, `expected a mapping of keys, found ${describe(data)}`);
    return out;
  }
  for (const [k, v] of Object.entries(data)) {
    const p = path ? `${path}.${k}` : k;
    const child = spec.keys[k];
    if (!child) {
      // Each is reported with a suggestion up to a limit; a config with thousands of unknown
      // keys is refused quickly, not after minutes of suggestions.
      if (++ctx.unknown <= UNKNOWN_LISTED) {
        err(ctx, p, unknownKeyMessage(k, p, Object.keys(spec.keys), ctx), "key");
      }
      continue;
    }
    if (child.status === "planned" && child.node === "key") ctx.planned.push(p);
    if (child.status === "noop" && child.node === "key") ctx.noop.push(p);
    out[k] = child.node === "section" ? checkSection(child, v, p, ctx) : checkKey(child, v, p, ctx);
  }
  return out;
}

/**
 * The unknown-key error for a dotted path no schema section holds (`~dataset.no_such_key`,
 * which deletes nothing the schema check would see), or undefined when the schema knows it.
 */
export function unknownPath(
  schema: SectionSpec<Record<string, SchemaNode>>,
  path: string,
  locations: Locations,
): Diagnostic | undefined {
  const ctx = newCtx(locations, leafPaths(schema, "", []));
  const parts = path.split(".");
  let node: SchemaNode = schema;
  for (let i = 0; i < parts.length; i++) {
    if (node.node !== "section") return undefined; // below a key (a dict's own entries)
    const child: SchemaNode | undefined = node.keys[parts[i]!];
    const p = parts.slice(0, i + 1).join(".");
    if (!child) {
      err(ctx, p, unknownKeyMessage(parts[i]!, p, Object.keys(node.keys), ctx), "key");
      return ctx.diagnostics[0];
    }
    node = child;
  }
  return undefined;
}

function unknownKeyMessage(k: string, p: string, siblings: string[], ctx: Ctx): string {
  const where = p.includes(".") ? `in section '${p.slice(0, p.lastIndexOf("."))}'` : "at top level";
  let hint = "";
  const near = closest(k, siblings);
  if (near) hint = `; did you mean '${near}'?`;
  else {
    const elsewhere = ctx.allPaths.find((q) => q.endsWith("." + k) || q === k);
    if (elsewhere) hint = `; did you mean '${elsewhere}'? (it belongs in another section)`;
    else {
      const nearAny = closest(k, ctx.allPaths.map((q) => q.slice(q.lastIndexOf(".") + 1)));
      const full = nearAny && ctx.allPaths.find((q) => q.endsWith("." + nearAny));
      if (full) hint = `; did you mean '${full}'?`;
    }
  }
  return `unknown key '${k}' ${where}${hint}`;
}

const DIST_PARAMS: Record<string, string[]> = {
  normal: ["mean", "stdev"],
  uniform: ["min", "max"],
  gamma: ["shape", "scale"],
  exponential: ["scale"],
  poisson: ["lam"],
};

function checkKey(spec: KeySpec<unknown>, v: unknown, p: string, ctx: Ctx): unknown {
  if (v === null || v === undefined) {
    if (spec.nullable || spec.kind === "dict") return null;
    err(ctx, p, `expected ${expected(spec)}, found ${describe(v)}`);
    return spec.default;
  }
  const bad = () => {
    err(ctx, p, `expected ${expected(spec)}, found ${describe(v)}`);
    return spec.default;
  };
  const inRange = (n: number) => {
    if (spec.min !== undefined && n < spec.min) {
      err(ctx, p, `must be ≥ ${spec.min}, found ${n}`);
      return spec.default;
    }
    if (spec.max !== undefined && n > spec.max) {
      err(ctx, p, `must be ≤ ${spec.max}, found ${n}${spec.maxHint ? ` (${spec.maxHint})` : ""}`);
      return spec.default;
    }
    return n;
  };
  switch (spec.kind) {
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v)) return bad();
      if (!Number.isSafeInteger(v)) {
        err(ctx, p, `${v} is beyond 2^53, where integers lose precision; use a smaller value`);
        return spec.default;
      }
      return inRange(v);
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) return bad();
      return inRange(v);
    case "bool":
      return typeof v === "boolean" ? v : bad();
    case "boolish":
      if (typeof v === "boolean") return v;
      if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
      return bad();
    case "string":
      return typeof v === "string" ? v : bad();
    case "enum": {
      const s = typeof v === "boolean" && !v ? "off" : v; // YAML 1.1 `off` → false
      if (typeof s !== "string" || !spec.values!.includes(s)) {
        const near = typeof s === "string" ? closest(s, spec.values!) : undefined;
        err(
          ctx,
          p,
          `expected one of ${spec.values!.join(", ")}; found ${describe(v)}` +
            (near ? `; did you mean '${near}'?` : ""),
        );
        return spec.default;
      }
      return s;
    }
    case "int_list":
      if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0)) return bad();
      return v;
    case "list":
      return Array.isArray(v) ? v : bad();
    case "dict":
      return isRecord(v) ? v : bad();
    case "string_or_list":
      if (typeof v === "string") return v;
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
      return bad();
    case "distribution":
      return checkDistribution(spec, v, p, ctx);
  }
}

function checkDistribution(spec: KeySpec<unknown>, v: unknown, p: string, ctx: Ctx): unknown {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) err(ctx, p, `expected a finite number of seconds, found ${v}`);
    else if (v < 0) err(ctx, p, `must be ≥ 0 seconds, found ${v}`);
    return v;
  }
  if (!isRecord(v)) {
    err(ctx, p, `expected ${expected(spec)}, found ${describe(v)}`);
    return spec.default;
  }
  const type = v.type;
  const allowed = type === undefined ? ["mean", "stdev"] : DIST_PARAMS[String(type)];
  if (type !== undefined && !allowed) {
    err(
      ctx,
      `${p}.type`,
      `expected one of ${Object.keys(DIST_PARAMS).join(", ")}; found ${describe(type)}`,
    );
    return spec.default;
  }
  let ok = true;
  for (const [k, x] of Object.entries(v)) {
    if (k === "type") continue;
    if (!allowed!.includes(k)) {
      const near = closest(k, allowed!);
      err(
        ctx,
        `${p}.${k}`,
        `unknown parameter '${k}' for a ${type ?? "mean/stdev"} distribution (takes ${
          allowed!.join(", ")
        })` + (near ? `; did you mean '${near}'?` : ""),
        "key",
      );
      ok = false;
    } else if (typeof x !== "number" || !Number.isFinite(x)) {
      err(ctx, `${p}.${k}`, `expected a finite number, found ${describe(x)}`);
      ok = false;
    } else if (x < 0 && k !== "min" && k !== "max" && k !== "mean") {
      err(ctx, `${p}.${k}`, `must be ≥ 0, found ${x}`);
      ok = false;
    }
  }
  const missing = (type === undefined ? ["mean"] : allowed!).filter((k) => !(k in v));
  if (missing.length && !(type === "normal" && missing.join() === "stdev")) {
    err(ctx, p, `distribution is missing ${missing.join(", ")}`);
    ok = false;
  }
  if (
    type === "uniform" && typeof v.min === "number" && typeof v.max === "number" && v.min > v.max
  ) {
    err(ctx, p, `uniform distribution needs min ≤ max, found min ${v.min} > max ${v.max}`);
    ok = false;
  }
  return ok ? v : spec.default;
}

function expected(spec: KeySpec<unknown>): string {
  const range = spec.min === 0 ? "a non-negative " : spec.min === 1 ? "a positive " : "an ";
  switch (spec.kind) {
    case "int":
      return (spec.min === undefined || spec.min < 0 ? "an " : range) + "integer";
    case "number":
      return (spec.min === undefined || spec.min < 0 ? "a " : range) + "number";
    case "bool":
      return "true or false";
    case "boolish":
      return 'true, false, "true" or "false"';
    case "string":
      return "a string";
    case "enum":
      return `one of ${spec.values!.join(", ")}`;
    case "int_list":
      return "a list of non-negative integers";
    case "list":
      return "a list";
    case "dict":
      return "a mapping";
    case "string_or_list":
      return "a string or a list of strings";
    case "distribution":
      return "seconds (a number) or a distribution mapping (type: normal|uniform|gamma|exponential|poisson, or mean/stdev)";
  }
}
