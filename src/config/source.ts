/**
 * YAML text → plain values plus a map of source positions per key path.
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Diagnostic, SourceLocation } from "../errors.ts";

/** Positions of keys and values, by dotted path. */
export class Locations {
  readonly #keys = new Map<string, SourceLocation>();
  readonly #values = new Map<string, SourceLocation>();

  /** Record where a key and its value are. */
  set(path: string, key: SourceLocation, value: SourceLocation = key): void {
    this.#keys.set(path, key);
    this.#values.set(path, value);
  }

  /** Forget a path and everything under it (an override replaced it). */
  drop(path: string): void {
    for (const m of [this.#keys, this.#values]) {
      for (const k of [...m.keys()]) if (k === path || k.startsWith(path + ".")) m.delete(k);
    }
  }

  /** Whether the file or an override set exactly this key. */
  has(path: string): boolean {
    return this.#values.has(path);
  }

  /** Where the key at `path` (or its nearest ancestor) is. */
  key(path: string): SourceLocation | undefined {
    return this.#nearest(this.#keys, path);
  }

  /** Where the value at `path` (or its nearest ancestor) is. */
  value(path: string): SourceLocation | undefined {
    return this.#nearest(this.#values, path);
  }

  #nearest(m: Map<string, SourceLocation>, path: string): SourceLocation | undefined {
    let p = path;
    for (;;) {
      const l = m.get(p);
      if (l) return l;
      const i = p.lastIndexOf(".");
      if (i < 0) return m.get("") ?? undefined;
      p = p.slice(0, i);
    }
  }
}

/** A parsed YAML document: its plain data and where each key came from. */
export interface ParsedSource {
  data: unknown;
  locations: Locations;
  diagnostics: Diagnostic[];
}

/** Parse YAML text, keeping positions. Syntax errors become diagnostics with positions. */
export function parseYamlSource(text: string, source: string): ParsedSource {
  const lc = new LineCounter();
  // Duplicate keys are found below in one pass (the library's own check is quadratic: 80 k keys
  // took 48 s).
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: false });
  const locations = new Locations();
  const at = (offset: number | undefined): SourceLocation => {
    const p = lc.linePos(offset ?? 0);
    return { source, line: p.line, col: p.col };
  };
  locations.set("", { source, line: 0, col: 0 });
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    diagnostics.push({
      path: "",
      severity: "error",
      message: `malformed YAML: ${
        e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")
      }`,
      location: pos ? { source, line: pos.line, col: pos.col } : { source, line: 0, col: 0 },
    });
  }
  if (diagnostics.length > 0) return { data: undefined, locations, diagnostics };
  const walk = (node: unknown, path: string): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
        const p = path ? `${path}.${k}` : k;
        const keyNode = item.key as Node | null;
        const valNode = item.value as Node | null;
        const kl = at(keyNode?.range?.[0]);
        if (seen.has(k)) {
          diagnostics.push({
            path: p,
            severity: "error",
            message: `malformed YAML: duplicate key '${k}'`,
            location: kl,
          });
        }
        seen.add(k);
        locations.set(p, kl, valNode?.range ? at(valNode.range[0]) : kl);
        walk(item.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((it, i) => {
        const n = it as Node | null;
        if (n?.range) locations.set(`${path}.${i}`, at(n.range[0]));
        walk(it, `${path}.${i}`);
      });
    }
  };
  walk(doc.contents, "");
  if (diagnostics.length > 0) return { data: undefined, locations, diagnostics };
  try {
    return { data: doc.toJS({ maxAliasCount: 1000 }), locations, diagnostics };
  } catch (e) {
    // An alias bomb (aliases of aliases expanding exponentially): refused, not expanded.
    if (!(e instanceof ReferenceError)) throw e;
    diagnostics.push({
      path: "",
      severity: "error",
      message: "malformed YAML: its aliases (*name) expand to too many nodes; write the values out",
      location: { source, line: 1, col: 1 },
    });
    return { data: undefined, locations, diagnostics };
  }
}
