import assert from "node:assert/strict";
import { jsonSchemaValid } from "./json_schema_valid.ts";

const SCHEMA = {
  type: "object",
  required: ["category", "priority"],
  additionalProperties: false,
  properties: {
    category: { type: "string", enum: ["billing", "technical"] },
    priority: { type: "string" },
    score: { type: "integer", minimum: 0, maximum: 100 },
  },
};
const context = {
  input: {},
  slice: "typical" as const,
  "output_schema": SCHEMA,
};
const run = (output: string) => jsonSchemaValid.run(output, {}, {}, context);

Deno.test("json_schema_valid passes a valid output, fenced or not", () => {
  assert.equal(run('{"category": "billing", "priority": "low"}').pass, true);
  const fenced = run(
    '```json\n{"category": "technical", "priority": "é"}\n```',
  );
  assert.deepEqual(fenced, {
    pass: true,
    score: 1,
    detail: "valid against the output schema",
  });
});

Deno.test("json_schema_valid lists violations: missing field, enum, range, extra key", () => {
  const result = run(
    '{"category": "shipping", "score": 140, "extra": 1}',
  );
  assert.equal(result.pass, false);
  assert.equal(result.score, 0);
  assert.match(result.detail, /must have required property 'priority'/);
  assert.match(
    result.detail,
    /\/category must be equal to one of the allowed values \(billing, technical\)/,
  );
  assert.match(result.detail, /\/score must be <= 100/);
  assert.match(result.detail, /additional properties \("extra"\)/);
});

Deno.test("json_schema_valid fails empty and non-JSON output", () => {
  assert.match(run("").detail, /empty/);
  assert.match(run("Billing, low priority.").detail, /not a JSON object/);
});

Deno.test("json_schema_valid fails when the context has no schema", () => {
  const result = jsonSchemaValid.run("{}", {}, {}, {
    input: {},
    slice: "edge",
  });
  assert.equal(result.pass, false);
});
