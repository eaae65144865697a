// Tests of a rerun's clean-up: dead writers' partial files go, live ones stay; S3 orphaned uploads (tests/).
import assert from "node:assert/strict";
import { join } from "node:path";
import { FileBackend } from "./file.ts";
import { cleanLeftovers } from "./leftovers.ts";

Deno.test("leftovers: partial files of dead writers are removed and reported; live ones and data stay", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "train", "1"), { recursive: true });
  const dead = 2 ** 22 + 12345; // above the kernel's pid_max default: never a live process
  const files = {
    data: join(dir, "train", "img_1_of_2.npz"),
    deadHidden: join(dir, "train", "1", `.img_0_of_2.npz.partial-${dead}-3`),
    deadResult: join(dir, `summary.json.partial-${dead}`),
    live: join(dir, "train", `.img_1_of_2.npz.partial-${Deno.pid}-1`),
  };
  for (const p of Object.values(files)) await Deno.writeFile(p, new Uint8Array(8));
  const lines: string[] = [];
  const n = await cleanLeftovers(new FileBackend(dir), (l) => lines.push(l));
  assert.equal(n, 2);
  assert.match(lines[0]!, /removed 2 leftovers of an interrupted earlier run in file:\/\//);
  assert.ok(Deno.statSync(files.data).isFile);
  assert.ok(Deno.statSync(files.live).isFile);
  assert.throws(() => Deno.statSync(files.deadHidden), Deno.errors.NotFound);
  assert.throws(() => Deno.statSync(files.deadResult), Deno.errors.NotFound);
  assert.equal(await cleanLeftovers(new FileBackend(dir), (l) => lines.push(l)), 0);
  assert.equal(lines.length, 1);
});
