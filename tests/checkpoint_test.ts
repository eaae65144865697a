/**
 * Checkpoints end to end through the CLI: during training (step and epoch triggers, blocks),
 * checkpoint-only mode with in-process and MPI ranks, and a write killed with SIGKILL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CLI_PERMISSIONS,
  mpirun,
  runCli,
  runWithCheckpoints,
  smallWorkload,
  spawnCli,
  yamlFile,
} from "./_helpers.ts";
import { nestingErrors, type TraceEvent, TRACK } from "../src/metrics/trace.ts";

const llama = [
  "workload=llama3_8b",
  "model.num_layers=2",
  "model.transformer.hidden_size=128",
  "model.transformer.vocab_size=1000",
  "model.transformer.ffn_hidden_size=256",
  "checkpoint.time_between_checkpoints=0",
  "checkpoint.num_checkpoints_write=2",
  "checkpoint.num_checkpoints_read=2",
];

Deno.test("checkpoints during training: every N steps, each ending a block; DLIO's fields", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-ckt-" });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli([
    "run",
    wl,
    "workflow.checkpoint=True",
    "checkpoint.steps_between_checkpoints=2",
    `checkpoint.uri=file://${join(dir, "ck")}`,
    "model.model_size_bytes=1048576",
    "--json",
    "-q",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  // 24 samples / batch 4 = 6 steps per epoch: checkpoints after steps 2, 4, 6 of both epochs.
  assert.equal(rep.checkpoints_written, 6);
  assert.ok(Deno.statSync(join(dir, "ck", "global_epoch2_step4", "model_states-0.pt")).isFile);
  const stats = JSON.parse(await Deno.readTextFile(join(dir, "out", "0_per_epoch_stats.json")));
  assert.deepEqual(
    Object.keys(stats["1"]).filter((k) => /^(block|save_ckpt)/.test(k)).sort(),
    ["block1", "block2", "block3", "save_ckpt1", "save_ckpt2", "save_ckpt3"],
  );
  assert.equal(typeof stats["1"].save_ckpt1.duration, "number");
  const m = JSON.parse(await Deno.readTextFile(join(dir, "out", "summary.json"))).metric;
  assert.ok(Math.abs(m.checkpoint_size_GB - 1 / 1024) < 1e-9);
  assert.ok(m.save_checkpoint_io_mean_GB_per_second > 0);
  assert.ok(m.save_checkpoint_duration_mean_seconds > 0);
  // Block accounting: the three blocks of an epoch hold its six steps.
  const out = JSON.parse(await Deno.readTextFile(join(dir, "out", "0_output.json")));
  const compute = out["1"].compute as Record<string, number[]>;
  assert.deepEqual(
    Object.keys(compute).filter((k) => k.startsWith("block")).map((k) => compute[k]!.length),
    [2, 2, 2],
  );
});

Deno.test("checkpoints after epochs: checkpoint_after_epoch, epochs_between_checkpoints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-cke-" });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli([
    "run",
    wl,
    "train.epochs=3",
    "workflow.checkpoint=True",
    "checkpoint.checkpoint_after_epoch=2",
    "checkpoint.epochs_between_checkpoints=1",
    `checkpoint.uri=file://${join(dir, "ck")}`,
    "--json",
    "-q",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).checkpoints_written, 2);
  const folders = [...Deno.readDirSync(join(dir, "ck"))].map((e) => e.name).sort();
  assert.deepEqual(folders, ["global_epoch2_step6", "global_epoch3_step6"]);
});

Deno.test("checkpoint-only mode, 4 in-process ranks: writes, restores (verified), zstd, fsync", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-cko-" });
  const r = await runCli([
    "run",
    ...llama,
    `checkpoint.uri=file://${join(dir, "ck")}`,
    "checkpoint.compression=zstd",
    "checkpoint.randomize_tensor=False",
    "checkpoint.verify=True",
    "checkpoint.fsync=True",
    "--accelerators",
    "4",
    "-o",
    join(dir, "out"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Checkpoint save I\/O Throughput \(GB\/second\)/);
  assert.match(r.stdout, /Per file \(ms\)/);
  assert.doesNotMatch(r.stdout, /Training Accelerator Utilization/);
  const m = JSON.parse(await Deno.readTextFile(join(dir, "out", "summary.json"))).metric;
  assert.equal(m.num_checkpoints_written, 2);
  assert.equal(m.num_checkpoints_read, 2);
  assert.ok(m.save_checkpoint_stored_GB < m.checkpoint_size_GB / 50); // constant data, zstd
  assert.ok(m.save_checkpoint_compress_seconds > 0);
  assert.ok(m.save_checkpoint_duration_max_over_ranks_mean_seconds >= 0);
  const names = [...Deno.readDirSync(join(dir, "ck", "global_epoch1_step2"))].map((e) => e.name);
  assert.equal(names.filter((n) => n.endsWith("_optim_states.pt")).length, 4); // ZeRO 3: all ranks
});

Deno.test("checkpoint-only mode under mpirun -np 2: both processes' files, one summary", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-ckm-" });
  const out = await mpirun(2, [
    "run",
    ...llama,
    `checkpoint.uri=file://${join(dir, "ck")}`,
    "checkpoint.verify=True",
    "--json",
    "-q",
    "-o",
    join(dir, "out"),
  ]);
  assert.equal(out.code, 0, out.stderr);
  const rep = JSON.parse(out.stdout);
  assert.equal(rep.num_accelerators, 2);
  assert.equal(rep.checkpoints_written, 2);
  assert.equal(rep.checkpoints_read, 2);
  const names = [...Deno.readDirSync(join(dir, "ck", "global_epoch1_step1"))].map((e) => e.name)
    .sort();
  assert.deepEqual(names.filter((n) => n.endsWith(".pt")), [
    "zero_pp_rank_0_mp_rank_0_model_states.pt",
    "zero_pp_rank_0_mp_rank_0_optim_states.pt",
    "zero_pp_rank_1_mp_rank_0_model_states.pt",
    "zero_pp_rank_1_mp_rank_0_optim_states.pt",
  ]);
});

Deno.test("a checkpoint write killed with SIGKILL leaves nothing complete-looking", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-ckk-" });
  const ck = join(dir, "ck");
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...CLI_PERMISSIONS,
      cli,
      "run",
      "workload=unet3d_h100",
      "workflow.train=False",
      "workflow.checkpoint=True",
      "model.model_size_bytes=4294967296",
      "checkpoint.num_checkpoints_write=1",
      "checkpoint.time_between_checkpoints=0",
      `checkpoint.uri=file://${ck}`,
      "-q",
      "-o",
      join(dir, "out"),
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Kill once the model file is being written.
  const folder = join(ck, "global_epoch1_step1");
  await waitForPartial(folder, 16 * 2 ** 20);
  child.kill("SIGKILL");
  await child.status;
  const names = [...Deno.readDirSync(folder)].map((e) => e.name);
  assert.ok(!names.includes("model_states-0.pt"), names.join(", "));
  assert.ok(!names.includes(".dl-driver"), names.join(", "));
  // Restoring it fails with a clear message (exit 3), naming the checkpoint.
  const r = await runCli([
    "run",
    "workload=unet3d_h100",
    "workflow.train=False",
    "workflow.checkpoint=True",
    "checkpoint.num_checkpoints_write=0",
    "checkpoint.num_checkpoints_read=1",
    `checkpoint.uri=file://${ck}`,
    "-q",
    "-o",
    join(dir, "out2"),
  ]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /global_epoch1_step1 is incomplete \(its completion marker is missing\)/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SIGTERM during a checkpoint write: exit 143 within 5 s, completed checkpoints kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-ckt-" });
  const ck = join(dir, "ck"), out = join(dir, "out");
  const child = spawnCli([
    "run",
    "workload=unet3d_h100",
    "workflow.train=False",
    "workflow.checkpoint=True",
    "model.model_size_bytes=1073741824",
    "checkpoint.num_checkpoints_write=3",
    "checkpoint.num_checkpoints_read=0",
    "checkpoint.time_between_checkpoints=0",
    `checkpoint.uri=file://${ck}`,
    "-q",
    "-o",
    out,
  ]);
  try {
    // Signal once the second checkpoint's model file is being written.
    await waitForPartial(join(ck, "global_epoch1_step2"), 16 * 2 ** 20);
    const t0 = performance.now();
    child.kill("SIGTERM");
    const r = await child.output();
    assert.equal(r.code, 143, new TextDecoder().decode(r.stderr));
    assert.ok(performance.now() - t0 < 5000, "stopped within 5 s");
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    assert.equal(summary.incomplete, true);
    assert.match(summary.incomplete_reason, /SIGTERM/);
    const report = JSON.parse(await Deno.readTextFile(join(out, "report.json")));
    assert.equal(report.checkpoints_written, 1);
    assert.equal(report.status, "incomplete");
    const names = [...Deno.readDirSync(join(ck, "global_epoch1_step2"))].map((e) => e.name);
    assert.ok(!names.includes("model_states-0.pt"), names.join(", "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Wait (≤ 60 s) until a `.partial-` file in `folder` has more than `bytes`. */
async function waitForPartial(folder: string, bytes: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const p = [...Deno.readDirSync(folder)].find((e) => e.name.includes(".partial-"));
      if (p && Deno.statSync(join(folder, p.name)).size > bytes) return;
    } catch { /* not there yet */ }
    assert.ok(Date.now() < deadline, `no checkpoint write started in ${folder}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("--trace: a Chrome trace per rank in dftracer's dft_ai names, nested exactly, checkpoints in it", async () => {
  const dir = await runWithCheckpoints("dl-driver-trace-", ["--trace"]);
  for (const rank of [0, 1]) {
    const text = await Deno.readTextFile(join(dir, "out", `trace-${rank}-of-2.pfw`));
    assert.ok(text.startsWith("[\n"));
    // Chrome's JSON array format, closing bracket optional: close it and parse.
    const events = JSON.parse(text.replace(/,\n$/, "\n]")) as TraceEvent[];
    const count = (n: string, cat: string) =>
      events.filter((e) => e.name === n && e.cat === cat).length;
    assert.ok(events.every((e) => e.pid === rank));
    // Per rank: 3 training steps per epoch + 2 evaluation steps, 2 epochs.
    assert.equal(count("compute", "compute"), 10);
    assert.equal(count("fetch.iter", "dataloader"), 10);
    assert.equal(count("epoch.block", "pipeline"), 2);
    assert.equal(count("train", "pipeline"), 2); // a checkpoint after step 3 of 3 ends each
    assert.equal(count("evaluate", "pipeline"), 2);
    assert.equal(count("item", "data"), 24); // 3 steps × batch 4 × 2 epochs
    assert.equal(count("io", "data"), 24);
    // The POSIX layer: one event per storage request, with the object, offset and size.
    const reads = events.filter((e) => e.cat === "POSIX");
    assert.ok(reads.length >= 24, `${reads.length} storage requests`);
    for (const e of reads) {
      assert.match(String(e.args!.fname), /^train\/img_\d+_of_12\.npz$/);
      assert.ok(Number.isInteger(e.args!.offset) && (e.args!.size as number) > 0);
    }
    assert.equal(count("capture", "checkpoint"), 2);
    for (const e of events.filter((e) => e.ph === "X")) {
      assert.ok(Number.isInteger(e.ts) && e.ts! > 1.6e15, `${e.name} ts in wall-clock µs`);
      assert.ok(Number.isInteger(e.dur) && e.dur! >= 0);
      assert.ok(typeof e.cat === "string");
    }
    const item = events.find((e) => e.name === "item")!;
    assert.match(String(item.args!.fname), /^train\/img_\d+_of_12\.npz$/);
    assert.ok((item.args!.image_size as number) > 0);
    // Every track nests exactly (no event sticks out of its parent or overlaps a sibling).
    assert.deepEqual(nestingErrors(events), []);
    // Samples of overlapping reads are on different tracks, each named.
    const tracks = new Set(events.filter((e) => e.name === "item").map((e) => e.tid));
    const named = events.filter((e) => e.name === "thread_name").map((e) => e.tid);
    assert.ok([...tracks].every((t) => t! >= TRACK.samples && named.includes(t)));
  }
});
