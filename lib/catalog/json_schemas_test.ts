import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { catalogJsonSchemas } from "./json_schemas.ts";

const DOCS = new URL("../../docs/schemas/", import.meta.url);
const VALID = new URL("./testdata/valid/", import.meta.url);

Deno.test("catalogJsonSchemas() matches the committed docs/schemas files", async () => {
  for (const [name, text] of Object.entries(catalogJsonSchemas())) {
    const committed = await Deno.readTextFile(
      new URL(`${name}.schema.json`, DOCS),
    )
      .catch(() => "(missing)");
    assert.equal(
      committed,
      text,
      `docs/schemas/${name}.schema.json is out of date: run \`deno run -A scripts/gen_schemas.ts\` (deno task schemas)`,
    );
  }
});

Deno.test("catalogJsonSchemas() accepts the valid fixture files and rejects a broken one", async () => {
  const schemas = catalogJsonSchemas();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const check = (name: keyof typeof schemas, value: unknown) =>
    ajv.validate(JSON.parse(schemas[name]), value);
  const read = async (path: string) =>
    await Deno.readTextFile(new URL(path, VALID));
  assert.ok(
    check("task", parse(await read("prompts/ticket_triage/task.yaml"))),
  );
  assert.ok(
    check("prompt", parse(await read("prompts/ticket_triage/v1.yaml"))),
  );
  assert.ok(check("models", parse(await read("models.yaml"))));
  for (
    const line of (await read("datasets/ticket_triage.jsonl")).trim().split(
      "\n",
    )
  ) {
    assert.ok(check("case", JSON.parse(line)), line);
  }
  assert.equal(check("case", { id: "x", slice: "edgy", input: {} }), false);
  assert.equal(
    check("prompt", { schema_version: 1, system: "", template: "t" }),
    false,
  );
});
