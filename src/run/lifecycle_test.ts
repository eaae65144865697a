// Tests of the lifecycle's own decisions: world-size rules on real runs, generation only, nothing to do.
import assert from "node:assert/strict";
import { resolveConfig } from "../config/resolve.ts";
import { ConfigError, UserError } from "../errors.ts";
import { yamlFile } from "../../tests/_helpers.ts";
import { realDeps } from "./deps.ts";
import { runLifecycle } from "./lifecycle.ts";

const quiet = realDeps({ log: () => {} });

Deno.test("lifecycle: DLIO's world-size rules run for real runs, naming the key's position", async () => {
  const p = await yamlFile(`model:
  name: ws
  type: transformer
  num_layers: 4
  parallelism:
    tensor: 2
workflow:
  generate_data: False
  train: False
  checkpoint: True
checkpoint:
  checkpoint_folder: mem://ws-ck
`);
  const rc = resolveConfig({ file: p, args: ["dataset.data_folder=mem://ws-data"] });
  const out = await Deno.makeTempDir();
  // 3 ranks cannot split into TP×PP = 2 groups: refused before anything is written.
  await assert.rejects(
    () => runLifecycle(rc, { accelerators: 3, output: out, quiet: true }, quiet),
    (e: unknown) =>
      e instanceof ConfigError &&
      /:6:13: error: model\.parallelism\.tensor: world size 3 is not a multiple of TP×PP \(2\)/
        .test(e.message),
  );
  assert.deepEqual([...Deno.readDirSync(out)], []);
  // Subset mode: DP×TP×PP must cover every rank.
  const subset = resolveConfig({
    file: p,
    args: [
      "dataset.data_folder=mem://ws-data",
      "checkpoint.mode=subset",
      "model.parallelism.data=1",
    ],
  });
  await assert.rejects(
    () => runLifecycle(subset, { accelerators: 4, output: out, quiet: true }, quiet),
    /DP×TP×PP must be ≥ the world size \(4\)/,
  );
});

Deno.test("lifecycle: generation only returns what was generated; nothing to do is a user error", async () => {
  const dir = await Deno.makeTempDir();
  const rc = resolveConfig({
    args: [
      "workload=demo",
      `dataset.data_folder=${dir}/data`,
      "dataset.num_files_train=2",
      "dataset.num_files_eval=0",
      "workflow.train=False",
    ],
  });
  const r = await runLifecycle(rc, { output: `${dir}/out`, quiet: true }, quiet);
  assert.equal(r.generated?.written, 2);
  assert.equal(r.summaryText, "");
  const none = resolveConfig({
    args: ["workload=demo", "workflow.train=False", "workflow.generate_data=False"],
  });
  await assert.rejects(
    () => runLifecycle(none, {}, quiet),
    (e: unknown) => e instanceof UserError && /nothing to do/.test(e.message),
  );
});
