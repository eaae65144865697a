/**
 * Regenerate the generated docs: docs/config.md from the schema, and the report-field table of
 * docs/metrics.md from the field table: `deno task docs`.
 * @module
 */
import { configDoc } from "../src/config/docs.ts";
import { withFieldsDoc } from "../src/metrics/fields_doc.ts";

await Deno.writeTextFile(new URL("../docs/config.md", import.meta.url), configDoc());
console.log("wrote docs/config.md");
const metrics = new URL("../docs/metrics.md", import.meta.url);
await Deno.writeTextFile(metrics, withFieldsDoc(await Deno.readTextFile(metrics)));
console.log("wrote docs/metrics.md (report fields)");
