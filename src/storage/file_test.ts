// The file backend's key → path: plain keys are joined by concatenation, the rest by `join`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FileBackend } from "./file.ts";

Deno.test("file paths: every key gives what path.join gives, plain or not", () => {
  const keys = [
    "x",
    "train/img_1_of_8.npz",
    "a/../b",
    "./x",
    "../x",
    "x/.",
    "x/..",
    ".x",
    "x..y",
    "a//b",
    "/x",
    "x/",
    "",
    ".",
    "..",
    "a/.b/c",
    "a/..b",
    "...",
    "a/.../b",
  ];
  for (const dir of ["/data/set", "/"]) {
    const b = new FileBackend(dir);
    for (const k of keys) assert.equal(b.path(k), join(dir, k), `${dir} + ${JSON.stringify(k)}`);
  }
});
