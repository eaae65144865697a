// Tests of the report field table: the doc is current, units match names, every report key is defined.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { REPORT_FIELDS } from "./fields.ts";
import { withFieldsDoc } from "./fields_doc.ts";

const DOC = new URL("../../docs/metrics.md", import.meta.url);

/** Table rows between the markers as trimmed cells (deno fmt may realign them). */
function rows(md: string): string[][] {
  const i = md.indexOf("<!-- report-fields:start -->"),
    j = md.indexOf("<!-- report-fields:end -->");
  return md.slice(i, j).split("\n").filter((l) => l.startsWith("|"))
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()))
    .filter((cells) => !cells.every((c) => /^-+$/.test(c)));
}

Deno.test("docs/metrics.md's report-field table is generated from fields.ts (deno task docs)", async () => {
  const onDisk = await Deno.readTextFile(DOC);
  assert.deepEqual(rows(onDisk), rows(withFieldsDoc(onDisk)), "stale: run `deno task docs`");
  assert.equal(rows(onDisk).length, REPORT_FIELDS.length + 1);
});

Deno.test("report fields: unique names, units agree with the names' suffixes", () => {
  const names = REPORT_FIELDS.map((f) => f.name);
  assert.equal(new Set(names).size, names.length);
  const suffix: [RegExp, string][] = [
    [/_ms$/, "ms"],
    [/_bytes$/, "B"],
    [/_secs$|_seconds$/, "s"],
    [/_percentage$/, "%"],
    [/_MB_per_second$/, "MiB/s"],
    [/_GB_per_second$/, "GiB/s"],
    [/_samples_per_second$|samples_per_sec$/, "samples/s"],
    [/_bytes_per_sec$/, "B/s"],
  ];
  for (const f of REPORT_FIELDS) {
    for (const [re, unit] of suffix) {
      if (re.test(f.name)) {
        assert.equal(f.unit, unit, `${f.name}: unit ${f.unit}, expected ${unit}`);
      }
    }
  }
});

Deno.test("every key of a real report.json is a field of the table, in table order", async () => {
  const golden = fileURLToPath(new URL("../../tests/fixtures/golden/report.json", import.meta.url));
  const keys = Object.keys(JSON.parse(await Deno.readTextFile(golden)));
  const order = REPORT_FIELDS.map((f) => f.name).filter((n) => keys.includes(n));
  assert.deepEqual(keys, order);
});
