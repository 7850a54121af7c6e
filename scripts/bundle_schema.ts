// deno-lint-ignore-file no-console
/**
 * Writes docs/schemas/bundle.schema.json from the bundle's zod schema:
 * `deno task bundle-schema`. A test fails when the committed file differs
 * from what this produces.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bundleJsonSchema } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: "docs/schemas/bundle.schema.json" },
  },
});
await Deno.writeTextFile(values.out, bundleJsonSchema());
console.log(`wrote ${values.out}`);
