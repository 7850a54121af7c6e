import * as z from "zod";
import type { RubricScore } from "../schema/result.ts";
import type { Rubric } from "../schema/task.ts";
import { parseOutput } from "../checks/output.ts";

/** What {@linkcode parseJudgement} returns: the scores, or why there are none. */
export type ParseJudgementResult =
  | { readonly ok: true; readonly scores: Record<string, RubricScore> }
  | { readonly ok: false; readonly error: string };

const DimensionSchema = z.strictObject({
  evidence: z.string(),
  reasoning: z.string().trim().min(1, "give a reasoning"),
  score: z.int().min(1).max(5),
});

/**
 * Reads and strictly validates a judge's answer against a rubric: a JSON
 * object (bare or in a Markdown `json` code fence) `{"dimensions": {...}}` with every
 * rubric dimension and no other, each with `evidence`, a non-empty
 * `reasoning` and an integer `score` from 1 to 5. Anything else is an error
 * value, never a default score.
 *
 * @param text The judge's answer text.
 * @param rubric The rubric it answers.
 * @returns `{ ok: true, scores }` or `{ ok: false, error }`.
 *
 * @example A valid and an out-of-range answer
 * ```ts
 * import { parseJudgement } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const anchors = { good: "g", average: "a", bad: "b" };
 * const rubric = { dimensions: ["a", "b", "c", "d"].map((name) => ({ name, criteria: name, anchors })) };
 * const answer = (score: number) => JSON.stringify({
 *   dimensions: Object.fromEntries(["a", "b", "c", "d"].map((n) => [n, { evidence: "x", reasoning: "fine", score }])),
 * });
 * const ok = parseJudgement(answer(4), rubric);
 * assert.equal(ok.ok && ok.scores.c?.score, 4);
 * assert.equal(parseJudgement(answer(6), rubric).ok, false);
 * ```
 */
export function parseJudgement(
  text: string,
  rubric: Rubric,
): ParseJudgementResult {
  const parsed = parseOutput(text);
  if (!parsed.ok) return { ok: false, error: parsed.reason };
  const result = judgementSchema(rubric).safeParse(parsed.value);
  if (!result.success) {
    return {
      ok: false,
      error: `the judgement does not match the rubric: ${
        z.prettifyError(result.error).replace(/\s*\n\s*/g, " ")
      }`,
    };
  }
  const scores: Record<string, RubricScore> = {};
  for (const d of rubric.dimensions) {
    const value = result.data.dimensions[d.name]!;
    scores[d.name] = {
      score: value.score as RubricScore["score"],
      reasoning: value.reasoning,
      evidence: value.evidence,
    };
  }
  return { ok: true, scores };
}

type JudgementSchema = z.ZodType<{
  dimensions: Record<string, z.infer<typeof DimensionSchema>>;
}>;

// One schema per set of dimension names: zod compiles each schema it builds,
// so building one per answer dominated a judged run's scoring time.
const schemas = new Map<string, JudgementSchema>();

function judgementSchema(rubric: Rubric): JudgementSchema {
  const names = rubric.dimensions.map((d) => d.name);
  const key = JSON.stringify(names);
  let schema = schemas.get(key);
  if (!schema) {
    const shape: Record<string, typeof DimensionSchema> = {};
    for (const name of names) shape[name] = DimensionSchema;
    schema = z.strictObject({ dimensions: z.strictObject(shape) });
    schemas.set(key, schema);
  }
  return schema;
}
