/**
 * mlpstorage v3.0's results tree (reference mlperf-v3.md §5.2–5.3): an `init`-ed results folder
 * (`mlperf-results.yaml` names the organisation), leaves
 * `<mode>/<org>/results/<system>/training/<model>/<datasize|datagen|run>/<YYYYMMDD_HHMMSS>/` and
 * `…/checkpointing/<model>/<ts>/`, each with exactly one `<type>_<ts>_metadata.json` and the
 * command's `<type>_<command>.stdout.log`/`.stderr.log`; and the datagen manifest.
 * @module
 */
import { join, resolve } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { UserError } from "../errors.ts";
import { runStamp } from "../run/output_dir.ts";
import { VERSION } from "../version.ts";
import { redact, redactString } from "../util/redact.ts";

/** Where a v3.0 command's results go. */
export interface Tree {
  resultsDir: string;
  mode: string;
  org: string;
  system: string;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const SENTINEL = "mlperf-results.yaml";

function segment(value: string, what: string): string {
  if (!SEGMENT.test(value)) {
    throw new UserError(`mlperf: ${what} '${value}' may use only letters, digits, '.', '_', '-'`);
  }
  return value;
}

/** `mlperf init <org> [path]`: the results folder's sentinel. */
export async function initResults(org: string | undefined, path: string): Promise<string> {
  if (!org) throw new UserError("usage: dl-driver mlperf init <orgname> [<results-dir>]");
  segment(org, "orgname");
  const file = join(path, SENTINEL);
  const existing = await Deno.readTextFile(file).catch(() => undefined);
  if (existing !== undefined) {
    throw new UserError(`mlperf init: ${path} is already initialised (${file})`);
  }
  await Deno.mkdir(path, { recursive: true });
  await Deno.writeTextFile(
    file,
    stringify({
      mlperf_results_version: 1,
      orgname: org,
      initialized_at: new Date().toISOString(),
      initialized_by: `dl-driver ${VERSION}`,
    }),
  );
  return file;
}

/** The tree of an `init`-ed results folder (flag, else MLPSTORAGE_RESULTS_DIR). */
export async function openTree(
  mode: string,
  resultsDir: string | undefined,
  system: string | undefined,
): Promise<Tree> {
  const dir = resultsDir ?? Deno.env.get("MLPSTORAGE_RESULTS_DIR");
  if (!dir) {
    throw new UserError("mlperf: --results-dir/-rd (or MLPSTORAGE_RESULTS_DIR) is required");
  }
  const text = await Deno.readTextFile(join(dir, SENTINEL)).catch(() => undefined);
  const org = text === undefined ? undefined : (parseYaml(text) as { orgname?: string })?.orgname;
  if (!org) {
    throw new UserError(
      `mlperf: ${dir} is not an initialised results folder (no ${SENTINEL}); run ` +
        `\`dl-driver mlperf init <orgname> ${dir}\` first (mlpstorage E101)`,
    );
  }
  const sys = system ?? Deno.env.get("MLPSTORAGE_SYSTEMNAME");
  if (!sys) {
    throw new UserError("mlperf: --systemname/-sn (or MLPSTORAGE_SYSTEMNAME) is required (E201)");
  }
  return { resultsDir: dir, mode, org: segment(org, "orgname"), system: segment(sys, "system") };
}

/**
 * `<mode>/<org>/systems/<system>.yaml` on the first run, as mlpstorage writes it: a partial system
 * description (the clients seen, the benchmark API) for the submitter to complete.
 */
export async function writeSystemStub(
  t: Tree,
  api: "file" | "object",
  host: { hostname: string; memoryGiB: number; cpus: number },
): Promise<void> {
  const dir = join(t.resultsDir, t.mode, t.org, "systems");
  const file = join(dir, `${t.system}.yaml`);
  if (await Deno.stat(file).then(() => true, () => false)) return;
  await Deno.mkdir(dir, { recursive: true });
  const body = stringify({
    system_under_test: { name: t.system, solution: { architecture: { benchmark_API: api } } },
    clients: [{ hostname: host.hostname, cpu_cores: host.cpus, memory_GiB: host.memoryGiB }],
  });
  await Deno.writeTextFile(
    file,
    `# Written by dl-driver ${VERSION} on the first run: complete it (and add the PDF) before ` +
      "submitting.\n" + body,
  );
}

/** Rule 3.4.2: data and results on different file systems (st_dev compared; nothing written). */
export async function fsSeparation(dataDir: string, resultsDir: string) {
  const dev = async (p: string) => (await Deno.stat(p).catch(() => undefined))?.dev ?? null;
  const data = await dev(dataDir), results = await dev(resultsDir);
  return {
    data_dir: resolve(dataDir),
    results_dir: resolve(resultsDir),
    data_st_dev: data,
    results_st_dev: results,
    separate: data !== null && results !== null && data !== results,
    method: "st_dev (dl-driver; mlpstorage probes with os.link/EXDEV)",
  };
}

/** The folder of a benchmark's command (checkpointing has no command level). */
export function commandDir(t: Tree, benchmark: string, model: string, command?: string): string {
  const base = join(
    t.resultsDir,
    t.mode,
    t.org,
    "results",
    t.system,
    benchmark,
    segment(model, "model"),
  );
  return command === undefined ? base : join(base, command);
}

/** A new timestamped leaf under `parent` (local time, one per second as mlpstorage's). */
export async function newLeaf(parent: string): Promise<{ dir: string; stamp: string }> {
  for (;;) {
    const stamp = runStamp(Date.now());
    const dir = join(parent, stamp);
    try {
      await Deno.mkdir(dir, { recursive: false });
      return { dir, stamp };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) {
        await Deno.mkdir(parent, { recursive: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    }
  }
}

/** What a leaf's metadata says (mlpstorage's fields; dl-driver's provenance beside them). */
export interface LeafMetadata {
  benchmark_type: "training" | "checkpointing";
  model: string;
  command: string;
  num_processes: number;
  accelerator: string | null;
  parameters: Record<string, unknown>;
  override_parameters: Record<string, string>;
  verification: "CLOSED" | "OPEN" | "INVALID";
  args: Record<string, unknown>;
  invocation_start_time: string;
  exit_status: number;
  runtime: number;
  host: { hostname: string; memoryGiB: number; cpus: number };
  /** The host metrics sampled during the command (`<type>_<ts>_timeseries.json`). */
  timeseries_data?: Record<string, unknown>;
}

/** Write a leaf's metadata and its command's stdout/stderr logs. */
export async function writeLeaf(
  leaf: { dir: string; stamp: string },
  m: LeafMetadata,
  stdout: string,
  stderr: string,
): Promise<void> {
  const type = m.benchmark_type;
  const out = `${type}_${m.command}.stdout.log`, err = `${type}_${m.command}.stderr.log`;
  await Deno.writeTextFile(join(leaf.dir, out), stdout);
  await Deno.writeTextFile(join(leaf.dir, err), stderr);
  const { host, ...fields } = m;
  const meta = redact({
    ...fields,
    run_datetime: leaf.stamp,
    result_dir: resolve(leaf.dir),
    system_info: {
      hosts: [{
        hostname: host.hostname,
        memory: { total: host.memoryGiB * 2 ** 30 },
        cpu: { num_cores: host.cpus },
      }],
    },
    executed_command: `dl-driver ${Deno.args.map(redactString).join(" ")}`,
    command_output_files: [{ command: m.command, stdout: out, stderr: err }],
    invocation_end_time: new Date().toISOString(),
    // Honest labelling: these results come from dl-driver, not from mlpstorage and DLIO.
    generated_by: `dl-driver ${VERSION}`,
    verification_note: "dl-driver's verdict under the rules; a CLOSED submission must use the " +
      "unmodified mlpstorage (Rules §1)",
  });
  await Deno.writeTextFile(
    join(leaf.dir, `${type}_${leaf.stamp}_metadata.json`),
    JSON.stringify(meta, null, 2) + "\n",
  );
}

/** The datagen manifest mlpstorage's `run` reads (`<data-dir>/<model>/.mlps-datagen-manifest.json`). */
export async function writeManifest(
  dataDir: string,
  m: { model: string; files: number; nspf: number; record: number; leaf: string },
): Promise<void> {
  await Deno.writeTextFile(
    join(dataDir, ".mlps-datagen-manifest.json"),
    JSON.stringify(
      {
        schema_version: 1,
        model: m.model,
        num_files_train: m.files,
        num_samples_per_file: m.nspf,
        record_length_bytes: m.record,
        created_at: new Date().toISOString(),
        mlpstorage_version: `dl-driver ${VERSION}`,
        source_datagen_result_dir: m.leaf,
      },
      null,
      2,
    ) + "\n",
  );
}

/** `num_files_train` of the datagen manifest in `dataDir`, if there is one. */
export async function manifestFiles(dataDir: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(join(dataDir, ".mlps-datagen-manifest.json"))
    .catch(() => undefined);
  if (text === undefined) return undefined;
  const n = Number(JSON.parse(text).num_files_train);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
