/**
 * Regenerate docs/config.md from the schema: `deno task docs`.
 * @module
 */
import { configDoc } from "../src/config/docs.ts";

await Deno.writeTextFile(new URL("../docs/config.md", import.meta.url), configDoc());
console.log("wrote docs/config.md");
