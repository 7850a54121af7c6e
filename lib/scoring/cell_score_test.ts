import assert from "node:assert/strict";
import type { CheckResult, RubricScore } from "../schema/result.ts";
import { cellScore } from "./cell_score.ts";

const check = (score: number): CheckResult => ({
  pass: score >= 0.5,
  score,
  detail: "",
});
const dim = (score: RubricScore["score"]): RubricScore => ({
  score,
  reasoning: "r",
});

Deno.test("cellScore() averages the check part and the rubric part", () => {
  const score = cellScore({
    status: "ok",
    checks: { a: check(1), b: check(0), c: check(0.5) },
    rubric: { x: dim(5), y: dim(4), z: dim(2), w: dim(1) },
  });
  // checks 0.5; rubric mean 3 -> (3 - 1) / 4 = 0.5
  assert.equal(score, 0.5);
  assert.equal(
    cellScore({
      status: "ok",
      checks: { a: check(1) },
      rubric: { x: dim(1) },
    }),
    0.5,
  );
});

Deno.test("cellScore() uses checks alone without a rubric, and the rubric alone without checks", () => {
  assert.equal(
    cellScore({ status: "ok", checks: { a: check(0.25) }, rubric: null }),
    0.25,
  );
  assert.equal(
    cellScore({ status: "ok", checks: {}, rubric: { x: dim(5) } }),
    1,
  );
  assert.equal(cellScore({ status: "ok", checks: {}, rubric: null }), null);
});

Deno.test("cellScore() scores failures 0 whatever their parts", () => {
  assert.equal(
    cellScore({ status: "provider_error", checks: {}, rubric: null }),
    0,
  );
  assert.equal(
    cellScore({
      status: "invalid_output",
      checks: { a: check(1) },
      rubric: { x: dim(5) },
    }),
    0,
  );
});
