/**
 * Independent check: numpy (`/usr/bin/python3`, installed by scripts/ensure_tools.sh) reads the
 * NPZ files we write, and we read the NPZ files numpy writes (stored and compressed).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfig } from "../src/config/resolve.ts";
import { npzCodec } from "../src/formats/npz.ts";
import { generateDataset } from "../src/generate/generate.ts";
import { planDataset } from "../src/generate/plan.ts";
import { yamlFile } from "./_helpers.ts";

const PY = "/usr/bin/python3";

async function python(script: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(PY, {
    args: ["-c", script, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const err = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) {
    throw new Error(
      `python3 failed (${out.code}): ${err}\n` +
        "numpy must be installed for /usr/bin/python3 (scripts/ensure_tools.sh does it)",
    );
  }
  return new TextDecoder().decode(out.stdout);
}

async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b.slice()));
  return [...d].map((x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("numpy reads our NPZ: shape (d1, d2, samples), dtype, labels, contents", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-numpy-" });
  for (const dtype of ["uint8", "float32", "int16"]) {
    const p = await yamlFile(`dataset:
  data_folder: ${join(dir, dtype)}
  format: npz
  num_files_train: 3
  num_samples_per_file: 4
  record_length_bytes: 3000
  record_length_bytes_stdev: 600
  record_element_type: ${dtype}
`);
    const c = resolveConfig({ file: p }).config;
    await generateDataset(c, { quiet: true, log: () => {} });
    const plan = planDataset(c, "npz");
    const expected = [];
    for (const f of plan) {
      const bytes = await Deno.readFile(join(dir, dtype, f.key));
      const opened = npzCodec.open(bytes, { verifyChecksums: true, name: f.key });
      const samples = [];
      for (let i = 0; i < f.samples; i++) samples.push(await sha256(opened.sample(i)));
      expected.push({ path: join(dir, dtype, f.key), dims: f.dims, samples });
    }
    const out = await python(
      `
import sys, json, hashlib, numpy as np
exp = json.loads(sys.argv[1])
for e in exp:
    with np.load(e["path"]) as d:
        x, y = d["x"], d["y"]
        assert x.dtype == np.dtype(sys.argv[2]), (x.dtype, sys.argv[2])
        assert list(x.shape) == e["dims"] + [4], (x.shape, e["dims"])
        assert y.shape == (4,) and (y == 0).all(), y
        for i, h in enumerate(e["samples"]):
            got = hashlib.sha256(np.ascontiguousarray(x[..., i]).tobytes()).hexdigest()
            assert got == h, ("sample", i, e["path"])
        if x.dtype.kind == "f":
            assert np.isfinite(x).all() and (x >= 0).all() and (x < 1).all()
print("ok", len(exp))
`,
      [JSON.stringify(expected), dtype],
    );
    assert.equal(out.trim(), "ok 3");
  }
});

Deno.test("we read numpy's NPZ: np.savez and np.savez_compressed, CRC checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-numpy-" });
  await python(
    `
import sys, numpy as np
rng = np.random.default_rng(3)
x = rng.integers(0, 255, size=(20, 30, 5), dtype=np.uint8)
np.savez(sys.argv[1] + "/plain.npz", x=x, y=np.zeros(5, dtype=np.int64))
np.savez_compressed(sys.argv[1] + "/zipped.npz", x=x, y=np.zeros(5, dtype=np.int64))
np.save(sys.argv[1] + "/sample2.npy", np.ascontiguousarray(x[..., 2]))
`,
    [dir],
  );
  const sample2 = await Deno.readFile(join(dir, "sample2.npy"));
  const want = sample2.subarray(sample2.byteLength - 600);
  for (const name of ["plain.npz", "zipped.npz"]) {
    const f = npzCodec.open(await Deno.readFile(join(dir, name)), { verifyChecksums: true, name });
    assert.equal(f.numSamples, 5);
    assert.deepEqual(f.dims, [20, 30]);
    assert.deepEqual(f.sample(2), want);
  }
});
