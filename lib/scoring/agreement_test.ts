import assert from "node:assert/strict";
import {
  agreement,
  confusionMatrix,
  kendallTauB,
  spearmanRho,
  weightedKappa,
} from "./agreement.ts";

function close(actual: number, expected: number, eps = 1e-12): void {
  assert.ok(
    Math.abs(actual - expected) < eps,
    `expected ${expected}, got ${actual}`,
  );
}

Deno.test("spearmanRho() matches 1 - 6 sum d^2 / n(n^2 - 1) without ties", () => {
  // d = -1, 1, -1, 1, 0: sum d^2 = 4, rho = 1 - 24 / 120.
  close(spearmanRho([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8);
  close(spearmanRho([1, 2, 3], [3, 2, 1]), -1);
});

Deno.test("spearmanRho() gives tied scores their average rank", () => {
  // Ranks x: 1, 2.5, 2.5, 4; y: 1, 4, 2.5, 2.5. Deviations -1.5,0,0,1.5 and
  // -1.5,1.5,0,0: covariance 2.25 over variance 4.5 = 0.5.
  close(spearmanRho([1, 2, 2, 3], [1, 3, 2, 2]), 0.5);
  // SciPy's spearmanr documentation example.
  close(spearmanRho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 0.8207826816681233);
});

Deno.test("spearmanRho() is NaN for a constant rater or one item", () => {
  assert.ok(Number.isNaN(spearmanRho([3, 3, 3], [1, 2, 3])));
  assert.ok(Number.isNaN(spearmanRho([3], [1])));
  assert.throws(() => spearmanRho([1, 2], [1]), RangeError);
});

Deno.test("kendallTauB() counts concordant and discordant pairs", () => {
  // Pairs (1,2) and (3,4) are discordant, the other 8 concordant: 6 / 10.
  close(kendallTauB([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.6);
  close(kendallTauB([1, 2, 3], [3, 2, 1]), -1);
});

Deno.test("kendallTauB() corrects for ties in each rater", () => {
  // C = 3, D = 1, n0 = 6, one pair tied in x, one in y: 2 / sqrt(5 * 5).
  close(kendallTauB([1, 2, 2, 3], [1, 3, 2, 2]), 0.4);
  // SciPy's kendalltau documentation example.
  close(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]), -0.47140452079103173);
  assert.ok(Number.isNaN(kendallTauB([2, 2], [1, 5])));
});

Deno.test("weightedKappa() uses quadratic disagreement weights", () => {
  // Observed mean (i-j)^2 = 1/3; expected = 21/9; kappa = 1 - (1/3)/(7/3).
  close(weightedKappa([1, 2, 3], [1, 2, 4]), 6 / 7);
  // Opposite raters: observed 16, expected 8.
  close(weightedKappa([1, 5], [5, 1]), -1);
  close(weightedKappa([1, 3, 5, 2], [1, 3, 5, 2]), 1);
  // Both constant and equal: chance explains everything.
  assert.ok(Number.isNaN(weightedKappa([4, 4], [4, 4])));
  assert.ok(Number.isNaN(weightedKappa([], [])));
});

Deno.test("weightedKappa() with ties in both raters", () => {
  // x = 1,1,2,3  y = 1,2,2,2. Observed d: 0,1,0,1 -> 0.5.
  // Marginals x {1: .5, 2: .25, 3: .25}, y {1: .25, 2: .75}.
  // Expected d = .5*.25*0 + .5*.75*1 + .25*.25*1 + .25*.75*0
  //            + .25*.25*4 + .25*.75*1 = .375 + .0625 + .25 + .1875 = .875.
  close(weightedKappa([1, 1, 2, 3], [1, 2, 2, 2]), 1 - 0.5 / 0.875);
});

Deno.test("confusionMatrix() counts rows by the first rater and refuses off-scale scores", () => {
  const table = confusionMatrix([1, 1, 5], [2, 2, 5]);
  assert.equal(table[0]![1], 2);
  assert.equal(table[4]![4], 1);
  assert.equal(table.flat().reduce((a, b) => a + b, 0), 3);
  assert.throws(() => confusionMatrix([0], [1]), RangeError);
  assert.throws(() => confusionMatrix([2.5], [1]), RangeError);
});

Deno.test("agreement() gives every figure, seeded intervals and the leaning", () => {
  const human = [1, 2, 2, 3, 4, 5, 3, 4, 1, 5];
  const judge = [1, 1, 2, 2, 3, 4, 3, 3, 1, 4];
  const a = agreement(judge, human, { seed: 5, resamples: 300 });
  const b = agreement(judge, human, { seed: 5, resamples: 300 });
  assert.deepEqual(a, b);
  assert.equal(a.n, 10);
  close(
    a.spearman!.estimate,
    Math.round(spearmanRho(judge, human) * 1e6) / 1e6,
  );
  close(
    a.kendall_tau_b!.estimate,
    Math.round(kendallTauB(judge, human) * 1e6) / 1e6,
  );
  assert.ok(a.spearman!.low <= a.spearman!.estimate);
  assert.ok(a.spearman!.estimate <= a.spearman!.high);
  assert.ok(a.kendall_tau_b!.low <= a.kendall_tau_b!.high);
  assert.equal(a.bias, -0.6);
  assert.equal(a.leaning, "strict");
  assert.equal(a.exact, 0.4);
  // Rows are the human's scores, columns the judge's.
  assert.equal(a.confusion[4]![3], 2);
  const other = agreement(judge, human, { seed: 6, resamples: 300 });
  assert.notDeepEqual(other.spearman, a.spearman);
});

Deno.test("agreement() reports undefined figures as null", () => {
  const a = agreement([3, 3, 3], [1, 2, 3], { resamples: 10 });
  assert.equal(a.spearman, null);
  assert.equal(a.kendall_tau_b, null);
  assert.equal(a.bias, 1);
  const empty = agreement([], [], { resamples: 10 });
  assert.equal(empty.n, 0);
  assert.equal(empty.bias, null);
  assert.equal(empty.weighted_kappa, null);
  assert.equal(empty.leaning, "neutral");
});
