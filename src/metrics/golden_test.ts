/**
 * Golden tests of every output file, from a run in fake time (deterministic values): the
 * training loop runs on a mem:// dataset with an injected FakeClock, two in-process ranks,
 * step checkpoints; each file is compared byte for byte with tests/fixtures/golden/.
 * `UPDATE_GOLDEN=1 deno test -A src/metrics/golden_test.ts` rewrites them after a deliberate
 * change (review the diff).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Checkpointer } from "../checkpoint/checkpoint.ts";
import { checkpointPlugin } from "../checkpoint/plugin.ts";
import { resolveConfig } from "../config/resolve.ts";
import { npzCodec } from "../formats/npz.ts";
import { MemBackend } from "../storage/mem.ts";
import { LocalGroup } from "../train/comm.ts";
import { train } from "../train/loop.ts";
import { PluginHost } from "../train/plugins.ts";
import { FakeClock } from "../util/clock.ts";
import { dlioPerEpochStats, dlioRankOutput, dlioSummary } from "./dlio_output.ts";
import type { HostInfo } from "./host.ts";
import { buildReport, reportCsv } from "./report.ts";
import { summarize } from "./summarize.ts";
import { pfw, traceEvents } from "./trace.ts";
import type { CheckpointEvent } from "./records.ts";
import { keyList } from "../loader/files.ts";

const GOLDEN = fileURLToPath(new URL("../../tests/fixtures/golden/", import.meta.url));

async function outputs(): Promise<Record<string, string>> {
  const config = resolveConfig({
    args: [
      "workload=demo",
      "dataset.num_files_train=16",
      "dataset.num_files_eval=4",
      "dataset.record_length_bytes=4096",
      "dataset.record_length_bytes_stdev=0",
      "dataset.record_length_bytes_resize=1024",
      "reader.batch_size=2",
      "reader.batch_size_eval=2",
      "train.epochs=2",
      "train.computation_time=0.1",
      "evaluation.eval_time=0.05",
      "workflow.checkpoint=True",
      "checkpoint.steps_between_checkpoints=2",
      "model.model_size_bytes=65536",
    ],
  }).config;
  const data = new MemBackend(`golden-${crypto.randomUUID()}`);
  const keys = async (split: string, n: number) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const key = `${split}/img_${String(i).padStart(2, "0")}_of_${n}.npz`;
      await data.put(
        key,
        npzCodec.encode({ dims: [32, 128], samples: 1, dtype: "uint8", seed: 42, fileIndex: i }),
      );
      out.push(key);
    }
    return keyList(out);
  };
  const trainFiles = await keys("train", 16), evalFiles = await keys("valid", 4);
  const group = new LocalGroup(2);
  const ck = new MemBackend(`golden-ck-${crypto.randomUUID()}`);
  const recs = await Promise.all(group.members.map(async (comm) => {
    // One fake clock per rank: each rank's timeline advances by its own sleeps only.
    const clock = new FakeClock(1000);
    const saves: CheckpointEvent[] = [];
    const plugin = checkpointPlugin(
      config,
      new Checkpointer({ config, backend: ck, comm, clock }),
      comm,
      saves,
    );
    const rec = await train({
      config,
      backend: data,
      codec: npzCodec,
      trainFiles,
      evalFiles,
      clock,
      comm,
      randomSeed: 7,
      engine: "inline",
      plugins: new PluginHost([plugin]),
    });
    return { ...rec, checkpoints: saves };
  }));
  const host: HostInfo = {
    hostname: "golden-host",
    cpuCount: 2,
    processorName: "Golden CPU",
    memoryGB: 8,
    cpuinfo: {},
    meminfo: {},
  };
  const s = summarize(recs, config);
  const ctx = {
    ranks: 2,
    hosts: 1,
    host,
    wallStart: recs[0]!.wallStart,
    wallEnd: recs[0]!.wallEnd,
  };
  const report = buildReport(config, s, recs, {
    backendType: "mem",
    dataFolder: data.root.replace(/golden-[0-9a-f-]+/, "golden"),
    ranks: 2,
    processes: 1,
    acceleratorsPerProcess: 2,
    comm: "solo",
    ioThreads: 4,
    storage: { requests: 0, retries: 0 },
    totalSeconds: 0,
    provenance: { dl_driver_version: "golden" },
    latencyLists: false,
    visitedItems: false,
    outputFolder: "out",
  });
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  return {
    "summary.json": json(dlioSummary(config, s, recs[0]!, ctx)),
    "0_per_epoch_stats.json": json(dlioPerEpochStats(recs[0]!)),
    "1_output.json": json(dlioRankOutput(config, recs[1]!, ctx)),
    "report.json": json(report),
    "report.csv": reportCsv(report),
    "trace-0-of-2.pfw": pfw(traceEvents(recs[0]!)),
  };
}

/** Local-time stamps depend on the machine's time zone: compare them only under UTC. */
const normalize = (s: string) =>
  new Date(0).getTimezoneOffset() === 0 ? s : s.replace(/\d{4}-\d\d-\d\dT[\d:.]+/g, "<ts>");

Deno.test("golden: every output file of a fake-time run is exactly as recorded", async () => {
  const files = await outputs();
  if (Deno.env.get("UPDATE_GOLDEN")) {
    await Deno.mkdir(GOLDEN, { recursive: true });
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(GOLDEN + name, text);
  }
  for (const [name, text] of Object.entries(files)) {
    const want = await Deno.readTextFile(GOLDEN + name);
    assert.equal(normalize(text), normalize(want), `${name} differs from tests/fixtures/golden/`);
  }
  // Fake time makes the numbers exact: 2 ranks × 2 epochs × 4 steps, 0.1 s compute per step,
  // reads take no fake time, so every step is compute only: AU 100 %.
  const rep = JSON.parse(files["report.json"]!);
  assert.equal(rep.train_au_mean_percentage, 100);
  assert.equal(rep.steps_completed, 8);
  assert.equal(rep.checkpoints_written, 4);
});
