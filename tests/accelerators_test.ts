/**
 * Many accelerators from one client: N in-process ranks (`--accelerators N`) and MPI ranks
 * (`mpirun -np P`, through FFI to libmpi), aggregated as DLIO aggregates ranks.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cliCommand,
  mpirun,
  mpirunIn,
  readLists,
  runCli,
  smallWorkload,
  yamlFile,
} from "./_helpers.ts";

interface Visited {
  rank: number;
  epoch: number;
  key: string;
  sample: number;
}

/** The visited items of every rank, from the files the report names. */
const visited = (rep: { output_folder: string }) =>
  readLists(rep, "visited_items_files") as unknown as Visited[];

/** Every sample of the split exactly once per epoch over all ranks (batch × steps × ranks = N). */
function assertCoverage(visited: Visited[], ranks: number, epochs: number, samples: number) {
  for (let e = 1; e <= epochs; e++) {
    const seen = visited.filter((v) => v.epoch === e).map((v) => `${v.key}#${v.sample}`);
    assert.equal(seen.length, samples, `epoch ${e}`);
    assert.equal(new Set(seen).size, samples, `epoch ${e}: a sample read twice`);
  }
  assert.deepEqual([...new Set(visited.map((v) => v.rank))].sort(), [...Array(ranks).keys()]);
}

Deno.test("--accelerators 4: four ranks in one process, each its own share; DLIO aggregation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-acc-" });
  // 12 files × 2 samples, batch 2, 4 ranks: 3 steps per rank per epoch cover all 24 samples.
  const wl = await yamlFile(
    smallWorkload(dir).replace("batch_size: 4", "batch_size: 2"),
  );
  const r = await runCli(["run", wl, "--accelerators", "4", "--json", "-q", "--visited-items"]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.num_accelerators, 4);
  assert.equal(rep.accelerators_per_process, 4);
  assert.equal(rep.io_threads, 12); // read_threads 3 × 4 ranks share one engine
  assert.equal(rep.ranks.length, 4);
  assert.equal(rep.steps_completed, 6);
  assertCoverage(visited(rep), 4, 2, 24);
  // Index sampler: rank r reads the contiguous share [6r, 6r + 6) of the 24 samples.
  const r2 = visited(rep).filter((v: Visited) => v.rank === 2 && v.epoch === 1)
    .map((v: Visited) => v.key).sort();
  assert.deepEqual(r2, [
    "train/img_06_of_12.npz",
    "train/img_06_of_12.npz",
    "train/img_07_of_12.npz",
    "train/img_07_of_12.npz",
    "train/img_08_of_12.npz",
    "train/img_08_of_12.npz",
  ]);
  // DLIO's aggregation: AU is the mean over ranks, throughput the sum.
  const summary = JSON.parse(await Deno.readTextFile(join(dir, "out", "summary.json")));
  assert.equal(summary.num_accelerators, 4);
  const m = summary.metric;
  const perRank = JSON.parse(
    JSON.stringify(
      await Promise.all(
        [0, 1, 2, 3].map(async (i) =>
          JSON.parse(await Deno.readTextFile(join(dir, "out", `${i}_output.json`)))
        ),
      ),
    ),
  );
  for (let e = 0; e < 2; e++) {
    const aus = perRank.map((o: Record<string, { au: { block1: number } }>) =>
      o[String(e + 1)]!.au.block1
    );
    const thr = perRank.map((o: Record<string, { throughput: { block1: number } }>) =>
      o[String(e + 1)]!.throughput.block1
    );
    const mean = aus.reduce((a: number, b: number) => a + b, 0) / 4;
    const sum = thr.reduce((a: number, b: number) => a + b, 0);
    assert.ok(Math.abs(m.train_au_percentage[e] - mean) < 1e-9);
    assert.ok(Math.abs(m.train_throughput_samples_per_second[e] - sum) < 1e-6);
  }
  // Measured: all ranks' real bytes.
  assert.equal(
    rep.total_bytes,
    rep.ranks.reduce((a: number, x: { bytes_read: number }) => a + x.bytes_read, 0),
  );
  assert.ok(rep.ranks.every((x: { samples: number }) => x.samples === 12));
});

Deno.test("visited items: the same seed gives the same order, another seed another", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-order-" });
  const wl = await yamlFile(smallWorkload(dir));
  const order = async (seed: number, out: string) => {
    const r = await runCli([
      "run",
      wl,
      "reader.read_threads=1", // one worker: arrival order is the plan's order
      "reader.file_shuffle=seed",
      "reader.sample_shuffle=seed",
      `train.seed=${seed}`,
      "--accelerators",
      "2",
      "--visited-items",
      "--json",
      "-q",
      "-o",
      join(dir, out),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assertCoverage(visited(rep), 2, 2, 24);
    return visited(rep).map((v: Visited) => `${v.rank}/${v.epoch}/${v.key}#${v.sample}`);
  };
  const a = await order(7, "a"), b = await order(7, "b"), c = await order(8, "c");
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // Epochs differ too (seed_change_epoch).
  const e1 = a.filter((k: string) => k.startsWith("0/1/")).map((k: string) => k.slice(4));
  const e2 = a.filter((k: string) => k.startsWith("0/2/")).map((k: string) => k.slice(4));
  assert.notDeepEqual(e1, e2);
});

for (const [np, acc] of [[2, 2], [4, 1]] as const) {
  Deno.test(`mpirun -np ${np} × --accelerators ${acc}: ${np * acc} ranks over MPI, one summary`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "dl-driver-mpi-" });
    const wl = await yamlFile(smallWorkload(dir).replace("batch_size: 4", "batch_size: 2"));
    const r = await mpirun(np, [
      "run",
      wl,
      "--accelerators",
      String(acc),
      "--json",
      "-q",
      "--visited-items",
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const rep = JSON.parse(r.stdout); // only rank 0 prints
    assert.equal(rep.num_accelerators, 4);
    assert.equal(rep.processes, np);
    assert.equal(rep.accelerators_per_process, acc);
    assert.match(rep.comm, /^mpi: Open MPI/);
    assertCoverage(visited(rep), 4, 2, 24);
    const summary = JSON.parse(await Deno.readTextFile(join(dir, "out", "summary.json")));
    assert.equal(summary.num_accelerators, 4);
    assert.equal(summary.num_hosts, 1);
    for (let i = 0; i < 4; i++) {
      assert.ok(Deno.statSync(join(dir, "out", `${i}_output.json`)).isFile);
      assert.ok(Deno.statSync(join(dir, "out", `${i}_per_epoch_stats.json`)).isFile);
    }
    // Barrier per step: every rank ran the same steps.
    assert.ok(rep.ranks.every((x: { samples: number }) => x.samples === 12));
  });
}

Deno.test("mpirun: one rank's data error stops the whole job with the object named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-mpi-fail-" });
  const wl = await yamlFile(smallWorkload(dir).replace("batch_size: 4", "batch_size: 2"));
  assert.equal((await runCli(["generate", wl, "-q"])).code, 0);
  // The last file belongs to rank 1's share only.
  await Deno.writeTextFile(join(dir, "data", "train", "img_11_of_12.npz"), "not a zip at all");
  const t0 = performance.now();
  const r = await mpirun(2, ["run", wl, "-q", "workflow.generate_data=False"]);
  assert.notEqual(r.code, 0);
  assert.ok(performance.now() - t0 < 100_000, "the job must not hang at a barrier");
  assert.match(r.stderr, /img_11_of_12\.npz: not a zip archive/);
});

for (const loader of ["pytorch", "tensorflow", "jax", "dali"]) {
  Deno.test(`profile ${loader}: runs on reader threads, 2 ranks cover every sample once`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `dl-driver-${loader}-` });
    const wl = await yamlFile(
      smallWorkload(dir).replace("batch_size: 4", "batch_size: 2")
        .replace(
          "framework: pytorch",
          `framework: ${loader === "tensorflow" ? "tensorflow" : "pytorch"}`,
        ),
    );
    const r = await runCli([
      "run",
      wl,
      `reader.data_loader=${loader}`,
      "reader.sample_shuffle=seed",
      "--accelerators",
      "2",
      "--visited-items",
      "--json",
      "-q",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.profile, loader);
    assert.equal(rep.sampler, loader === "tensorflow" ? "iterative" : "index");
    assertCoverage(visited(rep), 2, 2, 24);
    assert.ok(rep.max_reads_outstanding >= 1);
  });
}

Deno.test("reader.preprocess_time: slept per sample in the reader threads, measured", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-pre-" });
  const wl = await yamlFile(smallWorkload(dir));
  const r = await runCli(["run", wl, "reader.preprocess_time=0.01", "--json", "-q"]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.stages.preprocess.count, rep.total_samples);
  assert.ok(rep.preprocess_mean_latency_ms >= 9.5, String(rep.preprocess_mean_latency_ms));
  assert.ok(rep.preprocess_mean_latency_ms < 30, String(rep.preprocess_mean_latency_ms));
  // Off by default: no time spent.
  const z = JSON.parse(
    (await runCli(["run", wl, "--json", "-q", "workflow.generate_data=False"])).stdout,
  );
  assert.equal(z.preprocess_mean_latency_ms, 0);
});

Deno.test("mpirun: a process that never reaches the barrier is named after the MPI timeout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-mpi-" });
  const wl = await yamlFile(smallWorkload(dir));
  const deno = (compute: string) => cliCommand(["run", wl, compute, "-q"]);
  // MPMD: rank 1 computes for 60 s per step, so it is late at the first barrier.
  const t0 = performance.now();
  const { code, stderr } = await mpirunIn(
    "-x DL_DRIVER_MPI_TIMEOUT_S=2 " +
      `-np 1 ${deno("train.computation_time=0.01")} : -np 1 ${deno("train.computation_time=60")}`,
  );
  assert.notEqual(code, 0, stderr);
  assert.match(stderr, /MPI barrier: process 1 of 2 did not arrive within 2 s/);
  assert.ok(performance.now() - t0 < 50_000, "ended long before rank 1's step");
});
