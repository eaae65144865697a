// Tests of the step spool: DLIO's per-step lists written from disk are exactly what
// JSON.stringify would have written from memory, across buffer boundaries and blocks.
import assert from "node:assert/strict";
import { join } from "node:path";
import { stepListMarker } from "../metrics/dlio_output.ts";
import type { BlockRecord } from "../metrics/records.ts";
import { dlioWindow, StepSeries } from "../metrics/steps.ts";
import { jsonText } from "./output_dir.ts";
import { StepSpool, stepSpoolPath, writeJsonWithSteps } from "./step_spool.ts";

Deno.test("step spool: output JSON streamed from disk equals JSON.stringify of the lists", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spool = new StepSpool(stepSpoolPath(dir, 3));
    // Two blocks of uneven length (the first spans two spool buffers), then an empty one.
    const sizes = [20_000, 7, 0];
    const blocks: BlockRecord[] = [];
    const want: number[][][] = [];
    let t = 0;
    for (const n of sizes) {
      const steps = new StepSeries(dlioWindow(n, 1, 0), 5, spool);
      const cols: number[][] = [[], [], []];
      for (let i = 0; i < n; i++) {
        const t1 = t + (i % 13) * 0.37, t2 = t1 + 100 + (i % 7) / 3;
        steps.add(t, t1, t2, 1);
        cols[0]!.push((t1 - t) / 1000);
        cols[1]!.push((t2 - t) / 1000);
        cols[2]!.push((t2 - t1) / 1000);
        t = t2;
      }
      steps.end();
      assert.equal(steps.rows.length, Math.min(5, n), "rows kept are bounded");
      blocks.push({ steps } as BlockRecord);
      want.push(cols);
    }
    spool.close();
    const doc = (list: (b: number, col: number) => unknown) => ({
      "1": {
        start: "x",
        load: { block1: list(0, 0), block2: list(1, 0), eval: list(2, 0) },
        proc: { block1: list(0, 1) },
        nested: [{ compute: list(1, 2) }],
      },
      hostname: "h",
    });
    const cols = ["load", "proc", "compute"] as const;
    const path = join(dir, "3_output.json");
    await writeJsonWithSteps(
      path,
      doc((b, col) => stepListMarker(blocks[b]!, cols[col]!)),
      stepSpoolPath(dir, 3),
    );
    const got = await Deno.readTextFile(path);
    assert.equal(got, jsonText(doc((b, col) => want[b]![col]!)));
    assert.equal(JSON.parse(got)["1"].load.block1.length, 20_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("step spool: a signal stops the JSON write and leaves no partial file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spool = new StepSpool(stepSpoolPath(dir, 0));
    const steps = new StepSeries(dlioWindow(100_000, 1, 0), 0, spool);
    for (let i = 0; i < 100_000; i++) steps.add(i, i + 0.25, i + 1, 0);
    spool.close();
    const stop = new AbortController();
    stop.abort(new Error("terminated (SIGTERM)"));
    const path = join(dir, "0_output.json");
    const doc = { "1": { load: { block1: stepListMarker({ steps } as BlockRecord, "load") } } };
    await assert.rejects(
      writeJsonWithSteps(path, doc, stepSpoolPath(dir, 0), stop.signal),
      /SIGTERM/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [".steps-0.f64"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
