import assert from "node:assert/strict";
import {
  type CaseStats,
  caseStats,
  checkNoise,
  poolNoise,
  varianceAt,
} from "./_conditional.ts";

const values = (reps: number[], vals: number[]) => ({
  repetitions: Int32Array.from(reps),
  values: Float64Array.from(vals),
});

const close = (actual: number, expected: number) =>
  assert.ok(
    Math.abs(actual - expected) < 1e-12,
    `${actual} is not ${expected}`,
  );

Deno.test("caseStats() pairs repetitions by index and skips missing values", () => {
  // Baseline reps 0, 1, 2 = 1, 3, NaN; candidate reps 1, 2, 3 = 4, 8, 6.
  const s = caseStats(
    values([0, 1, 2], [1, 3, NaN]),
    values([1, 2, 3], [4, 8, 6]),
  );
  assert.equal(s.nb, 2);
  assert.equal(s.nc, 3);
  close(s.meanB, 2);
  close(s.meanC, 6);
  close(s.ssB, 2); // (1-2)^2 + (3-2)^2
  close(s.ssC, 8); // 4 + 4 + 0
  // Shared indices with both values: only 1 (index 2 has no baseline value).
  assert.equal(s.shared, 1);
  assert.equal(s.sp, 0);
  // Two shared pairs (1,2) and (3,6): deviations (-1,-2) and (1,2): sp 4.
  const t = caseStats(values([0, 1], [1, 3]), values([0, 1], [2, 6]));
  assert.equal(t.shared, 2);
  close(t.sp, 4);
});

Deno.test("poolNoise() pools sums of squares, with a floor of one pseudo-observation at the prior", () => {
  const a: CaseStats = {
    nb: 3,
    nc: 3,
    shared: 3,
    meanB: 0,
    meanC: 0,
    ssB: 2,
    ssC: 4,
    sp: 1,
  };
  const b: CaseStats = {
    nb: 3,
    nc: 3,
    shared: 3,
    meanB: 0,
    meanC: 0,
    ssB: 0,
    ssC: 2,
    sp: 0,
  };
  const noise = poolNoise([a, b], 1 / 12);
  close(noise.baseline, 2 / 4);
  close(noise.candidate, 6 / 4);
  close(noise.covariance, 1 / 4);
  // Every repetition shared: the paired degrees of freedom.
  assert.equal(noise.df, 4);
  // Repetitions that never varied: the floor, 1/12 over (4 + 1).
  const flat: CaseStats = { ...b, ssB: 0, ssC: 0 };
  close(poolNoise([flat, flat], 1 / 12).baseline, 1 / 60);
  // Identical repetitions in both runs still leave the floor's variance
  // for the paired delta: 2 x 1/12 / (1 + 1).
  const same: CaseStats = {
    nb: 2,
    nc: 2,
    shared: 2,
    meanB: 0,
    meanC: 0,
    ssB: 1,
    ssC: 1,
    sp: 1,
  };
  const tied = poolNoise([same], 1 / 12);
  close(tied.baseline + tied.candidate - 2 * tied.covariance, 2 / 12 / 2);
  // Unpaired repetitions: both runs' degrees of freedom.
  const apart: CaseStats = { ...same, shared: 0, sp: 0 };
  assert.equal(poolNoise([apart], 1 / 12).df, 2);
});

Deno.test("checkNoise() borrows the run's noise unless the check's cases are noisier beyond doubt", () => {
  const quiet = (ss: number): CaseStats => ({
    nb: 3,
    nc: 3,
    shared: 0,
    meanB: 0,
    meanC: 0,
    ssB: ss,
    ssC: ss,
    sp: 0,
  });
  const others = Array.from({ length: 27 }, () => quiet(0.02));
  // A slice as noisy as the rest: pooled over every case.
  const pooled = checkNoise(
    [quiet(0.02), quiet(0.02), quiet(0.02)],
    others,
    1 / 12,
  );
  assert.equal(pooled.pooled, "run");
  assert.equal(pooled.df, 2 * 30 * 2);
  // A slice whose repetitions never varied still gets the run's noise.
  const flat = checkNoise([quiet(0), quiet(0), quiet(0)], others, 1 / 12);
  assert.equal(flat.pooled, "run");
  assert.ok(flat.baseline > 0.005);
  // A slice ten times noisier keeps its own, wider, figure.
  const loud = checkNoise([quiet(0.5), quiet(0.5), quiet(0.5)], others, 1 / 12);
  assert.equal(loud.pooled, "check");
  close(loud.baseline, 1.5 / 6);
  // No other case: its own.
  assert.equal(checkNoise([quiet(0.02)], [], 1 / 12).pooled, "check");
});

Deno.test("varianceAt() is the mean of per-case variances over the number of cases", () => {
  const noise = {
    baseline: 0.04,
    candidate: 0.09,
    covariance: 0.01,
    df: 20,
    pooled: "check" as const,
  };
  // Two cases: (0.04/2 + 0.09/3 - 2*0.01*2/6) + (0.04/4 + 0.09/4 - 2*0.01*4/16), over 4.
  const v = varianceAt(noise, { nb: [2, 4], nc: [3, 4], shared: [2, 4] });
  close(v, ((0.02 + 0.03 - 0.04 / 6) + (0.01 + 0.0225 - 0.005)) / 4);
  // A relative delta (ratio 1.2 over a mean of 0.5): the delta method.
  const r = varianceAt(noise, { nb: [2], nc: [2], shared: [0] }, {
    ratio: 1.2,
    scale: 0.5,
  });
  close(r, (0.09 / 2 + 1.44 * 0.04 / 2) / 0.25);
});
