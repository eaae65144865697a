/**
 * No credential in any output: S3 keys and an Azure connection string given in the YAML and as
 * overrides, and a SAS token in a URL, appear in no results file, no stdout or stderr, no
 * `validate` output, no mlpstorage metadata; the keys themselves stay (so it is clear they were
 * set).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, smallWorkload, yamlFile } from "./_helpers.ts";

const SECRETS = ["S3SECRETvalue123", "AKIAEXAMPLEKEYID", "QUJDREVGR0hJSktMTU5PUA==", "SASsigVALUE"];

async function allText(dir: string): Promise<string> {
  let text = "";
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) text += await allText(p);
    else if (!/\.(f64|gz)$/.test(e.name)) text += await Deno.readTextFile(p);
  }
  return text;
}

function assertClean(where: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} contains ${s}`);
}

Deno.test("credentials from the YAML and overrides reach no output", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-secret-" });
  const wl = await yamlFile(
    smallWorkload(dir) +
      "storage:\n  storage_options:\n    secret_access_key: S3SECRETvalue123\n" +
      "    connection_string: DefaultEndpointsProtocol=http;AccountName=a;" +
      "AccountKey=QUJDREVGR0hJSktMTU5PUA==;BlobEndpoint=http://127.0.0.1:1/a;\n",
  );
  const args = [
    "run",
    wl,
    "storage.storage_options.access_key_id=AKIAEXAMPLEKEYID",
    "--json",
    "--trace",
  ];
  const r = await runCli(args);
  assert.equal(r.code, 0, r.stderr);
  assertClean("stdout", r.stdout);
  assertClean("stderr", r.stderr);
  const out = join(dir, "out");
  assertClean("the results folder", await allText(out));
  // The keys are still there, their values replaced.
  const cfg = await Deno.readTextFile(join(out, "dlio_config", "config.yaml"));
  assert.match(cfg, /secret_access_key: <redacted>/);
  assert.match(
    await Deno.readTextFile(join(out, "dlio_config", "overrides.yaml")),
    /access_key_id=<redacted>/,
  );
  // validate, both forms, and an error naming an override.
  for (const extra of [["--json"], []]) {
    const v = await runCli(["validate", wl, ...extra]);
    assert.equal(v.code, 0, v.stderr);
    assertClean("validate", v.stdout + v.stderr);
  }
  const bad = await runCli([
    "validate",
    wl,
    "storage.storage_options.secret_access_key=[SASsigVALUE",
  ]);
  assertClean("an error", bad.stdout + bad.stderr);
  // A SAS token in a URL.
  const sas = await runCli([
    "validate",
    wl,
    "dataset.data_folder=https://acct.blob.core.windows.net/c/data?sv=2024&sig=SASsigVALUE",
    "--json",
  ]);
  assertClean("a SAS URL", sas.stdout + sas.stderr);
  await Deno.remove(dir, { recursive: true });
});
