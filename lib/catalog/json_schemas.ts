import * as z from "zod";
import { CaseSchema } from "../schema/dataset.ts";
import { ModelsFileSchema } from "../schema/model.ts";
import { PromptFileSchema } from "../schema/prompt.ts";
import { TaskFileSchema } from "../schema/task.ts";

/** The catalog file formats that have a JSON Schema, by file stem. */
export type CatalogSchemaName = "task" | "prompt" | "case" | "models";

const SOURCES: Record<CatalogSchemaName, { schema: z.ZodType; title: string }> =
  {
    task: { schema: TaskFileSchema, title: "prompts/<task>/task.yaml" },
    prompt: { schema: PromptFileSchema, title: "prompts/<task>/vN.yaml" },
    case: { schema: CaseSchema, title: "one line of datasets/<task>.jsonl" },
    models: { schema: ModelsFileSchema, title: "models.yaml" },
  };

/**
 * The JSON Schemas (draft 2020-12) of the catalog file formats, generated
 * from the zod schemas that are their single source of truth. They describe
 * what a person writes (fields with defaults are optional), for editors and
 * other tools; `docs/schemas/<name>.schema.json` holds the committed copies.
 *
 * @returns File stem -> JSON Schema text (pretty-printed, ending in a newline).
 *
 * @example The prompt file schema
 * ```ts
 * import { catalogJsonSchemas } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const prompt = JSON.parse(catalogJsonSchemas().prompt);
 * assert.equal(prompt.type, "object");
 * assert.ok(prompt.required.includes("template"));
 * ```
 */
export function catalogJsonSchemas(): Record<CatalogSchemaName, string> {
  const out = {} as Record<CatalogSchemaName, string>;
  for (const [name, { schema, title }] of Object.entries(SOURCES)) {
    const json = z.toJSONSchema(schema, {
      io: "input",
      target: "draft-2020-12",
    });
    const { $schema, ...rest } = json;
    out[name as CatalogSchemaName] = `${
      JSON.stringify({ $schema, title, ...rest }, null, 2)
    }\n`;
  }
  return out;
}
