/**
 * Building blocks of the configuration schema: each key has a kind, a default, a description
 * and an implementation status. The config type is inferred from the schema, so the schema is
 * the single source of truth for parsing, validation, defaults and generated docs.
 * @module
 */
import type { DistributionValue } from "../util/distribution.ts";

export type { DistributionValue };

/** How dl-driver treats a key. */
export type Status =
  /** Implemented: the value changes what dl-driver does. */
  | "implemented"
  /** A DLIO key dl-driver does not implement yet: accepted with one warning. */
  | "planned"
  /** Accepted and documented as having no effect (DLIO ignores it too, or it has no meaning here). */
  | "noop";

/** The value kinds a key can have. */
export type Kind =
  | "int"
  | "number"
  | "bool"
  | "boolish"
  | "string"
  | "enum"
  | "int_list"
  | "list"
  | "dict"
  | "distribution"
  | "string_or_list";

/** Options common to every key. */
export interface KeyOptions {
  doc: string;
  status?: Status;
  /** Minimum allowed value for numbers. */
  min?: number;
  /** Maximum allowed value for numbers. */
  max?: number;
  /** What the maximum means, shown with the error (e.g. "a fraction: 0.9 for 90 %"). */
  maxHint?: string;
  /** Whether `null` is accepted. */
  nullable?: boolean;
  /** Unit shown in the docs. */
  unit?: string;
  /** DLIO's documented default when it differs from DLIO's code default (which we use). */
  dlioDocDefault?: string;
}

/** One key of the schema. `T` is the resolved value type. */
export interface KeySpec<T> extends KeyOptions {
  readonly node: "key";
  readonly kind: Kind;
  readonly default: T;
  readonly values?: readonly string[];
  readonly status: Status;
}

/** A section (mapping) of the schema. */
export interface SectionSpec<K extends Record<string, SchemaNode>> {
  readonly node: "section";
  readonly keys: K;
  readonly doc: string;
  readonly status: Status;
}

/** Any schema node. */
// deno-lint-ignore no-explicit-any
export type SchemaNode = KeySpec<any> | SectionSpec<any>;

/** The resolved value type of a schema node. */
export type Infer<N> = N extends SectionSpec<infer K> ? { -readonly [P in keyof K]: Infer<K[P]> }
  : N extends KeySpec<infer T> ? T
  : never;

/** A computation-time value: seconds, or a distribution dict as DLIO accepts it. */

function key<T>(kind: Kind, def: T, opts: KeyOptions, values?: readonly string[]): KeySpec<T> {
  return { node: "key", kind, default: def, values, ...opts, status: opts.status ?? "implemented" };
}

/** An integer key. */
export const int = (def: number, opts: KeyOptions): KeySpec<number> => key("int", def, opts);
/** An integer key that may be null. */
export const intOrNull = (def: number | null, opts: KeyOptions): KeySpec<number | null> =>
  key("int", def, { ...opts, nullable: true });
/** A number key (floats allowed). */
export const num = (def: number, opts: KeyOptions): KeySpec<number> => key("number", def, opts);
/** A boolean key. */
export const bool = (def: boolean, opts: KeyOptions): KeySpec<boolean> => key("bool", def, opts);
/** A boolean that may also be given as the string "true"/"false" (DLIO's S3 options). */
export const boolish = (def: boolean, opts: KeyOptions): KeySpec<boolean> =>
  key("boolish", def, opts);
/** A string key. */
export const str = (def: string, opts: KeyOptions): KeySpec<string> => key("string", def, opts);
/** A string key that may be null. */
export const strOrNull = (def: string | null, opts: KeyOptions): KeySpec<string | null> =>
  key("string", def, { ...opts, nullable: true });
/** One of a fixed set of strings. */
export const oneOf = <const V extends readonly string[]>(
  values: V,
  def: V[number],
  opts: KeyOptions,
): KeySpec<V[number]> => key("enum", def, opts, values);
/** One of a fixed set of strings, or null. */
export const oneOfOrNull = <const V extends readonly string[]>(
  values: V,
  def: V[number] | null,
  opts: KeyOptions,
): KeySpec<V[number] | null> => key("enum", def, { ...opts, nullable: true }, values);
/** A list of integers. */
export const intList = (opts: KeyOptions): KeySpec<number[]> => key("int_list", [], opts);
/** A list of anything. */
export const anyList = (opts: KeyOptions): KeySpec<unknown[]> => key("list", [], opts);
/** A free-form mapping. */
export const dict = (opts: KeyOptions): KeySpec<Record<string, unknown> | null> =>
  key("dict", null, { ...opts, nullable: true });
/** Seconds as a number, or a distribution dict. */
export const distribution = (opts: KeyOptions): KeySpec<DistributionValue> =>
  key("distribution", 0, opts);
/** A string or a list of strings. */
export const strOrList = (opts: KeyOptions): KeySpec<string | string[] | null> =>
  key("string_or_list", null, { ...opts, nullable: true });

/** A section of keys. */
export const section = <K extends Record<string, SchemaNode>>(
  doc: string,
  keys: K,
  status: Status = "implemented",
): SectionSpec<K> => ({ node: "section", keys, doc, status });
