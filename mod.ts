/**
 * dl-driver library API: load DLIO workloads, generate datasets, run the emulated training.
 * @module
 */
export {
  listWorkloads,
  resolveConfig,
  type ResolvedConfig,
  type ResolveOptions,
} from "./src/config/resolve.ts";
export { SCHEMA, type WorkloadConfig } from "./src/config/schema.ts";
export { ConfigError, DataError, type Diagnostic, ExitCode, UserError } from "./src/errors.ts";
export type { Capabilities, ObjectInfo, StorageBackend } from "./src/storage/backend.ts";
export { StorageError } from "./src/storage/backend.ts";
export { openBackend } from "./src/storage/open.ts";
export { datasetLocation } from "./src/config/location.ts";
export { FileBackend } from "./src/storage/file.ts";
export { MemBackend } from "./src/storage/mem.ts";
export type { Codec, FileSpec, OpenedFile } from "./src/formats/codec.ts";
export { codecFor } from "./src/formats/mod.ts";
export {
  generateDataset,
  type GenerateOptions,
  type GenerateResult,
} from "./src/generate/generate.ts";
export { planDataset } from "./src/generate/plan.ts";
export { runLifecycle, runWorkload, type WorkloadOptions } from "./src/run/lifecycle.ts";
export type { RunOptions, RunResult } from "./src/run/options.ts";
export { realDeps, type RunDeps } from "./src/run/deps.ts";
export { type RunSummary, summarize } from "./src/metrics/summarize.ts";
export { type Clock, FakeClock, realClock } from "./src/util/clock.ts";
export { VERSION } from "./src/version.ts";
