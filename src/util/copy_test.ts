// Tests of copyInto against TypedArray.set.
import assert from "node:assert/strict";
import { copyInto } from "./copy.ts";

Deno.test("copyInto: same bytes as TypedArray.set for shared and plain, aligned and not", () => {
  const src = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
  for (const shared of [true, false]) {
    for (const [so, doff] of [[0, 0], [163, 0], [3, 5], [8, 16]]) {
      const n = 200_000;
      const mk = () =>
        new Uint8Array(shared ? new SharedArrayBuffer(250_000) : new ArrayBuffer(250_000));
      const a = mk(), b = mk();
      copyInto(a, src.subarray(so!, so! + n), doff!);
      b.set(src.subarray(so!, so! + n), doff!);
      assert.deepEqual(a, b);
    }
  }
  assert.throws(() =>
    copyInto(new Uint8Array(new SharedArrayBuffer(70_000)), src.subarray(1, 70_000), 8)
  );
});
