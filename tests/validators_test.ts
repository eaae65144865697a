/**
 * Independent readers (installed by scripts/ensure_tools.sh): numpy reads our NPY and
 * compressed NPZ, Pillow our PNG/JPEG, Python's csv module our CSV; and dl-driver reads what
 * those libraries write.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { codecFor } from "../src/formats/mod.ts";
import { python } from "./_helpers.ts";
import { encodeToBytes, type FileSpec } from "../src/formats/codec.ts";

async function write(format: string, spec: FileSpec, dir: string): Promise<string> {
  const codec = await codecFor(format);
  const p = join(dir, `f.${codec.extension}`);
  await Deno.writeFile(p, await encodeToBytes(codec, spec));
  return p;
}

const sha = async (b: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", b.slice()))]
    .map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("numpy reads our NPY and compressed NPZ; we read numpy's NPY", async () => {
  const dir = await Deno.makeTempDir();
  for (const [format, compression] of [["npy", "none"], ["npz", "zip"]]) {
    const spec: FileSpec = {
      dims: [30, 20],
      samples: 3,
      dtype: "float32",
      seed: 1,
      fileIndex: 2,
      compression,
    };
    const p = await write(format!, spec, dir);
    const codec = await codecFor(format!);
    const f = codec.open(await Deno.readFile(p), { verifyChecksums: true, name: p });
    const want = await Promise.all([0, 1, 2].map((i) => sha(f.sample(i))));
    const out = await python(
      `
import sys, json, hashlib, numpy as np, zipfile
p, fmt = sys.argv[1], sys.argv[2]
x = np.load(p) if fmt == "npy" else np.load(p)["x"]
if fmt == "npz":
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zipfile.ZipFile(p).infolist())
assert x.shape == (30, 20, 3) and x.dtype == np.float32, (x.shape, x.dtype)
print(json.dumps([hashlib.sha256(np.ascontiguousarray(x[..., i]).tobytes()).hexdigest() for i in range(3)]))
`,
      [p, format!],
    );
    assert.deepEqual(JSON.parse(out), want, format);
  }
  const np = join(dir, "numpy.npy");
  await python(
    "import sys, numpy as np; np.save(sys.argv[1], np.arange(24, dtype=np.int16).reshape(2, 3, 4))",
    [np],
  );
  const f = (await codecFor("npy")).open(await Deno.readFile(np), {
    verifyChecksums: true,
    name: np,
  });
  assert.equal(f.numSamples, 4);
  assert.deepEqual([...new Int16Array(f.sample(1).slice().buffer)], [1, 5, 9, 13, 17, 21]);
});

Deno.test("Pillow reads our PNG (grayscale) and JPEG with the configured size; we read Pillow's", async () => {
  const dir = await Deno.makeTempDir();
  for (const format of ["png", "jpeg"]) {
    const spec: FileSpec = { dims: [48, 64], samples: 1, dtype: "uint8", seed: 5, fileIndex: 0 };
    const p = await write(format, spec, dir);
    const info = JSON.parse(
      await python(
        `
import sys, json
from PIL import Image
im = Image.open(sys.argv[1]); im.load()
print(json.dumps({"format": im.format, "size": im.size, "mode": im.mode,
                  "pixels": list(im.convert("L").getdata())[:16]}))
`,
        [p],
      ),
    );
    assert.equal(info.format, format.toUpperCase());
    assert.deepEqual(info.size, [64, 48]);
    const ours = (await codecFor(format)).open(await Deno.readFile(p), {
      verifyChecksums: true,
      name: p,
    });
    assert.deepEqual(ours.dims, [48, 64]);
    if (format === "png") {
      assert.equal(info.mode, "L");
      // Lossless: Pillow's pixels are our noise; our decoder gives RGBA of the same greys.
      const rgba = ours.sample(0);
      assert.deepEqual(info.pixels, Array.from({ length: 16 }, (_, i) => rgba[4 * i]));
    }
  }
  for (const format of ["png", "jpeg"]) {
    const p = join(dir, `pil.${format}`);
    await python(
      "import sys; from PIL import Image; Image.new('L', (33, 21), 128).save(sys.argv[1])",
      [p],
    );
    const f = (await codecFor(format)).open(await Deno.readFile(p), {
      verifyChecksums: true,
      name: p,
    });
    assert.deepEqual(f.dims, [21, 33]);
  }
});

Deno.test("Python's csv module reads our CSV; we read csv written by Python", async () => {
  const dir = await Deno.makeTempDir();
  const spec: FileSpec = { dims: [10, 12], samples: 4, dtype: "uint8", seed: 3, fileIndex: 1 };
  const p = await write("csv", spec, dir);
  const f = (await codecFor("csv")).open(await Deno.readFile(p), {
    verifyChecksums: true,
    name: p,
  });
  const rows = JSON.parse(
    await python(
      "import sys, csv, json; print(json.dumps([[int(v) for v in r] for r in csv.reader(open(sys.argv[1]))]))",
      [p],
    ),
  );
  assert.equal(rows.length, 4);
  rows.forEach((r: number[], i: number) => assert.deepEqual(r, [...f.sample(i)]));
  const q = join(dir, "py.csv");
  await python(
    "import sys, csv; w = csv.writer(open(sys.argv[1], 'w', newline='')); w.writerows([[1, 2, 3], [4, 5, 6]])",
    [q],
  );
  const g = (await codecFor("csv")).open(await Deno.readFile(q), {
    verifyChecksums: true,
    name: q,
  });
  assert.equal(g.numSamples, 2);
  assert.deepEqual([...g.sample(1)], [4, 5, 6]);
});
