/**
 * The HTML report rendered by a real browser (Debian's chromium, headless): every chart drawn,
 * no script or console errors, nothing loaded from the network.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, smallWorkload, yamlFile } from "./_helpers.ts";

/** The DOM after the page's scripts ran. */
async function render(file: string): Promise<string> {
  const out = await new Deno.Command("timeout", {
    args: [
      "60",
      "chromium",
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      `--user-data-dir=${await Deno.makeTempDir({ prefix: "dl-driver-chromium-" })}`,
      "--dump-dom",
      `file://${file}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

const attr = (dom: string, name: string) =>
  new RegExp(`<body[^>]* ${name}="([^"]*)"`).exec(dom)?.[1];

Deno.test("report.html renders in headless Chromium: all charts, no errors, self-contained", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-html-" });
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
  ]);
  assert.equal(r.code, 0, r.stderr);
  const file = join(dir, "out", "report.html");
  const html = await Deno.readTextFile(file);
  // Self-contained: no external scripts, styles, images or fonts.
  assert.doesNotMatch(html, /(src|href)=["']?https?:/);
  assert.doesNotMatch(html, /@import|url\(http/);
  const dom = await render(file);
  assert.equal(attr(dom, "data-errors"), "");
  assert.deepEqual(attr(dom, "data-charts")!.split(","), [
    "epochs",
    "au",
    "timeline",
    "latency",
    "ranks",
    "checkpoints",
  ]);
  assert.equal((dom.match(/<svg /g) ?? []).length, 6);
  assert.match(dom, /rank 1 compute/);
  assert.match(dom, /steps_between_checkpoints: 3/); // the config that produced it

  // The error capture works: a page whose data is broken reports its error.
  const broken = join(dir, "broken.html");
  await Deno.writeTextFile(broken, html.replace('"epochs":[', '"epochs":{'));
  assert.notEqual(attr(await render(broken), "data-errors"), "");
});
