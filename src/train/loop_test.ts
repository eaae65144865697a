// Tests of the training loop in fake time: steps, epochs, compute, early stops.
import assert from "node:assert/strict";
import { train } from "./loop.ts";
import { loopSetup as setup } from "./_loop_fixture.ts";

Deno.test("train loop: DLIO step counts, epochs and fake-time compute", async () => {
  const s = await setup();
  const rec = await train(s);
  assert.equal(rec.epochs.length, 3);
  for (const e of rec.epochs) {
    const b = e.blocks[0]!;
    assert.equal(b.expectedSteps, 7); // floor(30 / 4 / 1)
    assert.equal(b.steps.count, 7);
    // Fake clock: exactly the configured 0.1 s.
    assert.deepEqual([b.steps.compute.min, b.steps.compute.max], [100, 100]);
    assert.equal(b.samples, 28);
    assert.equal(b.endMs - b.startMs, 700);
    assert.equal(e.eval, undefined);
  }
  assert.equal(rec.trainEvents.samples, 84);
  assert.equal(rec.stoppedEarly, undefined);
});

Deno.test("train loop: total_training_steps caps steps per epoch", async () => {
  const rec = await train(await setup(["train.total_training_steps=5"]));
  assert.deepEqual(rec.epochs.map((e) => e.blocks[0]!.steps.count), [5, 5, 5]);
});

Deno.test("train loop: --max-epochs and --max-steps stop early and say so", async () => {
  const a = await train({ ...(await setup()), maxEpochs: 2 });
  assert.equal(a.epochs.length, 2);
  assert.equal(a.stoppedEarly, "--max-epochs 2");
  const b = await train({ ...(await setup()), maxSteps: 10 });
  assert.deepEqual(b.epochs.map((e) => e.blocks[0]!.steps.count), [7, 3]);
  assert.equal(b.stoppedEarly, "--max-steps 10");
});

Deno.test("train loop: evaluation schedule (eval_after_epoch, epochs_between_evals)", async () => {
  const rec = await train(
    await setup([
      "workflow.evaluation=True",
      "train.epochs=5",
      "evaluation.eval_after_epoch=2",
      "evaluation.epochs_between_evals=2",
    ]),
  );
  assert.deepEqual(rec.epochs.filter((e) => e.eval).map((e) => e.epoch), [2, 4]);
  const ev = rec.epochs[1]!.eval!;
  assert.equal(ev.steps.count, 3); // floor(6 / 2)
  assert.deepEqual([ev.steps.compute.min, ev.steps.compute.max], [50, 50]);
  assert.equal(rec.evalEvents.samples, 6 * 2);
});

Deno.test("train loop: compute distributions are drawn from the seed", async () => {
  const args = ["train.computation_time={type: uniform, min: 0.05, max: 0.15}"];
  const a = await train(await setup(args));
  const b = await train(await setup(args));
  const c = await train(await setup([...args, "train.seed=9"]));
  const comp = (r: typeof a) => r.epochs.flatMap((e) => e.blocks[0]!.steps.rows.map((s) => s[2]));
  assert.deepEqual(comp(a), comp(b));
  assert.notDeepEqual(comp(a), comp(c));
  assert.ok(comp(a).every((x) => x >= 50 && x <= 150));
  assert.ok(new Set(comp(a)).size > 10);
  const n = await train(
    await setup(["train.computation_time=0.1", "train.computation_time_stdev=0.02"]),
  );
  assert.ok(new Set(comp(n)).size > 10);
});
