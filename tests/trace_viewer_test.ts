/**
 * Traces open cleanly in a real trace viewer: speedscope (its built web app from npm, fetched by
 * the test command into .cache/speedscope) loads a 2-rank run's trace in headless Chromium and
 * reports no nesting problem ("Tried to end …", "… still open at end of profile") and no error.
 * The nesting check itself is shown to catch what speedscope complains about.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { nestingErrors, type TraceEvent } from "../src/metrics/trace.ts";
import { openPage } from "./_browser.ts";
import { runWithCheckpoints } from "./_helpers.ts";

const SPEEDSCOPE = new URL("../.cache/speedscope/package/dist/release/", import.meta.url).pathname;

const TYPES: Record<string, string> = {
  html: "text/html",
  js: "text/javascript",
  css: "text/css",
  wasm: "application/wasm",
};

/** speedscope's files and the trace, over HTTP on 127.0.0.1 (its loader fetches a URL). */
function serve(trace: string) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const file = path === "/trace.json"
      ? trace
      : join(SPEEDSCOPE, path === "/" ? "index.html" : path.slice(1));
    try {
      const type = TYPES[file.slice(file.lastIndexOf(".") + 1)] ?? "application/octet-stream";
      return new Response(await Deno.readFile(file), { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

Deno.test("the nesting check catches events that stick out of their parent", () => {
  const x = (name: string, ts: number, dur: number, tid = 0): TraceEvent => ({
    name,
    ph: "X",
    ts,
    dur,
    pid: 0,
    tid,
  });
  assert.deepEqual(nestingErrors([x("a", 0, 10), x("b", 2, 8), x("c", 10, 5)]), []);
  assert.equal(nestingErrors([x("a", 0, 10), x("b", 5, 6)]).length, 1);
  // The same overlap on two tracks is fine.
  assert.deepEqual(nestingErrors([x("a", 0, 10), x("b", 5, 6, 1)]), []);
});

Deno.test("speedscope in headless Chromium opens a 2-rank trace with no nesting warning", async () => {
  const dir = await runWithCheckpoints("dl-driver-viewer-", ["--trace"]);
  for (const rank of [0, 1]) {
    const server = serve(join(dir, "out", `trace-${rank}-of-2.pfw`));
    const base = `http://127.0.0.1:${server.addr.port}`;
    const page = await openPage(`${base}/#profileURL=${encodeURIComponent(`${base}/trace.json`)}`);
    try {
      await page.waitFor("document.title.includes('trace.json')");
      // The import is done when speedscope logs its timing.
      const imported = () => page.log.console.some((m) => /^import:/.test(m.text));
      for (let i = 0; i < 100 && !imported(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(imported(), JSON.stringify(page.log.console));
      assert.ok(page.log.console.some((m) => /Trace Event Format/.test(m.text)));
      const problems = page.log.console.filter((m) =>
        /Tried to end|still open at end|Ignoring|Empty profile|Unexpected/.test(m.text)
      );
      assert.deepEqual(problems, []);
      assert.deepEqual(page.log.exceptions, []);
      await page.screenshot(join(dir, `speedscope-${rank}.png`));
      assert.ok((await Deno.stat(join(dir, `speedscope-${rank}.png`))).size > 10_000);
    } finally {
      await page.close();
      await server.shutdown();
    }
  }
  await Deno.remove(dir, { recursive: true });
});
