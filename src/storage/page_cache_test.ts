// Tests of dropping files from the page cache (posix_fadvise DONTNEED), checked with fincore.
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBackend } from "./open.ts";
import { dropPageCache } from "./page_cache.ts";

/** Bytes of `path` in the page cache, by util-linux's fincore. */
async function cached(path: string): Promise<number> {
  const out = await new Deno.Command("fincore", { args: ["-b", "-n", "-o", "RES", path] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout).trim());
}

Deno.test("page cache: fadvise drops every file of the split; object stores drop nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-pc-" });
  const keys = ["train/a.npz", "train/b.npz"];
  await Deno.mkdir(join(dir, "train"));
  for (const k of keys) {
    await Deno.writeFile(join(dir, k), crypto.getRandomValues(new Uint8Array(65536)));
    // Written back (dirty pages are never dropped), then read: clean and in the page cache.
    using f = await Deno.open(join(dir, k), { read: true, write: true });
    await f.sync();
    await Deno.readFile(join(dir, k));
    assert.ok(await cached(join(dir, k)) > 0);
  }
  const backend = await openBackend(dir);
  const files = { length: keys.length, key: (i: number) => keys[i]! };
  const d = await dropPageCache(backend, files, "fadvise");
  assert.deepEqual([d.method, d.files, d.bytes], ["fadvise", 2, 2 * 65536]);
  for (const k of keys) assert.equal(await cached(join(dir, k)), 0, k);
  const mem = await openBackend(`mem://pc-${crypto.randomUUID()}`);
  const none = await dropPageCache(mem, files, "fadvise");
  assert.equal(none.method, "none");
  await backend.close();
  await Deno.remove(dir, { recursive: true });
});
