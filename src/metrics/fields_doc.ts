/**
 * The report-field table of docs/metrics.md, generated from fields.ts between its markers.
 * @module
 */
import { fieldsDoc } from "./fields.ts";

const START = "<!-- report-fields:start -->", END = "<!-- report-fields:end -->";

/** docs/metrics.md with its field table replaced by the generated one. */
export function withFieldsDoc(markdown: string): string {
  const i = markdown.indexOf(START), j = markdown.indexOf(END);
  if (i < 0 || j < i) throw new Error(`docs/metrics.md lacks the ${START} … ${END} markers`);
  return markdown.slice(0, i + START.length) + "\n" + fieldsDoc() + "\n" + markdown.slice(j);
}
