// Tests of the O_DIRECT backend: alignment, page-cache bypass, tails, refusals.
import assert from "node:assert/strict";
import { join } from "node:path";
import { StorageError } from "./backend.ts";
import { DirectBackend } from "./direct.ts";
import { cPath, lastError, libc, O_DIRECT, O_RDONLY } from "./libc.ts";

function readBytesIo(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  return Number(/read_bytes: (\d+)/.exec(io)![1]);
}

Deno.test("direct: the temp dir enforces O_DIRECT alignment (so our aligned I/O is exercised)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-direct-" });
  const p = join(dir, "f");
  await Deno.writeFile(p, new Uint8Array(8192).fill(1));
  const fd = libc().open(cPath(p), O_RDONLY | O_DIRECT, 0);
  assert.ok(fd >= 0);
  const raw = new Uint8Array(8192 + 1);
  // An odd buffer address and length: the kernel must refuse.
  const n = Number(libc().pread(fd, raw.subarray(1), 4095n, 1n));
  const err = lastError();
  libc().close(fd);
  assert.equal(n, -1);
  assert.equal(err.errno, 22, err.text);
});

Deno.test("direct: reads bypass the page cache (/proc/self/io read_bytes grows)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-direct-" });
  const size = 8 << 20;
  const data = new Uint8Array(size).map((_, i) => i * 13);
  await Deno.writeFile(join(dir, "cached"), data); // buffered: now in the page cache
  Deno.readFileSync(join(dir, "cached"));
  const b = new DirectBackend(dir);
  const before = readBytesIo();
  const got = await b.get("cached");
  const after = readBytesIo();
  assert.deepEqual(got, data);
  assert.ok(after - before >= size, `read_bytes grew by ${after - before}, expected ≥ ${size}`);
  // A buffered read of the same cached file does not touch the device.
  const b2 = readBytesIo();
  Deno.readFileSync(join(dir, "cached"));
  assert.ok(readBytesIo() - b2 < size / 2);
});

Deno.test("direct: unaligned tails, ranges and the blocking path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dl-driver-direct-" });
  const b = new DirectBackend(dir);
  for (const n of [1, 4095, 4097, 12345, (1 << 20) + 1]) {
    const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
    await b.put(`t/${n}`, [data.subarray(0, 3), data.subarray(3)]);
    assert.equal(Deno.statSync(join(dir, "t", String(n))).size, n);
    assert.deepEqual(b.getSync(`t/${n}`), data);
    assert.deepEqual(
      await b.getRange(`t/${n}`, Math.floor(n / 3), 5000),
      data.subarray(Math.floor(n / 3), Math.floor(n / 3) + 5000),
    );
  }
});

Deno.test("direct: a file system that refuses O_DIRECT is a clear error naming the path", async () => {
  const b = new DirectBackend("/proc/self");
  await assert.rejects(
    () => b.get("status"),
    (e: unknown) =>
      e instanceof StorageError &&
      /direct:\/\/\/proc\/self\/status: the file system refuses O_DIRECT/.test(e.message),
  );
});
