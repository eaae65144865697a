// Tests of checkpoint layouts: DLIO's parameter counts and checkpoint sizes.
import assert from "node:assert/strict";
import { resolveConfig } from "../config/resolve.ts";
import { checkpointBytes, parameterCount } from "./layout.ts";

const cfg = (...args: string[]) => resolveConfig({ args }).config;

Deno.test("llama3 8B / 70B / 405B: DLIO's parameter counts and the rules' checkpoint sizes", () => {
  const cases = [
    ["llama3_8b", 8, 8.03e9, 104.7, "105 GB"],
    ["llama3_70b", 64, 69.9e9, 911.2, "912 GB"],
    ["llama3_405b", 512, 405.9e9, 5291.7, "5.29 TB"],
  ] as const;
  for (const [name, ranks, params, gib] of cases) {
    const c = cfg(`workload=${name}`);
    assert.ok(Math.abs(parameterCount(c) / params - 1) < 0.002, `${name}: ${parameterCount(c)}`);
    const total = checkpointBytes(c, ranks) / 2 ** 30;
    assert.ok(Math.abs(total - gib) < 0.6, `${name}: ${total.toFixed(1)} GiB, want ${gib}`);
  }
});
