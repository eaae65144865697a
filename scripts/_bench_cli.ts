/**
 * The benchmarks' way to run dl-driver: the CLI in a child process with `--json -q`, its JSON
 * report back (an error with its stderr when it fails).
 * @module
 */
const cli = new URL("../cli.ts", import.meta.url).pathname;

/** Run `dl-driver <args> --json -q` (`denoFlags` before the script, e.g. V8 flags). */
export async function cliJson(
  args: string[],
  denoFlags: string[] = [],
): Promise<Record<string, number>> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags, cli, ...args, "--json", "-q"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (p.code !== 0) throw new Error(new TextDecoder().decode(p.stderr));
  return JSON.parse(new TextDecoder().decode(p.stdout));
}
