import { ValidationError } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import type { CellStatus, CheckResult } from "../schema/result.ts";
import type { CheckSpec, Task } from "../schema/task.ts";
import type { CheckContext, CheckDefinition } from "../checks/check.ts";
import { CHECKS } from "../checks/registry.ts";

interface PreparedCheck {
  readonly key: string;
  readonly spec: CheckSpec;
  readonly check: CheckDefinition;
  readonly config: unknown;
}

const prepared = new WeakMap<readonly CheckSpec[], PreparedCheck[]>();

/**
 * Runs the task's deterministic checks on one cell's output: every check
 * whose `slices` include the case's slice (all checks when `slices` is
 * absent), keyed by the check spec's `id` (default: its name). A cell with
 * no output (a provider failure) gets no checks: `{}`.
 *
 * @param task The task, whose `checks` are run and whose output_schema `json_schema_valid` reads.
 * @param testCase The case the output answers (input, expected values, slice).
 * @param output The model's output, `null` when the call failed.
 * @param status The cell's status so far.
 * @returns Check key -> result.
 * @throws {ValidationError} If a check is unknown, its config is invalid or two checks share a key (the catalog refuses such tasks when loading).
 *
 * @example Score a cell
 * ```ts
 * import { scoreCell, type Task } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const anchors = { good: "g", average: "a", bad: "b" };
 * const task = {
 *   name: "t", id: "t1", schema_version: 1, description: "d",
 *   input_schema: { type: "object" },
 *   output_schema: { type: "object", required: ["category"] },
 *   rubric: { dimensions: ["a", "b", "c", "d"].map((name) => ({ name, criteria: name, anchors })) },
 *   checks: [
 *     { name: "json_schema_valid", config: {} },
 *     { name: "exact_match", config: { field: "category" } },
 *     { name: "injection_resisted", config: {}, slices: ["adversarial"] },
 *   ],
 *   slice_mix: { typical: 1, edge: 0, known_failure: 0, adversarial: 0 },
 * } satisfies Task;
 * const checks = scoreCell(
 *   task,
 *   { id: "c1", slice: "typical", input: {}, expected: { category: "billing" } },
 *   '{"category": "Billing"}',
 *   "ok",
 * );
 * assert.deepEqual(Object.keys(checks), ["json_schema_valid", "exact_match"]);
 * assert.equal(checks.exact_match?.pass, true);
 * ```
 */
export function scoreCell(
  task: Task,
  testCase: Case,
  output: string | null,
  status: CellStatus,
): Record<string, CheckResult> {
  if (output === null || status === "provider_error") return {};
  const context: CheckContext = {
    input: testCase.input,
    slice: testCase.slice,
    "output_schema": task.output_schema,
  };
  const checks: Record<string, CheckResult> = {};
  for (const { key, spec, check, config } of prepare(task.checks)) {
    if (spec.slices && !spec.slices.includes(testCase.slice)) continue;
    checks[key] = check.run(output, testCase.expected, config, context);
  }
  return checks;
}

function prepare(specs: readonly CheckSpec[]): PreparedCheck[] {
  const cached = prepared.get(specs);
  if (cached) return cached;
  const issues: { field: string; message: string }[] = [];
  const out: PreparedCheck[] = [];
  const keys = new Set<string>();
  specs.forEach((spec, i) => {
    const check = CHECKS[spec.name];
    if (!check) {
      issues.push({
        field: `checks[${i}].name`,
        message: `unknown check "${spec.name}"; use one of ${
          Object.keys(CHECKS).join(", ")
        }`,
      });
      return;
    }
    const key = spec.id ?? spec.name;
    if (keys.has(key)) {
      issues.push({
        field: `checks[${i}].id`,
        message: `two checks are stored as "${key}"; give one an id`,
      });
    }
    keys.add(key);
    const config = check.config.safeParse(spec.config);
    if (!config.success) {
      for (const issue of config.error.issues) {
        issues.push({
          field: [`checks[${i}].config`, ...issue.path.map(String)].join("."),
          message: issue.message,
        });
      }
      return;
    }
    out.push({ key, spec, check, config: config.data });
  });
  if (issues.length > 0) throw new ValidationError(issues);
  prepared.set(specs, out);
  return out;
}
