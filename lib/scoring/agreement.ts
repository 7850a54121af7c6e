/**
 * Agreement statistics between two raters scoring the same items on the 1-5
 * rubric scale (a judge and a person, or two judges): Spearman's rho,
 * Kendall's tau-b, quadratic-weighted Cohen's kappa, the mean bias and the
 * 5x5 confusion table, with seeded bootstrap intervals for the rank
 * correlations. Formulas in docs/calibration.md.
 *
 * @module
 */
import { sampleRankCorrelation } from "simple-statistics";
import type { Interval } from "../schema/scorecard.ts";
import { mulberry32, percentileInterval } from "./bootstrap.ts";

/** The rubric scale the confusion table spans. */
const SCALE = [1, 2, 3, 4, 5] as const;

/**
 * Spearman's rank correlation: Pearson's correlation of the average ranks,
 * so ties are handled exactly (simple-statistics' `sampleRankCorrelation`).
 *
 * @param x The first rater's scores.
 * @param y The second rater's scores, item for item.
 * @returns rho in [-1, 1]; `NaN` with fewer than 2 items or when either rater gives one value only.
 * @throws {RangeError} If the two lists differ in length.
 *
 * @example Ties take their average rank
 * ```ts
 * import { spearmanRho } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const rho = spearmanRho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]);
 * assert.ok(Math.abs(rho - 0.8207826816681233) < 1e-12);
 * ```
 */
export function spearmanRho(
  x: readonly number[],
  y: readonly number[],
): number {
  sameLength(x, y);
  if (x.length < 2 || constant(x) || constant(y)) return NaN;
  return sampleRankCorrelation([...x], [...y]);
}

/**
 * Kendall's tau-b: (concordant - discordant) pairs over
 * `sqrt((n0 - n1) (n0 - n2))`, where `n0 = n (n - 1) / 2` and `n1`, `n2`
 * count the pairs tied in each rater. Pairs tied in either rater count as
 * neither concordant nor discordant.
 *
 * @param x The first rater's scores.
 * @param y The second rater's scores, item for item.
 * @returns tau-b in [-1, 1]; `NaN` with fewer than 2 items or when either rater gives one value only.
 * @throws {RangeError} If the two lists differ in length.
 *
 * @example SciPy's example, with ties
 * ```ts
 * import { kendallTauB } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const tau = kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]);
 * assert.ok(Math.abs(tau - -0.47140452079103173) < 1e-12);
 * ```
 */
export function kendallTauB(
  x: readonly number[],
  y: readonly number[],
): number {
  sameLength(x, y);
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      if (dx === 0 || dy === 0) continue;
      if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((n0 - tiesX) * (n0 - tiesY));
  return denominator === 0 ? NaN : (concordant - discordant) / denominator;
}

/**
 * Cohen's kappa with quadratic weights on the 1-5 scale:
 * `1 - sum(w * observed) / sum(w * expected)` with disagreement weights
 * `w = (i - j)^2`, observed the joint proportions and expected the product
 * of the two raters' marginal proportions. 1 is perfect agreement, 0 is
 * what chance gives, below 0 worse than chance.
 *
 * @param x The first rater's scores (integers 1-5).
 * @param y The second rater's scores, item for item.
 * @returns kappa; `NaN` with no item, or when chance already explains all agreement (both raters give one and the same value).
 * @throws {RangeError} If the lists differ in length or hold a score outside 1-5.
 *
 * @example Worked by hand in docs/calibration.md
 * ```ts
 * import { weightedKappa } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Math.abs(weightedKappa([1, 2, 3], [1, 2, 4]) - 6 / 7) < 1e-12);
 * ```
 */
export function weightedKappa(
  x: readonly number[],
  y: readonly number[],
): number {
  const table = confusionMatrix(x, y);
  const n = x.length;
  if (n === 0) return NaN;
  const rows = table.map((row) => row.reduce((a, b) => a + b, 0));
  const cols = SCALE.map((_, j) => table.reduce((a, row) => a + row[j]!, 0));
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < SCALE.length; i++) {
    for (let j = 0; j < SCALE.length; j++) {
      const w = (i - j) ** 2;
      observed += (w * table[i]![j]!) / n;
      expected += (w * rows[i]! * cols[j]!) / (n * n);
    }
  }
  return expected === 0 ? NaN : 1 - observed / expected;
}

/**
 * The 5x5 confusion table of two raters on the 1-5 scale: `table[i][j]`
 * counts the items the first rater scored `i + 1` and the second `j + 1`.
 *
 * @param x The first rater's scores (rows).
 * @param y The second rater's scores (columns), item for item.
 * @returns Five rows of five counts.
 * @throws {RangeError} If the lists differ in length or hold a score outside 1-5.
 *
 * @example Two items
 * ```ts
 * import { confusionMatrix } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const table = confusionMatrix([5, 2], [4, 2]);
 * assert.equal(table[4]![3], 1);
 * assert.equal(table[1]![1], 1);
 * ```
 */
export function confusionMatrix(
  x: readonly number[],
  y: readonly number[],
): number[][] {
  sameLength(x, y);
  const table = SCALE.map(() => SCALE.map(() => 0));
  x.forEach((a, k) => {
    const b = y[k]!;
    for (const v of [a, b]) {
      if (!Number.isInteger(v) || v < 1 || v > 5) {
        throw new RangeError(
          `Cannot tabulate the score ${v} as scores must be integers from 1 to 5`,
        );
      }
    }
    table[a - 1]![b - 1]!++;
  });
  return table;
}

/** Options for {@linkcode agreement}. */
export interface AgreementOptions {
  /** The bootstrap seed (mulberry32). @default {1} */
  seed?: number;
  /** Bootstrap resamples. @default {1000} */
  resamples?: number;
  /** The intervals' coverage. @default {0.95} */
  confidence?: number;
}

/** How a rater leans against the reference: mean bias above 0.25, below -0.25, or in between. */
export type Leaning = "lenient" | "strict" | "neutral";

/** Every agreement figure of one dimension (rater = judge, reference = person). */
export interface AgreementSummary {
  /** Items scored by both. */
  readonly n: number;
  /** Spearman's rho with its bootstrap interval; `null` when undefined (fewer than 2 items, a constant rater). */
  readonly spearman: Interval | null;
  /** Kendall's tau-b with its bootstrap interval; `null` when undefined. */
  readonly "kendall_tau_b": Interval | null;
  /** Quadratic-weighted Cohen's kappa; `null` when undefined. */
  readonly "weighted_kappa": number | null;
  /** Mean of rater minus reference; `null` with no item. */
  readonly bias: number | null;
  /** Lenient (scores higher than the reference), strict (lower) or neutral. */
  readonly leaning: Leaning;
  /** Share of items with the same score. */
  readonly exact: number | null;
  /** Rows: the reference's score 1-5; columns: the rater's score 1-5. */
  readonly confusion: number[][];
}

/**
 * Every agreement figure between a rater (e.g. the judge) and a reference
 * (e.g. a person) on the same items: Spearman's rho and Kendall's tau-b
 * with percentile bootstrap intervals (items resampled with replacement,
 * seeded mulberry32), quadratic-weighted kappa, mean bias (rater minus
 * reference), share of exact agreement and the confusion table. Figures
 * are rounded to 6 decimals, so the same scores and seed give the same text.
 *
 * @param rater The rater's scores (integers 1-5).
 * @param reference The reference's scores, item for item.
 * @param options Seed, resamples and coverage.
 * @returns The summary.
 * @throws {RangeError} If the lists differ in length or hold a score outside 1-5.
 *
 * @example A judge one point too lenient
 * ```ts
 * import { agreement } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const human = [1, 2, 3, 4, 2, 3];
 * const judge = human.map((s) => s + 1);
 * const summary = agreement(judge, human, { resamples: 200 });
 * assert.equal(summary.spearman?.estimate, 1);
 * assert.equal(summary.bias, 1);
 * assert.equal(summary.leaning, "lenient");
 * ```
 */
export function agreement(
  rater: readonly number[],
  reference: readonly number[],
  options: AgreementOptions = {},
): AgreementSummary {
  const confusion = confusionMatrix(reference, rater);
  const n = rater.length;
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const random = mulberry32(options.seed ?? 1);
  const rhoDist = new Float64Array(resamples);
  const tauDist = new Float64Array(resamples);
  const a = new Array<number>(n);
  const b = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let k = 0; k < n; k++) {
      const pick = Math.floor(random() * n);
      a[k] = rater[pick]!;
      b[k] = reference[pick]!;
    }
    rhoDist[r] = spearmanRho(a, b);
    tauDist[r] = kendallTauB(a, b);
  }
  const withInterval = (estimate: number, dist: Float64Array) => {
    if (!(estimate === estimate)) return null;
    const { low, high } = percentileInterval(dist, confidence);
    return {
      estimate: round(estimate),
      low: round(low === low ? low : estimate),
      high: round(high === high ? high : estimate),
    };
  };
  const bias = n === 0
    ? null
    : round(rater.reduce((s, v, k) => s + v - reference[k]!, 0) / n);
  const kappa = weightedKappa(reference, rater);
  return {
    n,
    spearman: withInterval(spearmanRho(rater, reference), rhoDist),
    "kendall_tau_b": withInterval(kendallTauB(rater, reference), tauDist),
    "weighted_kappa": kappa === kappa ? round(kappa) : null,
    bias,
    leaning: bias === null || Math.abs(bias) <= 0.25
      ? "neutral"
      : bias > 0
      ? "lenient"
      : "strict",
    exact: n === 0
      ? null
      : round(rater.filter((v, k) => v === reference[k]).length / n),
    confusion,
  };
}

function sameLength(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) {
    throw new RangeError(
      `Cannot compare raters as they scored ${x.length} and ${y.length} items: the lists must pair item for item`,
    );
  }
}

function constant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
