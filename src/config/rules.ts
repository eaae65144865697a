/**
 * DLIO's cross-field rules (`ConfigArguments.validate`), plus what dl-driver cannot run yet.
 * @module
 */
import type { Diagnostic } from "../errors.ts";
import { ELEMENT_TYPES, type WorkloadConfig } from "./schema.ts";
import type { Locations } from "./source.ts";
import { configLocation } from "./location.ts";
import { pathRules } from "./paths.ts";
import { FORMATS_AVAILABLE } from "../formats/mod.ts";
import { isLocal, schemeOf, SCHEMES } from "../storage/schemes.ts";

/** Apply DLIO's cross-field rules; `worldSize` is the number of ranks. */
export function crossFieldRules(
  c: WorkloadConfig,
  locations: Locations,
  worldSize?: number,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: string, message: string, severity: "error" | "warning" = "error") =>
    out.push({ path, message, severity, location: locations.value(path) });
  const r = c.reader, d = c.dataset, m = c.model, ck = c.checkpoint;
  // Nothing is written outside the folders the user named.
  out.push(...pathRules(c, locations));

  if (c.workflow.train && d.format === "tfrecord" && r.data_loader === "pytorch") {
    add("reader.data_loader", "format tfrecord cannot be read with the pytorch data loader");
  }
  const tfLoaders = ["tensorflow"], torchLoaders = ["pytorch"];
  if (c.workflow.train && c.framework === "tensorflow" && torchLoaders.includes(r.data_loader)) {
    add("reader.data_loader", "framework tensorflow cannot use data_loader pytorch");
  }
  if (c.workflow.train && c.framework === "pytorch" && tfLoaders.includes(r.data_loader)) {
    add("reader.data_loader", "framework pytorch cannot use data_loader tensorflow");
  }
  if (r.data_loader_classname && !r.data_loader_sampler) {
    add("reader.data_loader_sampler", "a custom data_loader_classname needs data_loader_sampler");
  }
  const cpus = navigator.hardwareConcurrency;
  if (r.read_threads > cpus) {
    add(
      "reader.read_threads",
      `read_threads ${r.read_threads} exceeds the ${cpus} CPUs of this host`,
      "warning",
    );
  }
  if ((m.type === "transformer" || m.num_layers > 0) && m.num_layers < m.parallelism.pipeline) {
    add("model.num_layers", `num_layers (${m.num_layers}) < pipeline (${m.parallelism.pipeline})`);
  }
  if (m.parallelism.pipeline > 1 && m.parallelism.zero_stage === 3) {
    add("model.parallelism.zero_stage", "ZeRO stage 3 cannot be combined with pipeline > 1");
  }
  if (ck.mode === "default" && m.parallelism.data !== -1) {
    add("model.parallelism.data", "parallelism.data may only be set in checkpoint.mode subset");
  }
  if (ck.mode === "subset" && m.parallelism.data <= 0) {
    add("model.parallelism.data", "checkpoint.mode subset needs parallelism.data > 0");
  }
  if (worldSize !== undefined) out.push(...worldSizeRules(c, locations, worldSize));
  if (ck.num_checkpoints_write > 0 && ck.num_checkpoints_read > ck.num_checkpoints_write) {
    add(
      "checkpoint.num_checkpoints_read",
      `num_checkpoints_read (${ck.num_checkpoints_read}) > num_checkpoints_write (${ck.num_checkpoints_write})`,
    );
  }
  if (ck.ksm && ck.randomize_tensor) {
    add("checkpoint.randomize_tensor", "checkpoint.ksm needs randomize_tensor: false");
  }
  datasetRules(c, add);
  parquetColumnRules(c, add);
  if (c.workflow.train && d.num_files_train === 0) {
    add("dataset.num_files_train", "training needs at least one file (num_files_train ≥ 1)");
  }
  if (c.workflow.train && c.workflow.evaluation && d.num_files_eval === 0) {
    add(
      "dataset.num_files_eval",
      "evaluation is on but num_files_eval is 0: no eval steps will run",
      "warning",
    );
  }
  return out;
}

/** Adds a diagnostic at a key's position. */
type Add = (path: string, message: string, severity?: "error" | "warning") => void;

/** The dataset's shape, compression and format rules. */
function datasetRules(c: WorkloadConfig, add: Add): void {
  const d = c.dataset;
  if (d.format === "hdf5" && d.record_dims.length > 0) {
    const k = d.hdf5.num_dset_per_record;
    if (d.record_dims[0]! % k !== 0) {
      add(
        "dataset.record_dims",
        `record_dims[0] (${
          d.record_dims[0]
        }) must be a multiple of hdf5.num_dset_per_record (${k})`,
      );
    }
  }
  const applied: Record<string, string[]> = { npz: ["zip"], hdf5: ["gzip", "lzf", "bz2", "xz"] };
  if (d.compression !== "none" && !(applied[d.format] ?? []).includes(d.compression)) {
    add(
      "dataset.compression",
      `compression ${d.compression} is not applied to format ${d.format} (npz: zip; hdf5: gzip)`,
      "warning",
    );
  }
  if (d.format === "jpeg" || d.format === "png") {
    if (d.record_element_type !== "uint8") {
      add("dataset.record_element_type", `format ${d.format} needs record_element_type uint8`);
    }
    if (d.record_dims.length > 2) {
      add("dataset.record_dims", `format ${d.format} allows at most 2 record_dims`);
    }
  }
  if (d.record_dims.some((x) => x === 0)) {
    add(
      "dataset.record_dims",
      `record_dims [${d.record_dims.join(", ")}] make 0-byte samples; every dimension must be ≥ 1`,
    );
  }
  if (d.record_dims.length > 0 && d.record_length_bytes_stdev > 0) {
    add(
      "dataset.record_length_bytes_stdev",
      "record_dims and record_length_bytes_stdev cannot both be set",
    );
  }
}

/** `dataset.parquet.columns`: each a mapping {name, dtype, size, read}. */
function parquetColumnRules(c: WorkloadConfig, add: Add): void {
  const d = c.dataset;
  const cols = d.parquet.columns as unknown[];
  cols.forEach((col, i) => {
    const p = `dataset.parquet.columns.${i}`;
    const o = col as Record<string, unknown>;
    if (typeof col !== "object" || col === null || Array.isArray(col)) {
      add(p, "expected a mapping {name, dtype, size, read}");
      return;
    }
    for (const k of Object.keys(o)) {
      if (!["name", "dtype", "size", "read"].includes(k)) {
        add(`${p}.${k}`, `unknown column key '${k}' (takes name, dtype, size, read)`);
      }
    }
    if (typeof o.name !== "string" || o.name === "") add(`${p}.name`, "expected a column name");
    if (!Number.isInteger(o.size) || (o.size as number) < 1) {
      add(
        `${p}.size`,
        `expected a positive integer (elements per row), found ${JSON.stringify(o.size)}`,
      );
    }
    if (o.dtype !== undefined && !ELEMENT_TYPES.includes(o.dtype as never)) {
      add(
        `${p}.dtype`,
        `expected one of ${ELEMENT_TYPES.join(", ")}, found ${JSON.stringify(o.dtype)}`,
      );
    }
    if (o.read !== undefined && typeof o.read !== "boolean") {
      add(`${p}.read`, "expected true or false");
    }
  });
}

/**
 * DLIO's rules on the world size (ranks of the job), run once the job's size is known: in
 * checkpoint.mode subset DP×TP×PP must cover every rank; otherwise a checkpointing job's ranks
 * must split into TP×PP groups.
 */
export function worldSizeRules(
  c: WorkloadConfig,
  locations: Locations,
  worldSize: number,
): Diagnostic[] {
  const p = c.model.parallelism, mp = p.tensor * p.pipeline;
  const at = (path: string, message: string): Diagnostic[] => [
    { path, message, severity: "error", location: locations.value(path) },
  ];
  if (c.checkpoint.mode === "subset") {
    return p.data > 0 && p.data * mp < worldSize
      ? at("model.parallelism.data", `DP×TP×PP must be ≥ the world size (${worldSize})`)
      : [];
  }
  const checkpointing = c.workflow.checkpoint || c.checkpoint.enabled;
  if (checkpointing && worldSize % mp !== 0) {
    return at(
      "model.parallelism.tensor",
      `world size ${worldSize} is not a multiple of TP×PP (${mp}); use a multiple of it, or ` +
        "checkpoint.mode: subset with parallelism.data",
    );
  }
  return [];
}

/** Things dl-driver cannot do yet for this config (errors for generate/run, warnings for validate). */
export function unsupported(c: WorkloadConfig, locations: Locations): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: string, message: string) =>
    out.push({ path, message, severity: "error", location: locations.value(path) });
  if (!FORMATS_AVAILABLE.includes(c.dataset.format)) {
    add(
      "dataset.format",
      `format ${c.dataset.format} is not implemented yet (available: ${
        FORMATS_AVAILABLE.join(", ")
      })`,
    );
  }
  if (c.storage.storage_type === "aistore") {
    add(
      "storage.storage_type",
      "storage_type aistore is not implemented (available: local_fs, parallel_fs, s3)",
    );
  }
  if (
    c.reader.odirect && !isLocal(configLocation(c))
  ) {
    add("reader.odirect", "O_DIRECT applies to local files only, not to object storage");
  }
  const scheme = schemeOf(configLocation(c));
  if (scheme && !SCHEMES.includes(scheme)) {
    add(
      "dataset.data_folder",
      `storage scheme ${scheme}:// is not implemented (available: ${
        SCHEMES.map((s) => s + "://").join(", ")
      })`,
    );
  }
  return out;
}
