/**
 * `validate`: print a workload's effective settings in a few lines.
 * @module
 */
import { redactString } from "../util/redact.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import { stepsPerEpoch } from "../loader/sampler.ts";
import { configLocation } from "../config/location.ts";

/** A short description of what the workload will do. */
export function describeConfig(rc: ResolvedConfig): string {
  const c = rc.config, d = c.dataset, r = c.reader;
  const samples = d.num_files_train * d.num_samples_per_file;
  const steps = stepsPerEpoch(samples, r.batch_size, 1);
  const gib = (samples * d.record_length_bytes) / 2 ** 30;
  const ct = typeof c.train.computation_time === "number"
    ? `${c.train.computation_time} s`
    : JSON.stringify(c.train.computation_time);
  const errors = rc.warnings.filter((w) => w.severity === "warning").length;
  return [
    `OK ${rc.sourceFile}${
      rc.overrides.length ? ` with ${rc.overrides.map(redactString).join(" ")}` : ""
    }` +
    (errors ? ` (${errors} warning${errors === 1 ? "" : "s"})` : ""),
    `  model ${c.model.name}, framework ${c.framework}, loader ${r.data_loader}`,
    `  dataset ${d.format} at ${configLocation(c)}: ` +
    `${d.num_files_train} train files × ${d.num_samples_per_file} samples × ` +
    `${d.record_length_bytes} B ≈ ${gib.toFixed(2)} GiB` +
    (d.num_files_eval ? `, ${d.num_files_eval} eval files` : ""),
    `  training: ${c.train.epochs} epochs × ${steps} steps of ${r.batch_size} samples (1 rank), ` +
    `compute ${ct}/step, read_threads ${r.read_threads}, prefetch ${r.prefetch_size}`,
    `  workflow: generate_data ${c.workflow.generate_data}, train ${c.workflow.train}, ` +
    `evaluation ${c.workflow.evaluation}, checkpoint ${c.workflow.checkpoint}`,
  ].join("\n");
}
