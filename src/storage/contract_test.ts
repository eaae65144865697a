/**
 * The storage contract: every backend passes the same suite.
 */
import assert from "node:assert/strict";
import { StorageError } from "./backend.ts";
import { openBackend } from "./open.ts";
import { pooledMap } from "../util/pool.ts";
import { testBackends } from "../../tests/_servers.ts";

const bytes = (n: number, seed = 1) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

async function collect(it: AsyncIterable<{ key: string; size: number }>) {
  const out: { key: string; size: number }[] = [];
  for await (const o of it) out.push(o);
  return out.sort((a, b) => a.key < b.key ? -1 : 1);
}

/** Multipart threshold and part size used for the object stores here (the S3 minimum part). */
const MP = 5 * 1024 * 1024;

const backends = testBackends(MP);

for (const [name, make] of backends) {
  Deno.test(`storage contract: ${name}`, async (t) => {
    const b = await make();
    await t.step("round trip of sizes around boundaries, empty and 1-byte objects", async () => {
      for (const n of [0, 1, 511, 512, 513, 4095, 4096, 4097, 1 << 20, (1 << 20) + 3]) {
        const data = bytes(n, n);
        assert.equal(await b.put(`sizes/o_${n}`, data), n);
        assert.deepEqual(await b.get(`sizes/o_${n}`), data);
        assert.equal((await b.stat(`sizes/o_${n}`)).size, n);
      }
    });
    if (b.capabilities.chunkReuse) {
      await t.step(
        "chunkReuse: a chunk overwritten after put asks for the next is stored as it was",
        async () => {
          const buf = new Uint8Array(4096);
          const body = (function* () {
            for (let i = 0; i < 3; i++) {
              buf.fill(i + 1);
              yield buf;
            }
          })();
          assert.equal(await b.put("reuse/o", body), 3 * 4096);
          const got = await b.get("reuse/o");
          for (let i = 0; i < 3; i++) {
            assert.ok(got.subarray(i * 4096, (i + 1) * 4096).every((x) => x === i + 1));
          }
        },
      );
    }
    if (b.capabilities.multipart) {
      await t.step("sizes around the multipart threshold and part boundaries", async () => {
        for (const n of [MP - 1, MP, MP + 1, 2 * MP + 3]) {
          const data = bytes(n, 9);
          // As one buffer and as a stream of odd-sized chunks.
          assert.equal(await b.put(`mp/buf_${n}`, data), n);
          const chunks = [];
          for (let o = 0; o < n; o += 777_777) {
            chunks.push(data.subarray(o, Math.min(n, o + 777_777)));
          }
          assert.equal(await b.put(`mp/stream_${n}`, chunks), n);
          assert.deepEqual(await b.get(`mp/buf_${n}`), data);
          assert.deepEqual(await b.get(`mp/stream_${n}`), data);
          assert.deepEqual(await b.getRange(`mp/stream_${n}`, n - 10, 100), data.subarray(n - 10));
        }
      });
    }
    await t.step("streamed puts (sync and async chunks)", async () => {
      const parts = [bytes(10), bytes(0), bytes(5000, 3)];
      assert.equal(await b.put("stream/sync", parts), 5010);
      async function* gen() {
        for (const p of parts) yield p;
      }
      await b.put("stream/async", gen());
      const want = new Uint8Array([...parts[0]!, ...parts[2]!]);
      assert.deepEqual(await b.get("stream/sync"), want);
      assert.deepEqual(await b.get("stream/async"), want);
    });
    await t.step("reads into a caller buffer when it fits", async () => {
      const buf = new Uint8Array(8192);
      const got = await b.get("sizes/o_4096", { buffer: buf });
      if (!b.capabilities.directIO) assert.equal(got.buffer, buf.buffer);
      assert.deepEqual(got, bytes(4096, 4096));
      const small = new Uint8Array(10);
      assert.equal((await b.get("sizes/o_4097", { buffer: small })).byteLength, 4097);
    });
    await t.step("ranged reads, including at and past the end", async () => {
      const data = bytes(4097, 4097);
      assert.deepEqual(await b.getRange("sizes/o_4097", 0, 10), data.subarray(0, 10));
      assert.deepEqual(await b.getRange("sizes/o_4097", 4090, 7), data.subarray(4090));
      assert.deepEqual(await b.getRange("sizes/o_4097", 4090, 100), data.subarray(4090));
      assert.equal((await b.getRange("sizes/o_4097", 4097, 10)).byteLength, 0);
    });
    if (b.openSync) {
      await t.step("blocking positional reads of an open object", () => {
        const data = bytes(4097, 4097);
        const f = b.openSync!("sizes/o_4097");
        assert.equal(f.size, 4097);
        const into = new Uint8Array(new SharedArrayBuffer(100));
        assert.equal(f.readAt(into, 4000), 97, "fewer at the end");
        assert.deepEqual(into.slice(0, 97), data.slice(4000));
        assert.equal(f.readAt(into.subarray(0, 10), 0), 10);
        assert.deepEqual(into.slice(0, 10), data.slice(0, 10));
        assert.equal(f.readAt(into, 5000), 0);
        f.close();
        assert.throws(
          () => b.openSync!("nope/x"),
          (e: unknown) =>
            e instanceof StorageError && e.code === "not_found" && e.uri.endsWith("nope/x"),
        );
      });
    }
    await t.step("missing keys give a typed not_found error naming the object", async () => {
      for (
        const op of [
          () => b.get("nope/x"),
          () => b.stat("nope/x"),
          () => b.getRange("nope/x", 0, 1),
        ]
      ) {
        await assert.rejects(
          op,
          (e: unknown) =>
            e instanceof StorageError && e.code === "not_found" && e.uri.endsWith("nope/x"),
        );
      }
      await b.delete("nope/x"); // absent is fine
    });
    await t.step("listing thousands of keys under a prefix", async () => {
      const n = 2500;
      const keys = Array.from({ length: n }, (_, i) => `many/${i % 7}/k_${i}`);
      await pooledMap(keys, 64, (k, i) => b.put(k, bytes(i % 3)).then(() => {}));
      const listed = await collect(b.list("many"));
      assert.equal(listed.length, n);
      assert.deepEqual(new Set(listed.map((o) => o.key)), new Set(keys));
      assert.equal(listed.find((o) => o.key === "many/5/k_5")!.size, 2);
      assert.equal(
        (await collect(b.list("many/3"))).length,
        keys.filter((k) => k.startsWith("many/3/")).length,
      );
      assert.equal((await collect(b.list("absent"))).length, 0);
    });
    await t.step("concurrent operations", async () => {
      await Promise.all(
        Array.from({ length: 64 }, (_, i) => b.put(`conc/${i}`, bytes(1000 + i, i))),
      );
      const got = await Promise.all(Array.from({ length: 64 }, (_, i) => b.get(`conc/${i}`)));
      got.forEach((g, i) => assert.deepEqual(g, bytes(1000 + i, i)));
    });
    await t.step("a failed put leaves nothing behind", async () => {
      function* failing() {
        yield bytes(100);
        throw new Error("source failed");
      }
      await assert.rejects(() => b.put("atomic/x", failing()), /source failed/);
      await assert.rejects(
        () => b.stat("atomic/x"),
        (e: unknown) => e instanceof StorageError && e.code === "not_found",
      );
      assert.equal((await collect(b.list("atomic"))).length, 0);
    });
    await t.step("delete and deletePrefix", async () => {
      await b.delete("conc/0");
      await assert.rejects(() => b.get("conc/0"), StorageError);
      await b.deletePrefix("many");
      assert.equal((await collect(b.list("many"))).length, 0);
      assert.equal((await collect(b.list("conc"))).length, 63);
    });
    await b.close();
  });
}

Deno.test("openBackend maps URIs and paths", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal((await openBackend(dir)).type, "file");
  assert.equal((await openBackend(`file://${dir}`)).root, `file://${dir}`);
  assert.equal((await openBackend(`direct://${dir}`)).type, "directio");
  assert.equal((await openBackend("mem://bucket/a/b")).root, "mem://bucket/a/b");
  await assert.rejects(() => openBackend("gs://bucket/x"), /gs:\/\/ is not implemented/);
});
