/**
 * Shared test helpers.
 * @module
 */
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** Write a YAML string to a temporary file and return its path. */
export async function yamlFile(text: string, name = "workload.yaml"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-test-" });
  const p = join(dir, name);
  await Deno.writeTextFile(p, text);
  return p;
}

/** A small NPZ workload for end-to-end tests, in `dir`. */
export function smallWorkload(dir: string, extra = ""): string {
  return `model:
  name: small
framework: pytorch
workflow:
  generate_data: True
  train: True
  evaluation: True
dataset:
  data_folder: ${join(dir, "data")}
  format: npz
  num_files_train: 12
  num_files_eval: 4
  num_samples_per_file: 2
  record_length_bytes: 16384
  record_length_bytes_stdev: 2048
  record_length_bytes_resize: 4096
reader:
  data_loader: pytorch
  batch_size: 4
  batch_size_eval: 2
  read_threads: 3
  prefetch_size: 2
  # Every file is read (these tests check coverage and counts); DLIO's trimming, the default,
  # has its own tests (trimming_test.ts).
  file_trimming: none
train:
  epochs: 2
  computation_time: 0.002
  seed: 7
evaluation:
  eval_time: 0.001
output:
  folder: ${join(dir, "out")}
${extra}`;
}

/** The permissions `deno task cli` grants (no subprocesses, no imports from the network). */
export const CLI_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
  "--allow-ffi",
];

/** Run the CLI as a subprocess; returns exit code, stdout and stderr. */
export async function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMISSIONS, cli, ...args],
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...opts.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Start the CLI as a child process (to signal it mid-run); stdout and stderr are piped. */
export function spawnCli(args: string[]): Deno.ChildProcess {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMISSIONS, cli, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

export {
  azureConnectionString,
  newBucket,
  newContainer,
  s3Endpoint,
  s3Options,
} from "./_servers.ts";

/** Run a Python script (default: the system /usr/bin/python3 with Debian's numpy/h5py/Pillow). */
export async function python(
  script: string,
  args: string[],
  exe = "/usr/bin/python3",
): Promise<string> {
  const out = await new Deno.Command(exe, {
    args: ["-c", script, ...args],
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`${exe} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** The CLI as one shell command line (each argument quoted). */
export function cliCommand(args: string[]): string {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  return [Deno.execPath(), "run", ...CLI_PERMISSIONS, cli, ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
}

/** Run the CLI under mpirun inside a private network namespace (loopback only). */
export function mpirun(
  np: number,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return mpirunIn(`-np ${np} ${cliCommand(args)}`);
}

/** Run `mpirun <apps>` (e.g. MPMD `-np 1 A : -np 1 B`) inside a private network namespace. */
export async function mpirunIn(
  apps: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = "ip link set lo up && exec mpirun --allow-run-as-root --oversubscribe " +
    `--mca btl self,vader ${apps}`;
  const out = await new Deno.Command("timeout", {
    args: ["120", "unshare", "-n", "sh", "-c", script],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A line of a streamed list file (`--visited-items`, `--latency-lists`), with its rank. */
export type ListRow = Record<string, string | number> & { rank: number };

/** Read the gzip TSV list files a report names (`visited_items_files` or `latency_list_files`). */
export function readLists(
  report: { output_folder: string } & Record<string, unknown>,
  field: "visited_items_files" | "latency_list_files",
): ListRow[] {
  const files = report[field] as string[];
  const rows: ListRow[] = [];
  for (const name of files) {
    const rank = Number(/-(\d+)\.tsv\.gz$/.exec(name)![1]);
    const gz = Deno.readFileSync(join(report.output_folder, name));
    const [head, ...lines] = new TextDecoder().decode(gunzipSync(gz)).trimEnd().split("\n");
    const cols = head!.split("\t");
    for (const line of lines) {
      const row: ListRow = { rank };
      line.split("\t").forEach((v, i) => {
        const k = cols[i]!;
        row[k] = k === "key" ? v : Number(v);
      });
      rows.push(row);
    }
  }
  return rows;
}

/**
 * The small workload in a new folder, run on 2 accelerators with a checkpoint every 3 steps
 * (results in `<dir>/out`), plus `extra` options; returns the folder.
 */
export async function runWithCheckpoints(prefix: string, extra: string[] = []): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli([
    "run",
    wl,
    "workflow.checkpoint=True",
    "checkpoint.steps_between_checkpoints=3",
    `checkpoint.uri=file://${join(dir, "ck")}`,
    "--accelerators",
    "2",
    "-q",
    ...extra,
  ]);
  if (r.code !== 0) throw new Error(`run failed (${r.code}): ${r.stderr}`);
  return dir;
}
