// The plug-in contract, on the real training loop in fake time: hook order, step blocks, errors.
import assert from "node:assert/strict";
import { UserError } from "../errors.ts";
import { loopSetup } from "./_loop_fixture.ts";
import { train } from "./loop.ts";
import { type Plugin, PluginHost } from "./plugins.ts";

/** A plug-in that records every hook it sees and is due after every 3rd step. */
function recorder(calls: string[], fail?: string): Plugin {
  const hit = (what: string) => {
    calls.push(what);
    if (fail && what.startsWith(fail)) throw new UserError("boom");
  };
  return {
    name: "recorder",
    initialize: () => Promise.resolve(hit("initialize")),
    dueAfterStep: (_e, step) => step % 3 === 0,
    afterStep: (e, step) => Promise.resolve(hit(`step ${e}.${step}`)),
    afterEpoch: (e, steps) => Promise.resolve(hit(`epoch ${e} (${steps} steps)`)),
    finalize: () => Promise.resolve(hit("finalize")),
  };
}

Deno.test("plug-ins: initialize, due steps, epochs, finalize, in order; a due step ends a block", async () => {
  const calls: string[] = [];
  const s = await loopSetup(["train.epochs=2"]);
  const rec = await train({ ...s, plugins: new PluginHost([recorder(calls)]) });
  // 30 files, batch 4: 7 steps per epoch; due after steps 3 and 6.
  assert.deepEqual(calls, [
    "initialize",
    "step 1.3",
    "step 1.6",
    "epoch 1 (7 steps)",
    "step 2.3",
    "step 2.6",
    "epoch 2 (7 steps)",
    "finalize",
  ]);
  assert.deepEqual(rec.epochs[0]!.blocks.map((b) => b.steps.count), [3, 3, 1]);
});

Deno.test("plug-ins: the first error stops the run naming the plug-in and the hook", async () => {
  const s = await loopSetup(["train.epochs=2"]);
  const calls: string[] = [];
  await assert.rejects(
    () => train({ ...s, plugins: new PluginHost([recorder(calls, "step 1.6")]) }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message === "plug-in recorder, after step 6 of epoch 1: boom",
  );
  assert.deepEqual(calls, ["initialize", "step 1.3", "step 1.6"]);
});
