/**
 * `deno task compile` needs Deno's `denort` runtime, which cannot be downloaded on machines
 * without internet; the test runs only where DENORT_BIN points at one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const denort = Deno.env.get("DENORT_BIN");

Deno.test({
  name: denort
    ? "compile: the single executable runs"
    : "compile: skipped (set DENORT_BIN to a denort binary; it cannot be downloaded here)",
  ignore: !denort,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const out = join(dir, "dl-driver");
    const root = new URL("..", import.meta.url).pathname;
    const c = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "-A",
        "--include",
        "configs",
        "--include",
        "src/loader/reader_worker.ts",
        "--output",
        out,
        "cli.ts",
      ],
      cwd: root,
    }).output();
    assert.equal(c.code, 0, new TextDecoder().decode(c.stderr));
    const v = await new Deno.Command(out, { args: ["--version"], stdout: "piped" }).output();
    assert.match(new TextDecoder().decode(v.stdout), /^dl-driver \d+\.\d+\.\d+/);
  },
});
