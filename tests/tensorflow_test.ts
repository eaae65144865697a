/**
 * TensorFlow (tf.data.TFRecordDataset + tf.train.Example parsing, in .cache/tf-venv, installed
 * by scripts/ensure_tools.sh) is the reference reader for our TFRecord files: it reads them,
 * rejects a flipped byte, and agrees with our .idx index files; we read what TensorFlow writes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { codecFor } from "../src/formats/mod.ts";
import { encodeToBytes, type FileSpec } from "../src/formats/codec.ts";

const PY = fileURLToPath(new URL("../.cache/tf-venv/bin/python", import.meta.url));

async function tf(
  script: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(PY, {
    args: ["-c", script, ...args],
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout).trim(),
    err: new TextDecoder().decode(o.stderr),
  };
}

const READ = `
import sys, json, hashlib
import tensorflow as tf
feats = {"image": tf.io.FixedLenFeature([], tf.string), "size": tf.io.FixedLenFeature([], tf.int64)}
out = []
for rec in tf.data.TFRecordDataset(sys.argv[1]):
    ex = tf.io.parse_single_example(rec, feats)
    img = ex["image"].numpy()
    assert int(ex["size"].numpy()) == len(img), (int(ex["size"].numpy()), len(img))
    out.append(hashlib.sha256(img).hexdigest())
print(json.dumps(out))
`;

Deno.test("TensorFlow reads our TFRecord (image/size features), rejects a flipped byte, agrees on .idx", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-tf-" });
  const codec = await codecFor("tfrecord");
  const spec: FileSpec = { dims: [64, 50], samples: 5, dtype: "uint8", seed: 11, fileIndex: 3 };
  const bytes = await encodeToBytes(codec, spec);
  const p = join(dir, "img_3_of_8.tfrecord");
  await Deno.writeFile(p, bytes);
  const r = await tf(READ, [p]);
  assert.equal(r.code, 0, r.err);
  const f = codec.open(bytes, { verifyChecksums: true, name: p });
  const want = [];
  for (let i = 0; i < 5; i++) {
    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", f.sample(i).slice()));
    want.push([...d].map((x) => x.toString(16).padStart(2, "0")).join(""));
  }
  assert.deepEqual(JSON.parse(r.out), want);

  const bad = bytes.slice();
  bad[bytes.byteLength - 100] = bad[bytes.byteLength - 100]! ^ 0x10;
  await Deno.writeFile(join(dir, "bad.tfrecord"), bad);
  const rb = await tf(READ, [join(dir, "bad.tfrecord")]);
  assert.notEqual(rb.code, 0);
  assert.match(rb.err, /DataLossError|corrupted record/i);

  // DALI's tfrecord2idx algorithm over the file gives our index, line for line.
  const side = codec.sidecars!(spec, "train/img_3_of_8.tfrecord");
  assert.equal(side[0]!.key, "index/train/img_3_of_8.tfrecord.idx");
  const idx = await tf(
    `
import sys, struct
f = open(sys.argv[1], "rb"); out = []
while True:
    cur = f.tell(); b = f.read(8)
    if len(b) == 0: break
    f.read(4); n = struct.unpack("q", b)[0]; f.read(n); f.read(4)
    out.append(f"{cur} {f.tell() - cur}")
print("\\n".join(out))
`,
    [p],
  );
  assert.equal(idx.out + "\n", new TextDecoder().decode(side[0]!.data));
});

Deno.test("we read TFRecords written by TensorFlow's TFRecordWriter", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-tf-" });
  const p = join(dir, "tf.tfrecord");
  const w = await tf(
    `
import sys
import tensorflow as tf
with tf.io.TFRecordWriter(sys.argv[1]) as w:
    for i in range(3):
        img = bytes([i]) * (100 + i)
        ex = tf.train.Example(features=tf.train.Features(feature={
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[img])),
            "size": tf.train.Feature(int64_list=tf.train.Int64List(value=[len(img)]))}))
        w.write(ex.SerializeToString())
`,
    [p],
  );
  assert.equal(w.code, 0, w.err);
  const f = (await codecFor("tfrecord")).open(await Deno.readFile(p), {
    verifyChecksums: true,
    name: p,
  });
  assert.equal(f.numSamples, 3);
  for (let i = 0; i < 3; i++) assert.deepEqual(f.sample(i), new Uint8Array(100 + i).fill(i));
});
