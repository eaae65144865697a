/**
 * DLIO's `dlio_config/` folder as Hydra writes it: `config.yaml` (the workload as composed: the
 * file's keys with the overrides applied, no defaults), `overrides.yaml` (`workload=NAME` then
 * `++workload.<key>=<value>`, as mlpstorage passes them) and `hydra.yaml` (the run folder and
 * the overrides). dl-driver's fully resolved configuration (every key, defaults included) goes
 * beside them in the results folder as `resolved_config.yaml` (mlpstorage wants exactly three
 * files in `dlio_config/`).
 * @module
 */
import { join } from "node:path";
import type { ResolvedConfig } from "../config/resolve.ts";
import { writeYaml } from "./output_dir.ts";
import { redact, redactString } from "../util/redact.ts";

/** The overrides as Hydra lists them for DLIO: `workload=NAME`, then `++workload.` keys. */
export function hydraOverrides(rc: ResolvedConfig, toolKeys: string[] = []): string[] {
  const tool = new Set(toolKeys);
  const out = rc.workloadName === undefined ? [] : [`workload=${rc.workloadName}`];
  for (const o of rc.overrides) {
    const m = /^(\+\+|\+|~)?(?:workload\.)?([^=]+)(=.*)?$/s.exec(o);
    if (!m || m[2]!.startsWith("hydra.")) continue;
    if (tool.has(m[2]!)) continue;
    out.push(m[1] === "~" ? `~workload.${m[2]}` : `++workload.${m[2]}${m[3] ?? ""}`);
  }
  return out;
}

/**
 * Write `dlio_config/` and `resolved_config.yaml` into results folder `dir`. `toolKeys`: keys
 * the tool set for itself (per-run seeds), applied but not listed as overrides.
 */
export async function writeDlioConfig(
  dir: string,
  rc: ResolvedConfig,
  toolKeys: string[] = [],
): Promise<void> {
  // Credentials are replaced in every file (the key stays, so it is clear it was set).
  const overrides = hydraOverrides(rc, toolKeys).map(redactString);
  await writeYaml(join(dir, "dlio_config", "config.yaml"), { workload: redact(rc.composed) });
  await writeYaml(join(dir, "dlio_config", "overrides.yaml"), overrides);
  await writeYaml(join(dir, "dlio_config", "hydra.yaml"), {
    hydra: {
      run: { dir },
      output_subdir: "dlio_config",
      overrides: { hydra: [`hydra.run.dir=${dir}`], task: overrides },
      runtime: { choices: { workload: rc.workloadName ?? null } },
      job: { name: "dlio_benchmark" },
    },
  });
  await writeYaml(join(dir, "resolved_config.yaml"), { workload: redact(rc.config) });
}
