import type { CellResult, ScoredCell } from "../schema/result.ts";

/**
 * One cell's score in 0..1, the one formula every figure uses (see
 * docs/scoring.md):
 *
 * - a provider failure or an invalid output scores 0;
 * - otherwise the mean of the parts the cell has: the mean check score,
 *   and the rubric part `(mean dimension score - 1) / 4`;
 * - a cell without a rubric (no judge, or a judge error) scores on its
 *   checks alone; a cell with neither checks nor a rubric has no score
 *   (`null`).
 *
 * @param result The cell (its status, checks and rubric).
 * @returns The score in 0..1, or `null` when nothing was scored.
 *
 * @example Checks and rubric weigh equally
 * ```ts
 * import { cellScore } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const score = cellScore({
 *   status: "ok",
 *   checks: { a: { pass: true, score: 1, detail: "" }, b: { pass: false, score: 0.5, detail: "" } },
 *   rubric: { x: { score: 5, reasoning: "" }, y: { score: 3, reasoning: "" } },
 * });
 * // checks 0.75, rubric (4 - 1) / 4 = 0.75
 * assert.equal(score, 0.75);
 * assert.equal(cellScore({ status: "invalid_output", checks: {}, rubric: null }), 0);
 * ```
 */
export function cellScore(
  result:
    | Pick<CellResult, "status" | "checks" | "rubric">
    | Pick<ScoredCell, "status" | "checks" | "rubric">,
): number | null {
  if (result.status !== "ok") return 0;
  let parts = 0;
  let sum = 0;
  const checks = Object.values(result.checks);
  if (checks.length > 0) {
    let total = 0;
    for (const check of checks) total += check.score;
    sum += total / checks.length;
    parts++;
  }
  const rubric = result.rubric ? Object.values(result.rubric) : [];
  if (rubric.length > 0) {
    let total = 0;
    for (const dimension of rubric) total += dimension.score;
    sum += (total / rubric.length - 1) / 4;
    parts++;
  }
  return parts === 0 ? null : sum / parts;
}
