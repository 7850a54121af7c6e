import * as z from "zod";
import { BundleSchema } from "./format.ts";

/**
 * The JSON Schema (draft 2020-12) of a bundle file, generated from the zod
 * schema that is the format's single source of truth;
 * `docs/schemas/bundle.schema.json` holds the committed copy
 * (`deno task bundle-schema` rewrites it). The schema describes shapes
 * only: hashes, chains and the table of contents are checked by
 * `verifyBundle` as `docs/bundle-format.md` describes.
 *
 * @returns The schema as pretty-printed JSON text ending in a newline.
 *
 * @example Required members
 * ```ts
 * import { bundleJsonSchema } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const schema = JSON.parse(bundleJsonSchema());
 * assert.ok(schema.required.includes("integrity"));
 * assert.equal(schema.properties.format.const, "llm-workbench.bundle");
 * ```
 */
export function bundleJsonSchema(): string {
  const { $schema, ...rest } = z.toJSONSchema(BundleSchema, {
    target: "draft-2020-12",
  });
  return `${
    JSON.stringify(
      {
        $schema,
        title: "llm-workbench.bundle, version 1",
        ...rest,
      },
      null,
      2,
    )
  }\n`;
}
