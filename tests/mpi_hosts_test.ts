/**
 * MPI beyond one host: two network namespaces joined by a veth pair stand in for two hosts,
 * each with its own hostname; Open MPI's TCP transport runs between them (tests/fixtures/
 * two_hosts.sh). 2 processes × 2 accelerators on one shared dataset; rank 0's summary
 * aggregates both hosts.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI_PERMISSIONS, readLists, smallWorkload, yamlFile } from "./_helpers.ts";

Deno.test("MPI over TCP between two hosts (network namespaces): 2 × 2 ranks, one summary of both", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-hosts-" });
  const wl = await yamlFile(smallWorkload(dir).replace("batch_size: 4", "batch_size: 2"));
  const id = String(1 + Math.floor(Math.random() * 250));
  const script = new URL("./fixtures/two_hosts.sh", import.meta.url).pathname;
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const out = await new Deno.Command("timeout", {
    args: [
      "150",
      "sh",
      script,
      id,
      "2",
      Deno.execPath(),
      "run",
      ...CLI_PERMISSIONS,
      cli,
      "run",
      wl,
      "--accelerators",
      "2",
      "--visited-items",
      "--json",
      "-q",
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout), stderr = dec.decode(out.stderr);
  assert.equal(out.code, 0, stderr + stdout);
  const rep = JSON.parse(stdout.slice(stdout.indexOf("{")));
  assert.equal(rep.num_accelerators, 4);
  assert.equal(rep.processes, 2);
  assert.equal(rep.accelerators_per_process, 2);
  assert.match(rep.comm, /^mpi: Open MPI/);
  const summary = JSON.parse(await Deno.readTextFile(join(dir, "out", "summary.json")));
  assert.equal(summary.num_hosts, 2);
  assert.equal(summary.hostname, `nodea-${id}`);
  assert.equal(summary.host_cpu_count.length, 2);
  // Every sample once per epoch over the four ranks of both hosts.
  const visited = readLists(rep, "visited_items_files");
  assert.deepEqual([...new Set(visited.map((v) => v.rank))].sort(), [0, 1, 2, 3]);
  for (const e of [1, 2]) {
    const seen = visited.filter((v) => v.epoch === e).map((v) => `${v.key}#${v.sample}`);
    assert.equal(seen.length, 24);
    assert.equal(new Set(seen).size, 24);
  }
});
