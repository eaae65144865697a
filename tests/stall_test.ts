/**
 * No hangs: an S3 or Azure endpoint that accepts connections and never answers ends the run with
 * exit 3 within the configured timeouts, naming the operation and object; SIGTERM during such a
 * stall exits within 5 seconds.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, smallWorkload, spawnCli, yamlFile } from "./_helpers.ts";

/** A loopback server that accepts every connection and never sends a byte. */
function blackhole(): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    try {
      for await (const c of l) held.push(c);
    } catch { /* closed */ }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    close: () => {
      for (const c of held) c.close();
      l.close();
    },
  };
}

const AZ_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

function endpointArgs(kind: "s3" | "az", port: number): string[] {
  return kind === "s3"
    ? [
      "dataset.data_folder=s3://stalled/data",
      `storage.storage_options.endpoint_url=http://127.0.0.1:${port}`,
      "storage.storage_options.access_key_id=test",
      "storage.storage_options.secret_access_key=test",
    ]
    : [
      "dataset.data_folder=az://stalled/data",
      "storage.storage_options.connection_string=DefaultEndpointsProtocol=http;" +
      `AccountName=devstoreaccount1;AccountKey=${AZ_KEY};` +
      `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
    ];
}

for (const kind of ["s3", "az"] as const) {
  Deno.test(`stalled ${kind} endpoint: exit 3 within the configured timeouts, naming the operation`, async () => {
    const hole = blackhole();
    try {
      const dir = await Deno.makeTempDir({ prefix: "dl-driver-stall-" });
      const wl = await yamlFile(smallWorkload(dir));
      const t0 = performance.now();
      const r = await runCli([
        "run",
        wl,
        ...endpointArgs(kind, hole.port),
        "storage.storage_options.idle_timeout_s=1",
        "storage.storage_options.request_timeout_s=3",
        "storage.storage_options.s3_max_attempts=2",
        "-q",
      ]);
      const secs = (performance.now() - t0) / 1000;
      assert.equal(r.code, 3, r.stderr);
      assert.ok(secs < 20, `took ${secs} s`);
      assert.match(
        r.stderr,
        new RegExp(`^dl-driver: (PUT|HEAD|LIST|LIST uploads|GET) ${kind}://stalled/data`),
      );
      assert.match(r.stderr, /no answer from the (S3 )?endpoint/);
    } finally {
      hole.close();
    }
  });
}

Deno.test("SIGTERM while the endpoint stalls (default timeouts): exit 143 within 5 s", async () => {
  const hole = blackhole();
  try {
    const dir = await Deno.makeTempDir({ prefix: "dl-driver-stall-" });
    const wl = await yamlFile(smallWorkload(dir));
    const child = spawnCli([
      "run",
      wl,
      ...endpointArgs("s3", hole.port),
      "-q",
      "-o",
      join(dir, "out"),
    ]);
    await new Promise((r) => setTimeout(r, 1500)); // well into the stalled first request
    const t0 = performance.now();
    child.kill("SIGTERM");
    const out = await child.output();
    assert.equal(out.code, 143, new TextDecoder().decode(out.stderr));
    assert.ok(performance.now() - t0 < 5000);
  } finally {
    hole.close();
  }
});
