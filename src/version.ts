/**
 * dl-driver's version and the pinned versions of its dependencies (from deno.json).
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { redactString } from "./util/redact.ts";

/** The dl-driver version. */
export const VERSION: string = denoJson.version;

/** Pinned npm dependencies: name → version. */
export const DEPENDENCIES: Record<string, string> = Object.fromEntries(
  Object.values(denoJson.imports as Record<string, string>)
    .map((spec) => /^npm:(@?[^@]+)@(.+)$/.exec(spec))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]),
);

/** Where and with what this run happened. */
export function provenance(): Record<string, unknown> {
  return {
    dl_driver_version: VERSION,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: Deno.build.os,
    arch: Deno.build.arch,
    hostname: Deno.hostname(),
    cpus: navigator.hardwareConcurrency,
    dependencies: DEPENDENCIES,
    args: Deno.args.map(redactString),
  };
}
