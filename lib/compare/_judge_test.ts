import assert from "node:assert/strict";
import { Decimal } from "decimal.js";
import {
  decisionInterval,
  judgeDeltas,
  limitStatus,
  repetitionsNeeded,
} from "./_judge.ts";
import type { Measured } from "./_measure.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

/**
 * A slice delta over `cases` cases of 3 repetitions each whose standard
 * error is `se` with effectively infinite degrees of freedom (so the
 * critical values are normal quantiles).
 */
function slice(delta: number, se: number, cases = 6): Measured {
  // varianceAt gives sum_i (b/3 + c/3) / K^2 = 2 v / (3 K) with v = b = c.
  const v = se * se * 3 * cases / 2;
  return {
    kind: "slice",
    name: "edge",
    worse: "drop",
    baseline: 0.8,
    candidate: 0.8 + delta,
    delta,
    cases,
    conditional: {
      se,
      df: 1e9,
      noise: {
        baseline: v,
        candidate: v,
        covariance: 0,
        df: 1e9,
        pooled: "run",
      },
      case_keys: Array.from({ length: cases }, (_, i) => `c${i}`),
      counts: {
        nb: Array(cases).fill(3),
        nc: Array(cases).fill(3),
        shared: Array(cases).fill(0),
      },
    },
    case_interval: null,
    unmeasured: { run: "candidate", cells: 0, of: 18, share: 0 },
  };
}

const z95 = 1.6448536269514722;
const options = {
  mode: "confident" as const,
  alpha: 0.05,
  critical: () => z95,
};

Deno.test("limitStatus() is two one-sided tests on the decision interval", () => {
  const status = (m: Measured) =>
    limitStatus(m, -0.1, decisionInterval(m, z95), 0.05);
  // -0.25 +- 1.645 x 0.05 = [-0.332, -0.168]: all past -0.10.
  assert.equal(status(slice(-0.25, 0.05)), "breached");
  // 0 +- 0.082: clear of -0.10.
  assert.equal(status(slice(0, 0.05)), "within");
  // -0.05 +- 0.082 straddles it.
  assert.equal(status(slice(-0.05, 0.05)), "possibly_breached");
  // On the limit with no noise at all: a tie is within it.
  assert.equal(status(slice(-0.1, 0)), "within");
  // More than 5% of a run's cells unjudged: not measured, whatever the delta.
  const blind: Measured = {
    ...slice(0, 0.01),
    unmeasured: { run: "candidate", cells: 5, of: 18, share: 5 / 18 },
  };
  assert.equal(status(blind), "not_measured");
});

Deno.test("decisionInterval() uses the t quantile of the check's degrees of freedom", () => {
  const m = slice(0, 0.1);
  const normal = decisionInterval(m, z95)!;
  assert.ok(Math.abs(normal.high - 0.164485) < 1e-6);
  // With 4 degrees of freedom: t(0.95, 4) = 2.131847.
  const few = decisionInterval(
    { ...m, conditional: { ...m.conditional!, df: 4 } },
    z95,
  )!;
  assert.ok(Math.abs(few.high - 0.213185) < 1e-6);
});

Deno.test("repetitionsNeeded() scales the repetitions by the variance the next look needs", () => {
  // Distance 0.05 from the limit; the standard error must fall to
  // 0.05 / (1.645 + 0.842) = 0.020107; now 0.05 at 3 repetitions:
  // 3 x (0.05 / 0.020107)^2 = 18.55 -> 19.
  assert.equal(repetitionsNeeded(slice(-0.05, 0.05), -0.1, 0.05), 19);
  // Already narrow enough: at least one more than now.
  assert.equal(repetitionsNeeded(slice(-0.05, 0.01), -0.1, 0.05), 4);
  // On the limit, or more than 100: null.
  assert.equal(repetitionsNeeded(slice(-0.1, 0.05), -0.1, 0.05), null);
  assert.equal(repetitionsNeeded(slice(-0.09, 0.05), -0.1, 0.05), null);
});

Deno.test("judgeDeltas() approves only when every limit is decided within", () => {
  const approved = judgeDeltas([slice(0, 0.02, 6)], DEFAULT_LIMITS, options);
  assert.equal(approved.verdict, "APPROVED");
  assert.equal(approved.summary, "APPROVED: every limit within");
  assert.deepEqual(approved.small_sample_warnings, []);
  const open = judgeDeltas([slice(-0.05, 0.05, 3)], DEFAULT_LIMITS, options);
  assert.equal(open.verdict, "INCONCLUSIVE");
  assert.equal(
    open.inconclusive[0],
    "slice 'edge' may have regressed -0.050 (90% CI -0.132 to +0.032, 3 cases; limit -0.100): 0.800 -> 0.750; undecided: about 19 repetitions per case would likely settle it",
  );
  assert.match(
    open.summary,
    /^INCONCLUSIVE: 1 limit undecided \(slice 'edge'\); about 19 repetitions/,
  );
  assert.deepEqual(open.small_sample_warnings, [
    "slice 'edge' rests on 3 cases (fewer than 5): its interval speaks of these cases only; add cases to speak of the slice",
  ]);
  const strict = judgeDeltas([slice(-0.05, 0.05)], DEFAULT_LIMITS, {
    ...options,
    mode: "strict",
  });
  assert.equal(strict.verdict, "REJECTED");
  const point = judgeDeltas([slice(-0.05, 0.05)], DEFAULT_LIMITS, {
    ...options,
    mode: "point",
  });
  assert.equal(point.verdict, "APPROVED");
});

Deno.test("judgeDeltas() never passes a dimension the judge left unscored", () => {
  const blind: Measured = {
    ...slice(0.3, 0.01),
    kind: "dimension",
    name: "tone",
    baseline: 4,
    candidate: 4.3,
    unmeasured: { run: "candidate", cells: 23, of: 90, share: 23 / 90 },
  };
  const judged = judgeDeltas([blind], DEFAULT_LIMITS, options);
  assert.equal(judged.verdict, "INCONCLUSIVE");
  assert.deepEqual(judged.improvements, []);
  assert.equal(
    judged.inconclusive[0],
    "dimension 'tone' not measured in 25.6% of the candidate's cells (23 of 90: judge errors or failed quorums; at most 5% may go unjudged): it cannot pass",
  );
  assert.equal(
    judged.summary,
    "INCONCLUSIVE: not measured: dimension 'tone'",
  );
  const strict = judgeDeltas([blind], DEFAULT_LIMITS, {
    ...options,
    mode: "strict",
  });
  assert.equal(strict.verdict, "REJECTED");
  // Within the share: measured.
  const few = judgeDeltas(
    [{
      ...blind,
      unmeasured: { run: "candidate", cells: 4, of: 90, share: 4 / 90 },
    }],
    DEFAULT_LIMITS,
    options,
  );
  assert.equal(few.verdict, "APPROVED");
});

Deno.test("judgeDeltas() holds cost growth against its limit in exact decimals", () => {
  const cost: Measured = {
    kind: "cost",
    name: "cost per cell",
    worse: "growth",
    baseline: 0.001,
    candidate: 0.0012,
    delta: 0.2,
    cases: 30,
    conditional: null,
    case_interval: null,
    unmeasured: null,
    exact: new Decimal("0.0012").div("0.001").minus(1),
  };
  const judged = judgeDeltas([cost], DEFAULT_LIMITS, options);
  assert.equal(judged.checks[0]!.status, "within");
  assert.equal(judged.verdict, "APPROVED");
});
