// Test that docs/config.md is the one the schema generates.
import assert from "node:assert/strict";
import { configDoc } from "./docs.ts";

Deno.test("docs/config.md is generated from the schema and up to date (deno task docs)", async () => {
  const doc = configDoc();
  const onDisk = await Deno.readTextFile(new URL("../../docs/config.md", import.meta.url));
  assert.equal(onDisk, doc, "docs/config.md is stale: run `deno task docs`");
  for (
    const key of ["`dataset.record_length_bytes`", "`reader.prefetch_size`", "`checkpoint.fsync`"]
  ) {
    assert.ok(doc.includes(key), key);
  }
});
