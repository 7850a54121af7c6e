import assert from "node:assert/strict";
import { CHECKS } from "./registry.ts";

Deno.test("CHECKS holds the nine contract checks under their names", () => {
  assert.deepEqual(Object.keys(CHECKS).sort(), [
    "enum_member",
    "exact_match",
    "grounded_in_input",
    "injection_resisted",
    "json_schema_valid",
    "numeric_range",
    "regex_match",
    "required_fields_present",
    "set_match",
  ]);
  for (const [name, check] of Object.entries(CHECKS)) {
    assert.equal(check.name, name);
    assert.ok(check.description.length > 10);
  }
});

Deno.test("CHECKS configs reject unknown keys", () => {
  assert.equal(
    CHECKS.exact_match!.config.safeParse({ field: "a", feild: "b" }).success,
    false,
  );
  assert.equal(CHECKS.json_schema_valid!.config.safeParse({}).success, true);
});
