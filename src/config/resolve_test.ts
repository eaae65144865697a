// Tests of config resolution: bundled workloads, DLIO defaults, overrides, errors with positions.
import assert from "node:assert/strict";
import { ConfigError, UserError } from "../errors.ts";
import { yamlFile } from "../../tests/_helpers.ts";
import { listWorkloads, resolveConfig } from "./resolve.ts";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("every bundled workload loads and validates", () => {
  const names = listWorkloads();
  for (
    const must of [
      "unet3d_a100",
      "unet3d_h100",
      "unet3d_v100",
      "resnet50_a100",
      "resnet50_h100",
      "resnet50_v100",
      "resnet50_tf",
      "cosmoflow_a100",
      "cosmoflow_h100",
      "cosmoflow_v100",
      "bert_v100",
      "default",
      "dlrm",
      "megatron_deepspeed",
      "llama_7b",
      "llama_8b_zero3",
      "llama_70b",
      "llama_405b",
      "llama_1t",
      "demo",
    ]
  ) assert.ok(names.includes(must), `missing bundled workload ${must}`);
  for (const n of names) {
    const rc = resolveConfig({ args: [`workload=${n}`] });
    assert.ok(rc.config.model.name.length > 0);
    assert.equal(rc.warnings.filter((w) => w.severity === "error").length, 0);
  }
});

Deno.test("bundled numbers come from the reference", () => {
  const u = resolveConfig({ args: ["workload=unet3d_h100"] }).config;
  assert.equal(u.dataset.record_length_bytes, 146600628);
  assert.equal(u.dataset.record_length_bytes_stdev, 68341808);
  assert.equal(u.reader.batch_size, 7);
  assert.equal(u.train.computation_time, 0.323);
  assert.equal(u.metric.au, 0.9);
  const r = resolveConfig({ args: ["workload=resnet50_a100"] }).config;
  assert.equal(r.dataset.record_length_bytes, 114660.07);
  assert.equal(r.dataset.num_samples_per_file, 1251);
  const c = resolveConfig({ args: ["workload=cosmoflow_h100"] }).config;
  assert.equal(c.reader.shuffle_size, 2);
  assert.equal(c.metric.au, 0.7);
});

Deno.test("DLIO defaults fill missing keys (code defaults, not docs)", async () => {
  const p = await yamlFile("model:\n  name: x\n");
  const c = resolveConfig({ file: p }).config;
  assert.equal(c.dataset.num_files_train, 8);
  assert.equal(c.reader.prefetch_size, 2);
  assert.equal(c.reader.transfer_size, null);
  assert.equal(c.model.transformer.ffn_hidden_size, 8192);
  assert.equal(c.dataset.format, "tfrecord");
  assert.equal(c.train.seed, 123);
  assert.equal(c.output.metric.exclude_start_steps, 1);
});

Deno.test("data_reader is an alias of reader; both at once is an error", async () => {
  const p = await yamlFile("data_reader:\n  batch_size: 5\n  read_threads: 1\n");
  assert.equal(resolveConfig({ file: p }).config.reader.batch_size, 5);
  const q = await yamlFile("reader:\n  batch_size: 5\ndata_reader:\n  batch_size: 6\n");
  const e = configError(() => resolveConfig({ file: q }));
  assert.match(e.message, /both 'data_reader' and its alias target 'reader'/);
});

Deno.test("key aliases: dataset.record_length and dataset.skip_listing, from YAML and overrides", async () => {
  const p = await yamlFile("dataset:\n  record_length: 2164832\n  skip_listing: True\n");
  const c = resolveConfig({ file: p }).config;
  assert.equal(c.dataset.record_length_bytes, 2164832);
  assert.equal(c.storage.skip_listing, true);
  // An override under either name replaces the file's value (flux_b200.yaml uses the alias).
  for (const k of ["record_length", "record_length_bytes"]) {
    const o = resolveConfig({ file: p, args: [`++workload.dataset.${k}=7`] }).config;
    assert.equal(o.dataset.record_length_bytes, 7);
  }
  const both = await yamlFile("dataset:\n  record_length: 1\n  record_length_bytes: 2\n");
  const e = configError(() => resolveConfig({ file: both }));
  assert.match(e.message, /both 'dataset.record_length' and its alias target/);
  assert.match(e.message, /:2:/, "the message names the line");
});

Deno.test("computation time as a number or a distribution dict", async () => {
  for (
    const ct of [
      "0.5",
      "{mean: 0.5, stdev: 0.1}",
      "{type: normal, mean: 0.5, stdev: 0.1}",
      "{type: uniform, min: 0.1, max: 0.2}",
      "{type: gamma, shape: 2, scale: 0.1}",
      "{type: exponential, scale: 0.1}",
      "{type: poisson, lam: 2}",
    ]
  ) {
    const p = await yamlFile(`train:\n  computation_time: ${ct}\n`);
    resolveConfig({ file: p });
  }
  const bad = await yamlFile("train:\n  computation_time: {type: weibull, a: 1}\n");
  assert.match(configError(() => resolveConfig({ file: bad })).message, /expected one of normal/);
  const badParam = await yamlFile("train:\n  computation_time: {type: uniform, low: 1, max: 2}\n");
  assert.match(
    configError(() => resolveConfig({ file: badParam })).message,
    /unknown parameter 'low'/,
  );
});

Deno.test("malformed YAML is reported with file:line:col", async () => {
  const p = await yamlFile("dataset:\n  format: npz\n  num_files_train: [1, 2\nreader: {\n");
  const e = configError(() => resolveConfig({ file: p }));
  assert.match(
    e.message,
    new RegExp(`${p.replaceAll("/", "\\/")}:\\d+:\\d+: error: malformed YAML`),
  );
});

Deno.test("duplicate keys are malformed YAML", async () => {
  const p = await yamlFile("dataset:\n  format: npz\n  format: hdf5\n");
  assert.match(configError(() => resolveConfig({ file: p })).message, /malformed YAML/);
});

Deno.test("wrong types name the key, what was expected and what was found, at the value", async () => {
  const p = await yamlFile("dataset:\n  num_files_train: lots\nreader:\n  batch_size: 2.5\n");
  const e = configError(() => resolveConfig({ file: p }));
  assert.match(
    e.message,
    /:2:20: error: dataset\.num_files_train: expected a non-negative integer, found the string "lots"/,
  );
  assert.match(
    e.message,
    /:4:15: error: reader\.batch_size: expected a positive integer, found number 2\.5/,
  );
});

Deno.test("negative counts are rejected", async () => {
  const p = await yamlFile("dataset:\n  num_files_train: -4\n  num_samples_per_file: 0\n");
  const e = configError(() => resolveConfig({ file: p }));
  assert.match(e.message, /dataset\.num_files_train: must be ≥ 0, found -4/);
  assert.match(e.message, /dataset\.num_samples_per_file: must be ≥ 1, found 0/);
});

Deno.test("an empty file is an error", async () => {
  for (const text of ["", "   \n", "# only a comment\n"]) {
    const p = await yamlFile(text);
    assert.match(configError(() => resolveConfig({ file: p })).message, /workload file is empty/);
  }
  const list = await yamlFile("- a\n- b\n");
  assert.match(
    configError(() => resolveConfig({ file: list })).message,
    /expected a mapping of sections/,
  );
});

Deno.test("unknown enum values list the choices and suggest the nearest", async () => {
  const p = await yamlFile("dataset:\n  format: nzp\nframework: pytorchh\n");
  const e = configError(() => resolveConfig({ file: p }));
  assert.match(
    e.message,
    /dataset\.format: expected one of tfrecord, hdf5,.*found the string "nzp"; did you mean 'npz'\?/,
  );
  assert.match(e.message, /framework: .*did you mean 'pytorch'\?/);
});

Deno.test("a missing file is a user error naming the path", () => {
  assert.throws(
    () => resolveConfig({ file: "/nonexistent/x.yaml" }),
    (e: unknown) =>
      e instanceof UserError && /config file not found: \/nonexistent\/x\.yaml/.test(e.message),
  );
  assert.throws(
    () => resolveConfig({ args: ["workload=unet3d_h10"] }),
    (e: unknown) => e instanceof UserError && /did you mean 'unet3d_h100'\?/.test(e.message),
  );
});

Deno.test("unknown keys are errors with a did-you-mean, all reported at once", async () => {
  const p = await yamlFile(
    "dataset:\n  num_file_train: 4\n  batch_size: 3\nreaderr:\n  x: 1\ntrain:\n  epochz: 2\n",
  );
  const e = configError(() => resolveConfig({ file: p }));
  assert.equal(e.diagnostics.filter((d) => d.severity === "error").length, 4);
  assert.match(
    e.message,
    /:2:3: error: dataset\.num_file_train: unknown key 'num_file_train' in section 'dataset'; did you mean 'num_files_train'\?/,
  );
  assert.match(
    e.message,
    /dataset\.batch_size: .*did you mean 'reader\.batch_size'\? \(it belongs in another section\)/,
  );
  assert.match(e.message, /readerr: unknown key 'readerr' at top level; did you mean 'reader'\?/);
  assert.match(e.message, /train\.epochz: .*did you mean 'epochs'\?/);
});

Deno.test("known DLIO keys not implemented yet give one warning per section", async () => {
  const p = await yamlFile(
    "checkpoint:\n  recovery_rank_shift: True\n  checkpoint_mechanism_classname: x\n" +
      "profiling:\n  profiler: iostat\n",
  );
  const rc = resolveConfig({ file: p });
  const planned = rc.warnings.filter((w) => /not implemented by dl-driver yet/.test(w.message));
  assert.equal(planned.length, 2);
  assert.equal(
    planned[0]!.path,
    "checkpoint.{recovery_rank_shift, checkpoint_mechanism_classname}",
  );
  assert.equal(planned[0]!.location?.line, 2);
});

Deno.test("DLIO cross-field rules (§2.1)", async () => {
  const cases: [string, RegExp][] = [
    [
      "framework: pytorch\ndataset:\n  format: tfrecord\nreader:\n  data_loader: pytorch\n",
      /tfrecord cannot be read with the pytorch data loader/,
    ],
    [
      "framework: tensorflow\nreader:\n  data_loader: pytorch\n",
      /framework tensorflow cannot use data_loader pytorch/,
    ],
    [
      "framework: pytorch\nreader:\n  data_loader: tensorflow\n",
      /framework pytorch cannot use data_loader tensorflow/,
    ],
    ["reader:\n  data_loader_classname: my.Loader\n", /needs data_loader_sampler/],
    [
      "model:\n  type: transformer\n  num_layers: 2\n  parallelism:\n    pipeline: 4\n",
      /num_layers \(2\) < pipeline \(4\)/,
    ],
    [
      "model:\n  parallelism:\n    pipeline: 2\n    zero_stage: 3\n",
      /ZeRO stage 3 cannot be combined with pipeline > 1/,
    ],
    ["model:\n  parallelism:\n    data: 2\n", /may only be set in checkpoint.mode subset/],
    ["checkpoint:\n  mode: subset\n", /subset needs parallelism.data > 0/],
    [
      "checkpoint:\n  num_checkpoints_write: 2\n  num_checkpoints_read: 3\n",
      /num_checkpoints_read \(3\) > num_checkpoints_write \(2\)/,
    ],
    ["checkpoint:\n  ksm: {}\n", /ksm needs randomize_tensor: false/],
    [
      "dataset:\n  format: hdf5\n  record_dims: [5, 4]\n  hdf5:\n    num_dset_per_record: 2\n",
      /must be a multiple of hdf5.num_dset_per_record/,
    ],
    [
      "dataset:\n  format: jpeg\n  record_element_type: float32\n",
      /format jpeg needs record_element_type uint8/,
    ],
    [
      "dataset:\n  format: png\n  record_dims: [2, 2, 3]\n",
      /format png allows at most 2 record_dims/,
    ],
    ["dataset:\n  record_dims: [64, 64]\n  record_length_bytes_stdev: 5\n", /cannot both be set/],
    ["dataset:\n  num_files_train: 0\n", /training needs at least one file/],
  ];
  for (const [text, re] of cases) {
    const p = await yamlFile(text);
    assert.match(configError(() => resolveConfig({ file: p })).message, re, text);
  }
  const p = await yamlFile("reader:\n  read_threads: 100000\n");
  assert.ok(
    resolveConfig({ file: p }).warnings.some((w) => /exceeds the \d+ CPUs/.test(w.message)),
  );
  const subset = await yamlFile(
    "checkpoint:\n  mode: subset\nmodel:\n  parallelism:\n    data: 1\n",
  );
  assert.match(
    configError(() => resolveConfig({ file: subset, worldSize: 8 })).message,
    /DP×TP×PP must be ≥ the world size \(8\)/,
  );
});

Deno.test("overrides in every DLIO form, validated and named in errors", async () => {
  const p = await yamlFile("dataset:\n  num_files_train: 4\n  format: npz\n");
  const c = resolveConfig({
    file: p,
    args: [
      "++workload.dataset.num_files_train=16",
      "+workload.reader.batch_size=3",
      "train.computation_time={mean: 0.2, stdev: 0.01}",
      "dataset.record_dims=[4, 4]",
      "workload.reader.sample_shuffle=seed",
    ],
  }).config;
  assert.equal(c.dataset.num_files_train, 16);
  assert.equal(c.reader.batch_size, 3);
  assert.deepEqual(c.train.computation_time, { mean: 0.2, stdev: 0.01 });
  assert.deepEqual(c.dataset.record_dims, [4, 4]);
  assert.equal(c.reader.sample_shuffle, "seed");
  const del = resolveConfig({ file: p, args: ["~workload.dataset.num_files_train"] }).config;
  assert.equal(del.dataset.num_files_train, 8);
  const e = configError(() =>
    resolveConfig({ file: p, args: ["dataset.num_files_train=-1", "reader.batchsize=2", "oops"] })
  );
  assert.match(
    e.message,
    /override 'dataset\.num_files_train=-1': error: dataset\.num_files_train: must be ≥ 0/,
  );
  assert.match(
    e.message,
    /override 'reader\.batchsize=2': error: reader\.batchsize: unknown key .*did you mean 'batch_size'/,
  );
  const named = resolveConfig({ args: ["workload=demo", "dataset.num_files_train=2"] });
  assert.equal(named.config.dataset.num_files_train, 2);
  assert.deepEqual(named.overrides, ["dataset.num_files_train=2"]);
  const hydra = resolveConfig({ file: p, args: ["++hydra.run.dir=/tmp/x"] });
  assert.equal(hydra.runDir, "/tmp/x");
});

Deno.test("--config-dir looks up workload/NAME.yaml", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/workload`);
  await Deno.writeTextFile(`${dir}/workload/mine.yaml`, "model:\n  name: mine\n");
  assert.equal(
    resolveConfig({ args: ["workload=mine"], configDir: dir }).config.model.name,
    "mine",
  );
});

Deno.test("what cannot run yet is a warning for validate and an error for run", async () => {
  const p = await yamlFile("dataset:\n  format: hdf5_opt\n");
  assert.ok(
    resolveConfig({ file: p }).warnings.some((w) =>
      /hdf5_opt is not implemented yet/.test(w.message)
    ),
  );
  assert.match(
    configError(() => resolveConfig({ file: p, requireRunnable: true })).message,
    /:2:11: error: dataset\.format: format hdf5_opt is not implemented yet/,
  );
});

Deno.test("validation asks the registries: formats from the codec registry, schemes from storage's", async () => {
  const { FORMATS_AVAILABLE } = await import("../formats/mod.ts");
  const { SCHEMES, isLocal } = await import("../storage/schemes.ts");
  const p = await yamlFile("dataset:\n  format: hdf5_opt\n");
  const msg = configError(() => resolveConfig({ file: p, requireRunnable: true })).message;
  assert.ok(msg.includes(`available: ${FORMATS_AVAILABLE.join(", ")}`), msg);
  // Every scheme the opener knows passes validation (https:// is an Azure Blob URL).
  for (const s of SCHEMES) {
    const rc = resolveConfig({
      args: ["workload=demo", `dataset.data_folder=${s}://bucket/data`],
      requireRunnable: true,
    });
    assert.equal(rc.config.dataset.data_folder, `${s}://bucket/data`);
    // O_DIRECT is refused exactly where the registry says the files are not local.
    const odirect = () =>
      resolveConfig({
        args: ["workload=demo", `dataset.data_folder=${s}://bucket/data`, "reader.odirect=True"],
        requireRunnable: true,
      });
    if (isLocal(`${s}://x`)) odirect();
    else assert.match(configError(odirect).message, /O_DIRECT applies to local files only/);
  }
  const bad = configError(() =>
    resolveConfig({
      args: ["workload=demo", "dataset.data_folder=gs://b/d"],
      requireRunnable: true,
    })
  );
  assert.match(bad.message, new RegExp(`available: ${SCHEMES.map((s) => s + "://").join(", ")}`));
});

Deno.test("sizes the host cannot hold are refused up front, with the arithmetic", () => {
  const mem = 8 * 2 ** 30;
  const err = (args: string[]) =>
    configError(() =>
      resolveConfig({
        args: ["workload=demo", ...args],
        hostMemoryBytes: mem,
        requireRunnable: true,
      })
    ).message;
  assert.match(
    err(["dataset.num_files_train=1e12"]),
    /dataset\.num_files_train: checking a listing of 1000000000000 files needs a 116\.4 GiB bitset .* set storage\.skip_listing: True/,
  );
  assert.match(
    err(["reader.read_threads=100000"]),
    /reader\.read_threads: 100000 reader threads need ~6250\.0 GiB/,
  );
  assert.match(
    err(["reader.batch_size=100000000"]),
    /reader\.batch_size: batch buffers need 6 × batch 100000000 × 262144 B per sample = 146484\.4 GiB/,
  );
  // Derived names need no listing: a trillion files is then the user's call.
  resolveConfig({
    args: ["workload=demo", "dataset.num_files_train=1e12", "storage.skip_listing=True"],
    hostMemoryBytes: mem,
  });
  // Without the host's memory (no permission to ask) nothing is checked.
  resolveConfig({ args: ["workload=demo", "reader.read_threads=100000"] });
});

Deno.test("Hydra's value forms DLIO users type: dicts and lists without spaces, quotes, null", () => {
  const c = (args: string[]) => resolveConfig({ args: ["workload=demo", ...args] }).config;
  assert.deepEqual(
    c(["++workload.train.computation_time={type:uniform,min:0.01,max:0.02}"]).train
      .computation_time,
    { type: "uniform", min: 0.01, max: 0.02 },
  );
  const dims = c(["dataset.record_dims=[4,8]", "dataset.record_length_bytes_stdev=0"]);
  assert.deepEqual(dims.dataset.record_dims, [4, 8]);
  assert.equal(c(["dataset.file_prefix='a:b,c'"]).dataset.file_prefix, "a:b,c");
  assert.equal(c(["reader.transfer_size=null"]).reader.transfer_size, null);
  // Nested dicts and lists; a value keeps its own colons (only keys' colons get a space).
  assert.deepEqual(
    c(["dataset.parquet.columns=[{name:a,dtype:float32,size:2},{name:b,dtype:int8,size:1}]"])
      .dataset.parquet.columns,
    [{ name: "a", dtype: "float32", size: 2 }, { name: "b", dtype: "int8", size: 1 }],
  );
});

Deno.test("paths: empty or malformed locations and names with separators are refused", () => {
  const bad: [string, RegExp][] = [
    ['dataset.data_folder=""', /dataset\.data_folder: "" is empty/],
    ["dataset.data_folder=s3:/bucket/x", /is not a URI: write s3:\/\/… \(two slashes\)/],
    ["dataset.data_folder=s3://", /names no bucket or container/],
    ["dataset.data_folder=az://", /names no bucket or container/],
    ["dataset.data_folder=foo://x", /unknown scheme 'foo:'/],
    ["checkpoint.uri=s3://", /checkpoint\.uri: "s3:\/\/" names no bucket/],
    ["model.name=../../x", /model\.name: "\.\.\/\.\.\/x" may not contain a path separator/],
    ["output.log_file=../../x.log", /output\.log_file: .* path separator/],
    ["dataset.file_prefix=../../x", /dataset\.file_prefix: .* path separator/],
    ["model.name=..", /may not be '\.\.'/],
  ];
  for (const [arg, why] of bad) {
    const e = configError(() => resolveConfig({ args: ["workload=demo", arg] }));
    assert.match(e.message, why, arg);
  }
  // Plain paths, file:// and object-store URIs with a bucket are fine.
  for (const ok of ["data/x", "/tmp/x", "file:///tmp/x", "s3://bucket/p", "az://c/p"]) {
    resolveConfig({ args: ["workload=demo", `dataset.data_folder=${ok}`] });
  }
});

Deno.test("a YAML alias bomb is a configuration error naming the file, not a crash", async () => {
  const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  for (const n of "bcdefg") {
    const prev = String.fromCharCode(n.charCodeAt(0) - 1);
    levels.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  const p = await yamlFile(levels.join("\n") + "\n");
  const e = configError(() => resolveConfig({ file: p }));
  assert.match(e.message, /:1:1: error: malformed YAML: its aliases .* expand to too many nodes/);
});

Deno.test("thousands of unknown keys: 50 listed with suggestions, the rest counted", async () => {
  const keys = Array.from({ length: 5000 }, (_, i) => `  k${i}: ${i}\n`).join("");
  const p = await yamlFile(`dataset:\n${keys}  format: npz\n  format: npy\n`);
  // Duplicate keys are found in one pass (the YAML library's own check is quadratic).
  assert.match(configError(() => resolveConfig({ file: p })).message, /duplicate key 'format'/);
  const q = await yamlFile(`dataset:\n${keys}`);
  const e = configError(() => resolveConfig({ file: q }));
  assert.equal(e.message.match(/unknown key 'k\d+'/g)?.length, 50);
  assert.match(e.message, /and 4950 more unknown keys \(not listed\)/);
});
