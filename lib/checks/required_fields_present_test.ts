import assert from "node:assert/strict";
import { requiredFieldsPresent } from "./required_fields_present.ts";

const config = requiredFieldsPresent.config.parse({
  fields: ["a", "b", "c", "d"],
});
const ctx = { input: {}, slice: "typical" as const };
const run = (output: string) =>
  requiredFieldsPresent.run(output, {}, config, ctx);

Deno.test("required_fields_present passes when all fields are present (empty values count)", () => {
  assert.deepEqual(run('{"a": "", "b": [], "c": 0, "d": false}'), {
    pass: true,
    score: 1,
    detail: "all 4 fields present",
  });
});

Deno.test("required_fields_present scores the share present and names the missing", () => {
  const result = run('```json\n{"a": 1, "b": null, "ü": 2}\n```');
  assert.equal(result.pass, false);
  assert.equal(result.score, 0.25);
  assert.equal(result.detail, 'missing: "b", "c", "d"');
});

Deno.test("required_fields_present fails empty and prose output with score 0", () => {
  assert.equal(run("").score, 0);
  assert.equal(run("no json here").pass, false);
});

Deno.test("required_fields_present config refuses an empty field list", () => {
  assert.equal(
    requiredFieldsPresent.config.safeParse({ fields: [] }).success,
    false,
  );
});
