import { ValidationError } from "../errors.ts";
import { LimitsSchema } from "../schema/task.ts";
import type { AppliedLimits, CompareLimits } from "./verdict.ts";

/**
 * The limits used when neither the task nor the call sets one: a rubric
 * dimension may drop by at most 0.25 and a slice's pass rate by at most
 * 0.10, cost may grow by at most 20%; latency, failure and injection rates
 * are unbounded; a dimension or slice left unjudged in more than 5% of a
 * run's cells cannot pass.
 *
 * @example The defaults, and what resolveLimits starts from
 * ```ts
 * import { DEFAULT_LIMITS, resolveLimits } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_LIMITS.dimension, -0.25);
 * assert.equal(DEFAULT_LIMITS.slice, -0.1);
 * assert.equal(DEFAULT_LIMITS.cost_growth, 0.2);
 * assert.equal(DEFAULT_LIMITS.failure_rate, null);
 * assert.equal(DEFAULT_LIMITS.unmeasured, 0.05);
 * assert.deepEqual(resolveLimits(), DEFAULT_LIMITS);
 * assert.ok(Object.isFrozen(DEFAULT_LIMITS));
 * ```
 */
export const DEFAULT_LIMITS: Readonly<AppliedLimits> = Object.freeze({
  dimension: -0.25,
  slice: -0.1,
  cost_growth: 0.2,
  latency_p95_growth: null,
  failure_rate: null,
  injection_rate: null,
  unmeasured: 0.05,
});

/**
 * The limits a verdict applies: the defaults, overridden by the task's
 * `limits` (task.yaml), overridden by the call's. Each layer is validated
 * against the task file's limits schema.
 *
 * @param task The task's limits, if any.
 * @param call The call's limits, if any (they win).
 * @returns Every limit, `null` where none applies.
 * @throws {ValidationError} If a limit has the wrong sign or an unknown name.
 *
 * @example The call wins over the task
 * ```ts
 * import { resolveLimits } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const limits = resolveLimits({ slice: -0.05, failure_rate: 0.02 }, { slice: -0.2 });
 * assert.equal(limits.slice, -0.2);
 * assert.equal(limits.failure_rate, 0.02);
 * assert.equal(limits.dimension, -0.25);
 * assert.equal(limits.latency_p95_growth, null);
 * ```
 */
export function resolveLimits(
  task?: CompareLimits | undefined,
  call?: CompareLimits | undefined,
): AppliedLimits {
  const layers = [
    { source: "task limits", value: task },
    { source: "limits", value: call },
  ];
  const applied: AppliedLimits = { ...DEFAULT_LIMITS };
  for (const { source, value } of layers) {
    if (value === undefined) continue;
    const parsed = LimitsSchema.safeParse(value);
    if (!parsed.success) {
      throw new ValidationError(parsed.error.issues.map((issue) => ({
        field: [source, ...issue.path.map(String)].join("."),
        message:
          `${issue.message}; drops (dimension, slice) are negative, growths (cost_growth, latency_p95_growth, failure_rate, injection_rate) are positive, unmeasured is a share from 0 to 1`,
      })));
    }
    for (const [key, limit] of Object.entries(parsed.data)) {
      if (limit !== undefined) {
        (applied as unknown as Record<string, number>)[key] = limit;
      }
    }
  }
  return applied;
}
