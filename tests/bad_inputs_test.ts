/**
 * The bad-input corpus (tests/fixtures/bad/cases.yaml and the YAML files beside it): each bad
 * workload file, override line and option gets its documented exit code and one clear message,
 * with no stack trace, within 10 s, and writes nothing (each runs in an empty folder that must
 * stay empty). validate and run must refuse the same inputs with the same message.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { CLI_PERMISSIONS } from "./_helpers.ts";

const BAD = fileURLToPath(new URL("./fixtures/bad/", import.meta.url));
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

interface Case {
  args: string[];
  cmds?: string[];
  code: number;
  message: string;
  hidden?: string;
}

const cases = parse(await Deno.readTextFile(join(BAD, "cases.yaml"))) as Case[];

/** Run one command of a case in an empty folder; what it printed and whether it wrote. */
async function runCase(cmd: string, c: Case) {
  const cwd = await Deno.makeTempDir({ prefix: "dl-driver-bad-" });
  const args = c.args.map((a) => a.startsWith("@") ? join(BAD, a.slice(1)) : a);
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMISSIONS, CLI, cmd, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const written = [...Deno.readDirSync(cwd)].map((e) => e.name);
  await Deno.remove(cwd, { recursive: true });
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    seconds,
    written,
  };
}

Deno.test("the bad-input corpus holds at least 100 inputs", () => {
  const runs = cases.reduce((n, c) => n + (c.cmds ?? ["validate", "run"]).length, 0);
  assert.ok(cases.length >= 100, `${cases.length} cases`);
  assert.ok(runs >= 200, `${runs} command runs`);
});

Deno.test("bad inputs: exit code, one clear message, no stack trace, no hang, nothing written", async () => {
  const jobs = cases.flatMap((c) => (c.cmds ?? ["validate", "run"]).map((cmd) => ({ cmd, c })));
  const failures: string[] = [];
  // Three at a time: each is a short process start.
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { cmd, c } = jobs[next++]!;
      const what = `${cmd} ${c.args.join(" ")}`;
      let r;
      try {
        r = await runCase(cmd, c);
      } catch (e) {
        failures.push(`${what}: ${(e as Error).message} (a hang past 10 s?)`);
        continue;
      }
      const text = r.stderr + r.stdout;
      const problems = [
        r.code !== c.code && `exit ${r.code}, expected ${c.code}`,
        !new RegExp(c.message).test(text) && `message does not match /${c.message}/`,
        /internal error|\n\s+at [\w.<>]+ \(|^\s+at file:/m.test(text) && "a stack trace",
        r.written.length > 0 && `wrote ${r.written.join(", ")}`,
        c.hidden && text.includes(c.hidden) && `printed ${c.hidden}`,
        !r.stderr.startsWith("dl-driver: ") && !/^\S+:\d+:\d+: warning/.test(r.stderr) &&
        !/^override '/.test(r.stderr) && "stderr does not start with 'dl-driver: '",
      ].filter(Boolean);
      if (problems.length) failures.push(`${what}: ${problems.join("; ")}\n${text.slice(0, 600)}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  assert.deepEqual(failures, [], failures.join("\n\n"));
});

Deno.test("absurd workload files are refused in seconds: 80,000 keys, 5 MiB", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-absurd-" });
  const keys = join(dir, "keys.yaml");
  const lines = ["dataset:"];
  for (let i = 0; i < 80_000; i++) lines.push(`  key_${i}: ${i}`);
  await Deno.writeTextFile(keys, lines.join("\n") + "\n");
  const big = join(dir, "big.yaml");
  await Deno.writeTextFile(big, `# ${"x".repeat(5 * 2 ** 20)}\nmodel:\n  name: big\n`);
  for (
    const [file, re] of [
      [keys, /and 79950 more unknown keys \(not listed\)/],
      [big, /larger than 4 MiB: not a workload/],
    ] as const
  ) {
    const r = await runCase("validate", { args: [file], code: 2, message: "" });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.ok(r.seconds < 10, `${file}: ${r.seconds.toFixed(1)} s`);
  }
  await Deno.remove(dir, { recursive: true });
});
