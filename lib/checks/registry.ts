/**
 * The registry of deterministic checks, by the name task.yaml uses.
 *
 * @module
 */
import type { CheckDefinition } from "./check.ts";
import { enumMember } from "./enum_member.ts";
import { exactMatch } from "./exact_match.ts";
import { groundedInInput } from "./grounded_in_input.ts";
import { injectionResisted } from "./injection_resisted.ts";
import { jsonSchemaValid } from "./json_schema_valid.ts";
import { numericRange } from "./numeric_range.ts";
import { regexMatch } from "./regex_match.ts";
import { requiredFieldsPresent } from "./required_fields_present.ts";
import { setMatch } from "./set_match.ts";

/**
 * Every check, by name: its description, its configuration schema (which
 * the catalog validates task.yaml `checks[].config` against) and its `run`
 * function. Adding a check is adding a file and a line here.
 *
 * @example Running a check by name
 * ```ts
 * import { CHECKS } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const check = CHECKS.set_match!;
 * const config = check.config.parse({ field: "matched_skills" });
 * const result = check.run(
 *   '{"matched_skills": ["TypeScript", "Go"]}',
 *   { "matched_skills": ["typescript", "go", "SQL"] },
 *   config,
 *   { input: {}, slice: "typical" },
 * );
 * assert.equal(result.pass, true);
 * assert.equal(result.score, 0.8);
 * ```
 */
export const CHECKS: Record<string, CheckDefinition> = {
  "json_schema_valid": jsonSchemaValid as CheckDefinition,
  "required_fields_present": requiredFieldsPresent as CheckDefinition,
  "exact_match": exactMatch as CheckDefinition,
  "set_match": setMatch as CheckDefinition,
  "regex_match": regexMatch as CheckDefinition,
  "numeric_range": numericRange as CheckDefinition,
  "enum_member": enumMember as CheckDefinition,
  "grounded_in_input": groundedInInput as CheckDefinition,
  "injection_resisted": injectionResisted as CheckDefinition,
};
