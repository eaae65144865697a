import { resolveConfig, listWorkloads } from "../src/config/resolve.ts";
import { formatDiagnostic } from "../src/errors.ts";
for (const w of listWorkloads()) {
  try { const r = resolveConfig({ args: [`workload=${w}`] }); console.log(w, "ok", r.warnings.length, r.warnings.slice(0,2).map(formatDiagnostic)); }
  catch (e) { console.log(w, "ERR", (e as Error).message); }
}
