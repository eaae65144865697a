/**
 * Checkpoints on every backend: write, restore, verify, zstd on and off, interrupted writes,
 * multi-rank layouts (in-process ranks).
 */
import assert from "node:assert/strict";
import { resolveConfig } from "../config/resolve.ts";
import { UserError } from "../errors.ts";
import type { StorageBackend } from "../storage/backend.ts";
import { LocalGroup } from "../train/comm.ts";
import { realClock } from "../util/clock.ts";
import { testBackends } from "../../tests/_servers.ts";
import { Checkpointer, CHUNK } from "./checkpoint.ts";
import { checkpointBytes, rankFiles } from "./layout.ts";

/** A small llama-shaped transformer: 2 ranks, ZeRO 3, ~7.5 MB per checkpoint. */
const config = (...extra: string[]) =>
  resolveConfig({
    args: [
      "workload=llama3_8b",
      "model.num_layers=2",
      "model.transformer.hidden_size=128",
      "model.transformer.vocab_size=1000",
      "model.transformer.ffn_hidden_size=256",
      ...extra,
    ],
  }).config;

async function keys(b: StorageBackend, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of b.list(prefix)) out.push(o.key);
  return out.sort();
}

async function saveAll(b: StorageBackend, ranks: number, c = config(), signal?: AbortSignal) {
  const group = new LocalGroup(ranks);
  return await Promise.all(
    group.members.map((comm) =>
      new Checkpointer({ config: c, backend: b, comm, clock: realClock, signal }).save(1, 7)
    ),
  );
}

async function loadAll(b: StorageBackend, ranks: number, c = config("checkpoint.verify=True")) {
  const group = new LocalGroup(ranks);
  return await Promise.all(
    group.members.map((comm) =>
      new Checkpointer({ config: c, backend: b, comm, clock: realClock }).load(1, 7)
    ),
  );
}

for (const [name, make] of testBackends(5 * 1024 * 1024)) {
  Deno.test(`checkpoint on ${name}: DLIO layout written, restored and verified; zstd`, async () => {
    const b = await make();
    const c = config();
    const saved = await saveAll(b, 2, c);
    // DLIO's ZeRO-3 file names: model and optimizer shards of both DP ranks.
    const files = (await keys(b, "global_epoch1_step7")).filter((k) => !k.includes(".dl-driver"));
    assert.deepEqual(files, [
      "global_epoch1_step7/zero_pp_rank_0_mp_rank_0_model_states.pt",
      "global_epoch1_step7/zero_pp_rank_0_mp_rank_0_optim_states.pt",
      "global_epoch1_step7/zero_pp_rank_1_mp_rank_0_model_states.pt",
      "global_epoch1_step7/zero_pp_rank_1_mp_rank_0_optim_states.pt",
    ]);
    const total = saved.reduce((a, e) => a + e.bytes, 0);
    assert.equal(total, checkpointBytes(c, 2));
    for (const f of rankFiles(c, 1, 2)) {
      assert.equal((await b.stat(`global_epoch1_step7/${f.name}`)).size, f.bytes);
    }
    const loaded = await loadAll(b, 2);
    assert.equal(loaded.reduce((a, e) => a + e.bytes, 0), total);

    // zstd: constant data shrinks, random data does not; both restore and verify.
    const z = await make();
    const zc = config("checkpoint.compression=zstd", "checkpoint.randomize_tensor=False");
    const zs = await saveAll(z, 2, zc);
    const stored = zs.reduce((a, e) => a + e.storedBytes, 0);
    assert.ok(stored < total / 50, `constant data stored in ${stored} of ${total} bytes`);
    assert.ok(zs.every((e) => e.codecMs > 0));
    const zl = await loadAll(z, 2, config("checkpoint.compression=zstd", "checkpoint.verify=True"));
    assert.equal(zl.reduce((a, e) => a + e.bytes, 0), total);
    const r = await make();
    const rs = await saveAll(r, 1, config("checkpoint.compression=zstd"));
    assert.ok(rs[0]!.storedBytes > rs[0]!.bytes * 0.99, "random data is incompressible");
  });

  Deno.test(`checkpoint on ${name}: an interrupted save leaves nothing that restores`, async () => {
    const b = await make();
    const abort = new AbortController();
    // A flat 20 MiB model: three chunks, so the write can be cut after the first.
    const c = resolveConfig({ args: ["workload=unet3d_h100", "model.model_size_bytes=20971520"] })
      .config;
    const group = new LocalGroup(1);
    const ck = new Checkpointer({
      config: c,
      backend: b,
      comm: group.members[0]!,
      clock: realClock,
      signal: abort.signal,
    });
    // Abort while the first file streams (after its first chunk).
    const put = b.put.bind(b);
    b.put = (key, body, opts) => {
      if (typeof (body as Iterable<Uint8Array>)[Symbol.iterator] === "function") {
        const it = body as Iterable<Uint8Array>;
        body = (function* () {
          let n = 0;
          for (const chunk of it) {
            if (n++ === 1) abort.abort(new Error("killed"));
            yield chunk;
          }
        })();
      }
      return put(key, body, opts);
    };
    assert.ok(rankFiles(c, 0, 1)[0]!.bytes > 2 * CHUNK);
    await assert.rejects(ck.save(1, 7));
    b.put = put;
    // No complete file, no marker: the restore refuses with a clear message.
    const left = await keys(b, "global_epoch1_step7");
    assert.ok(!left.some((k) => k.endsWith("complete.json")), left.join(", "));
    assert.ok(!left.some((k) => k.endsWith("model_states-0.pt")), left.join(", "));
    await assert.rejects(
      loadAll(b, 1, c),
      (e: unknown) => e instanceof UserError && /is incomplete/.test(e.message),
    );
  });
}

Deno.test("checkpoint: a corrupted file fails verification with its name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-ck-" });
  const { FileBackend } = await import("../storage/file.ts");
  const b = new FileBackend(dir);
  await saveAll(b, 1);
  const path = `${dir}/global_epoch1_step7/zero_pp_rank_0_mp_rank_0_optim_states.pt`;
  const f = await Deno.open(path, { read: true, write: true });
  await f.seek(12345, Deno.SeekMode.Start);
  await f.write(new Uint8Array([0xff, 0x00, 0xff]));
  f.close();
  await assert.rejects(
    loadAll(b, 1),
    (e: unknown) => e instanceof UserError && /optim_states\.pt: CRC-32C mismatch/.test(e.message),
  );
  // A truncated file fails on size even without verification.
  await Deno.truncate(path, 1000);
  await assert.rejects(
    loadAll(b, 1, config()),
    (e: unknown) => e instanceof UserError && /optim_states\.pt is 1000 bytes/.test(e.message),
  );
});

Deno.test("checkpoint layouts: ZeRO 1 with PP 2 writes per-layer files; non-transformer flat", () => {
  const c = config("model.parallelism.pipeline=2", "model.parallelism.zero_stage=1");
  const r0 = rankFiles(c, 0, 4).map((f) => f.name);
  assert.deepEqual(r0, [
    "layer_0-model_0_model_states.pt",
    "layer_1-model_0_model_states.pt",
    "zero_pp_rank_0_mp_rank_0_optim_states.pt",
  ]);
  // DP rank 1 writes only its optimizer shard under ZeRO 1.
  assert.deepEqual(rankFiles(c, 2, 4).map((f) => f.name), [
    "zero_pp_rank_1_mp_rank_0_optim_states.pt",
  ]);
  // The last stage holds layer 2, lm_head (3) and the final norm (4).
  assert.deepEqual(rankFiles(c, 1, 4).map((f) => f.name).slice(0, 3), [
    "layer_2-model_1_model_states.pt",
    "layer_3-model_1_model_states.pt",
    "layer_4-model_1_model_states.pt",
  ]);
  const unet = resolveConfig({ args: ["workload=unet3d_h100"] }).config;
  const flat = rankFiles(unet, 0, 1);
  assert.equal(flat.length, 1);
  assert.equal(flat[0]!.name, "model_states-0.pt");
  assert.equal(flat[0]!.bytes, unet.model.model_size ?? unet.model.model_size_bytes);
  assert.deepEqual(rankFiles(unet, 1, 2), []);
});

Deno.test("checkpoint.mode subset: DP from parallelism.data; ranks beyond TP·PP·DP write nothing", () => {
  const c = config(
    "checkpoint.mode=subset",
    "model.parallelism.data=2",
    "model.parallelism.tensor=2",
  );
  // 8 ranks, TP 2 × DP 2 = 4 active ranks; ranks 4..7 write nothing.
  for (let r = 0; r < 8; r++) assert.equal(rankFiles(c, r, 8).length > 0, r < 4, `rank ${r}`);
  assert.deepEqual(rankFiles(c, 3, 8).map((f) => f.name), [
    "zero_pp_rank_1_mp_rank_1_model_states.pt",
    "zero_pp_rank_1_mp_rank_1_optim_states.pt",
  ]);
  assert.equal(checkpointBytes(c, 8), checkpointBytes(c, 4));
});
