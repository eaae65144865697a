/**
 * The benchmarks' way to run dl-driver: the CLI in a child process with `--json -q`, its JSON
 * report back (an error with its stderr when it fails).
 * @module
 */
import { CLI_PERMISSIONS } from "../tests/_helpers.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;

/**
 * Benchmarks read every file: DLIO's trimming (plain `run`'s default) would cut their few
 * multi-sample files, even to none. A bench that sets `reader.file_trimming` itself overrides it.
 */
export const EVERY_FILE = "reader.file_trimming=none";

/**
 * Run `dl-driver <args> --json -q` (`denoFlags` before the script, e.g. V8 flags) with the
 * permissions `deno task cli` grants, so the benches measure what users run: Deno checks
 * permissions on every file op unless `--allow-all`.
 */
export async function cliJson(
  args: string[],
  denoFlags: string[] = [],
): Promise<Record<string, number>> {
  const [cmd, ...rest] = args;
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMISSIONS, ...denoFlags, cli, cmd!, EVERY_FILE, ...rest, "--json", "-q"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (p.code !== 0) throw new Error(new TextDecoder().decode(p.stderr));
  return JSON.parse(new TextDecoder().decode(p.stdout));
}
