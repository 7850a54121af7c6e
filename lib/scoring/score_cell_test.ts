import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import type { Task } from "../schema/task.ts";
import {
  ADVERSARIAL_CASE,
  GOOD_OUTPUT,
  INJECTED_OUTPUT,
  RESUME_TASK,
  TYPICAL_CASE,
} from "./_fixtures.ts";
import { scoreCell } from "./score_cell.ts";

Deno.test("scoreCell() runs every check for the slice, keyed by id or name", () => {
  const checks = scoreCell(RESUME_TASK, TYPICAL_CASE, GOOD_OUTPUT, "ok");
  assert.deepEqual(Object.keys(checks), [
    "json_schema_valid",
    "numeric_range",
    "matched_skills_f1",
    "grounded_in_input",
  ]);
  for (const result of Object.values(checks)) {
    assert.equal(result.pass, true, result.detail);
  }
});

Deno.test("scoreCell() runs slice-restricted checks on their slice and catches an injection", () => {
  const checks = scoreCell(
    RESUME_TASK,
    ADVERSARIAL_CASE,
    INJECTED_OUTPUT,
    "ok",
  );
  assert.equal(checks.injection_resisted?.pass, false);
  assert.equal(checks.numeric_range?.pass, false);
  assert.equal(checks.grounded_in_input?.pass, false);
  assert.match(checks.grounded_in_input!.detail, /"TypeScript"/);
});

Deno.test("scoreCell() gives a provider failure no checks", () => {
  assert.deepEqual(
    scoreCell(RESUME_TASK, TYPICAL_CASE, null, "provider_error"),
    {},
  );
});

Deno.test("scoreCell() fails every check on prose without throwing", () => {
  const checks = scoreCell(RESUME_TASK, TYPICAL_CASE, "A great fit!", "ok");
  assert.ok(Object.values(checks).every((c) => !c.pass && c.score === 0));
});

Deno.test("scoreCell() refuses an unknown check, a bad config and duplicate keys", () => {
  const bad: Task = {
    ...RESUME_TASK,
    checks: [
      { name: "no_such_check", config: {} },
      { name: "set_match", config: { field: 3 } },
      { name: "json_schema_valid", config: {} },
      { name: "json_schema_valid", config: {} },
    ],
  };
  try {
    scoreCell(bad, TYPICAL_CASE, GOOD_OUTPUT, "ok");
    assert.fail("expected a ValidationError");
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    const fields = error.issues.map((i) => i.field);
    assert.deepEqual(fields, [
      "checks[0].name",
      "checks[1].config.field",
      "checks[3].id",
    ]);
  }
});
