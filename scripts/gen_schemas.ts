// deno-lint-ignore-file no-console
/**
 * Writes docs/schemas/{task,prompt,case,models}.schema.json from the zod
 * schemas: `deno task schemas`. A test fails when the committed files differ
 * from what this produces.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { catalogJsonSchemas } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { out: { type: "string", default: "docs/schemas" } },
});
await Deno.mkdir(values.out, { recursive: true });
for (const [name, text] of Object.entries(catalogJsonSchemas())) {
  const path = `${values.out}/${name}.schema.json`;
  await Deno.writeTextFile(path, text);
  console.log(`wrote ${path}`);
}
