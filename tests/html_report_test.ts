/**
 * report.html as a user's browser shows it (Debian's Chromium, headless, over the DevTools
 * protocol): every chart drawn by the inlined uPlot, no console error or exception, no request
 * but the page itself, round ticks with units, the AU threshold line and verdicts, and a
 * screenshot: for a training run, an MPI run and a checkpoint-only run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileUrl, openPage } from "./_browser.ts";
import { mpirun, runCli, runWithCheckpoints, smallWorkload, yamlFile } from "./_helpers.ts";

/** What the page drew, after its script finished. */
interface Drawn {
  errors: string;
  charts: string[];
  ticks: Record<string, { x?: string[]; y?: string[]; threshold?: string; markers?: string }>;
  facts: Record<string, string>;
  text: string;
}

/** Open a report, check what every report must be, and return what it drew. */
export async function checkReport(file: string, screenshot: string): Promise<Drawn> {
  const html = await Deno.readTextFile(file);
  assert.doesNotMatch(html, /(src|href)=["']?https?:/);
  const page = await openPage(fileUrl(file), { width: 1200, height: 2400 });
  try {
    await page.waitFor("document.body.dataset.done");
    const d = await page.eval<Drawn>(`({
      errors: document.body.dataset.errors,
      charts: document.body.dataset.charts.split(",").filter(Boolean),
      ticks: Object.fromEntries([...document.querySelectorAll(".chart")].map((c) => [
        c.dataset.chart,
        { x: c.dataset.xticks?.split(";"), y: c.dataset.yticks?.split(";"),
          threshold: c.dataset.threshold, markers: c.dataset.markers },
      ])),
      facts: Object.fromEntries([...document.querySelectorAll("#facts tr")]
        .map((r) => [r.cells[0].textContent, r.cells[1].textContent])),
      text: document.body.innerText,
    })`);
    assert.equal(d.errors, "");
    assert.deepEqual(page.log.exceptions, []);
    assert.deepEqual(page.log.console.filter((m) => m.type === "error"), []);
    // Self-contained: the only request is the page itself.
    assert.deepEqual(page.log.requests, [fileUrl(file)]);
    await page.screenshot(screenshot);
    assert.ok((await Deno.stat(screenshot)).size > 20_000, "a screenshot of a drawn page");
    return d;
  } finally {
    await page.close();
  }
}

/**
 * Round tick labels with their unit ("1,250 MiB/s"): evenly spaced by a nice step (1, 2, 2.5 or
 * 5 × 10^k), each a multiple of it.
 */
function assertTicks(ticks: string[] | undefined, unit: RegExp) {
  assert.ok(ticks && ticks.length >= 2, `ticks: ${ticks}`);
  const values = ticks.map((t) => {
    const m = /^([\d,.]+) ?(.*)$/.exec(t);
    assert.ok(m && unit.test(m[2]!), `tick '${t}' lacks its unit ${unit}`);
    return Number(m[1]!.replaceAll(",", ""));
  });
  const step = values[1]! - values[0]!;
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  assert.ok([1, 2, 2.5, 5].some((n) => Math.abs(mantissa - n) < 1e-9), `step ${step}: ${ticks}`);
  values.forEach((v, i) => {
    assert.ok(Math.abs(v - values[0]! - i * step) < step * 1e-6, `uneven: ${ticks}`);
    assert.ok(Math.abs(v / step - Math.round(v / step)) < 1e-6, `'${ticks[i]}' off the step`);
  });
}

/** What a training run's page must show. */
function checkTraining(d: Drawn, ranks: number) {
  for (const c of ["epochs", "au", "timeline", "latency", "rank 0"]) {
    assert.ok(d.charts.includes(c));
  }
  assert.equal(d.charts.filter((c) => c.startsWith("rank ")).length, Math.min(ranks, 8));
  // The AU chart: 0–100 % with the threshold line, and a verdict per epoch.
  assert.equal(d.ticks.au!.threshold, "90");
  assert.match(d.text, /threshold 90 %/);
  assert.match(d.text, /epoch\tAU \(DLIO\)[^\n]*verdict/);
  assert.match(d.text, /\n1\t[\d.]+ %\t.*\t(PASS|FAIL)/);
  assertTicks(d.ticks.au!.y, /^%$/);
  // Epochs are whole numbers; rates and bytes carry units; latency on decade ticks in ms.
  assert.ok(d.ticks.epochs!.x!.every((t) => /^epoch \d+$/.test(t)), `${d.ticks.epochs!.x}`);
  assertTicks(d.ticks.epochs!.y, /^\/s$/);
  assertTicks(d.ticks.timeline!.y, /^(B|KiB|MiB|GiB)\/s$/);
  assertTicks(d.ticks.timeline!.x, /^s$/);
  assert.ok(Number(d.ticks.timeline!.markers) >= 2, "epoch markers on the time chart");
  const decades = d.ticks.latency!.x!.map((t) => Number(t.replace(/ ms$/, "").replaceAll(",", "")));
  assert.ok(decades.every((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9));
  assertTicks(d.ticks["rank 0"]!.y, /^ms$/);
  // The headline in human units, with the verdict.
  assert.match(d.facts.AU!, /^[\d.]+ % \(threshold 90 %\): (PASS|FAIL)$/);
  assert.match(d.facts.duration!, /^[\d.]+ (ms|s)$|min/);
  assert.match(d.facts.dataset!, /npz, 12 files × 2 samples, [\d.]+ (KiB|MiB)/);
  assert.match(d.facts.run!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  assert.match(d.text, /and percentiles\n[\s\S]*\nio\t\d+\t[\d.]+ ms/);
}

Deno.test("report.html of a training run with checkpoints on 2 accelerators", async () => {
  const dir = await runWithCheckpoints("dl-driver-html-");
  const d = await checkReport(join(dir, "out", "report.html"), join(dir, "train.png"));
  checkTraining(d, 2);
  assert.ok(d.charts.includes("checkpoints"));
  assertTicks(d.ticks.checkpoints!.y, /^GB\/s$/);
  assert.match(d.text, /steps_between_checkpoints: 3/); // the config that produced it
  // The error capture works: a page whose data is broken reports its error.
  const file = join(dir, "out", "report.html");
  const broken = join(dir, "broken.html");
  await Deno.writeTextFile(
    broken,
    (await Deno.readTextFile(file)).replace('"epochs":[', '"epochs":{'),
  );
  const page = await openPage(fileUrl(broken));
  try {
    await page.waitFor("document.body.dataset.done");
    assert.notEqual(await page.eval<string>("document.body.dataset.errors"), "");
  } finally {
    await page.close();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report.html of an MPI run: 2 processes × 2 accelerators, one page of 4 ranks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-html-mpi-" });
  const wl = await yamlFile(smallWorkload(dir).replace("batch_size: 4", "batch_size: 2"));
  const r = await mpirun(2, ["run", wl, "--accelerators", "2", "-q"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const d = await checkReport(join(dir, "out", "report.html"), join(dir, "mpi.png"));
  checkTraining(d, 4);
  assert.match(d.facts.accelerators!, /^4 /);
  assert.match(d.text, /no checkpoints in this run/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report.html of a checkpoint-only run is built around save and restore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-html-ck-" });
  const r = await runCli([
    "run",
    "workload=demo",
    "workflow.train=False",
    "workflow.generate_data=False",
    "workflow.checkpoint=True",
    "checkpoint.num_checkpoints_write=2",
    "checkpoint.num_checkpoints_read=2",
    `checkpoint.uri=file://${join(dir, "ck")}`,
    "model.model_size_bytes=4000000",
    "-o",
    join(dir, "out"),
    "-q",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const d = await checkReport(join(dir, "out", "report.html"), join(dir, "ck.png"));
  assert.deepEqual(d.charts, ["checkpoints"]);
  assert.match(d.text, /dl-driver report: demo: checkpoints on file:\/\//);
  // No training leftovers above the configuration.
  assert.doesNotMatch(d.text.split("\nConfiguration")[0]!, /npz|Throughput per epoch|AU \(DLIO\)/);
  assert.match(d.facts.checkpoint!, /^2 saved, 2 restored, [\d.]+ MiB each$/);
  assert.match(d.facts.save!, /^[\d.]+ GB\/s$/);
  assert.match(d.facts.restore!, /^[\d.]+ GB\/s$/);
  assertTicks(d.ticks.checkpoints!.y, /^GB\/s$/);
  assert.match(d.text, /checkpoint file save\t2\t/);
  assert.match(d.text, /\n3\t0\trestore\t/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("compare --html: two runs side by side, per-epoch charts, ratios, self-contained", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-html-cmp-" });
  const wl = await yamlFile(smallWorkload(dir));
  for (const [name, threads] of [["a", 1], ["b", 3]] as const) {
    const r = await runCli([
      "run",
      wl,
      `reader.read_threads=${threads}`,
      "-o",
      join(dir, name),
      "-q",
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const file = join(dir, "compare.html");
  const c = await runCli(["compare", join(dir, "a"), join(dir, "b"), "--html", file]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /compare: wrote .*compare\.html/);
  const d = await checkReport(file, join(dir, "compare.png"));
  assert.deepEqual(d.charts, ["compare throughput", "compare au"]);
  assert.equal(d.ticks["compare au"]!.threshold, "90");
  assert.ok(d.ticks["compare throughput"]!.x!.every((t) => /^epoch \d+$/.test(t)));
  assertTicks(d.ticks["compare throughput"]!.y, /^\/s$/);
  // The fields table: both runs' values and B's ratio to A, bytes in binary units.
  assert.match(d.text, /run A\t.*\/a\t/);
  assert.match(d.text, /throughput_samples_per_sec ↑\tsamples\/s\t[\d.,]+\t[\d.,]+\t[\d.]+×/);
  assert.match(d.text, /total_bytes\tB\t[\d.]+ (KiB|MiB)\t[\d.]+ (KiB|MiB)\t1\.00×/);
  await Deno.remove(dir, { recursive: true });
});
