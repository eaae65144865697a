/**
 * No run lost: results are on disk as each epoch ends; SIGINT and SIGTERM leave a results folder
 * marked incomplete (exit 130 / 143) with every completed epoch; SIGKILL mid-epoch 3 of 4 leaves
 * epochs 1–2 readable.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { smallWorkload, spawnCli, yamlFile } from "./_helpers.ts";

/** Start a 4-epoch run (~0.6 s per epoch) and wait until `epochs` epochs are on disk. */
async function runUntil(epochs: number) {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-int-" });
  const wl = await yamlFile(smallWorkload(dir));
  const out = join(dir, "res");
  const child = spawnCli([
    "run",
    wl,
    "train.epochs=4",
    "train.computation_time=0.1",
    "workflow.evaluation=False",
    "-q",
    "-o",
    out,
  ]);
  // summary.json is the last file written for an epoch: once it counts `epochs`, all are there.
  const summary = join(out, "summary.json");
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 25));
    try {
      const why = JSON.parse(Deno.readTextFileSync(summary)).incomplete_reason ?? "";
      if (Number(/^running: (\d+) of/.exec(why)?.[1] ?? 0) >= epochs) break;
    } catch { /* not written yet */ }
  }
  return { child, out };
}

const json = (p: string) => JSON.parse(Deno.readTextFileSync(p));

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`${signal} mid-run: exit ${code}, results marked incomplete with every completed epoch`, async () => {
    const { child, out } = await runUntil(1);
    const t0 = performance.now();
    child.kill(signal);
    const r = await child.output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, code, stderr);
    assert.ok(performance.now() - t0 < 5000, "stopped within 5 s");
    const summary = json(join(out, "summary.json"));
    assert.equal(summary.incomplete, true);
    assert.match(summary.incomplete_reason, signal === "SIGINT" ? /SIGINT/ : /SIGTERM/);
    const report = json(join(out, "report.json"));
    assert.equal(report.status, "incomplete");
    const done = Object.keys(json(join(out, "0_per_epoch_stats.json")));
    assert.ok(done.length >= 1 && done.length < 4, done.join(","));
    assert.equal(report.epochs_completed, done.length);
    assert.ok(report.total_samples >= 24 * done.length);
  });
}

Deno.test("SIGKILL mid-epoch 3 of 4: epochs 1–2 are on disk and the summary says it is incomplete", async () => {
  const { child, out } = await runUntil(2);
  child.kill("SIGKILL");
  await child.output();
  const stats = json(join(out, "0_per_epoch_stats.json"));
  assert.ok(["1", "2"].every((e) => e in stats), Object.keys(stats).join(","));
  const summary = json(join(out, "summary.json"));
  assert.equal(summary.incomplete, true);
  assert.match(summary.incomplete_reason, /^running: [23] of 4 epochs done$/);
  assert.ok(json(join(out, "0_output.json"))["1"]);
  assert.equal(json(join(out, "report.json")).status, "incomplete");
});
