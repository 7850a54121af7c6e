/**
 * The seeded case (cluster) bootstrap behind every confidence interval:
 * cases are resampled with replacement and each drawn case brings all its
 * repetitions with it (repetitions nested in their case). Resampling the
 * repetitions again inside each case would count repetition noise twice:
 * the spread of case means already contains it, so the two-stage version
 * gives intervals about 30% too wide at 3 repetitions.
 *
 * @module
 */
import type { Interval } from "../schema/scorecard.ts";

export type { Interval };

/** Options for the bootstrap functions. */
export interface BootstrapOptions {
  /** How many resamples to draw. @default {1000} */
  resamples?: number;
  /** The seed of the mulberry32 generator: the same seed gives the same intervals. @default {1} */
  seed?: number;
  /** The interval's coverage. @default {0.95} */
  confidence?: number;
  /** A source of uniform numbers in [0, 1) instead of the seeded generator (for tests). */
  random?: () => number;
}

/**
 * Repetition values of one or more measures, nested in cases, in flat typed
 * arrays. Case `i`'s repetitions are the positions `offsets[i]` up to (not
 * including) `offsets[i + 1]` of every array in `measures`. `NaN` marks a
 * missing value (e.g. a repetition the judge could not score).
 */
export interface NestedSample {
  /** Length: number of cases + 1; `offsets[0]` is 0. */
  readonly offsets: Int32Array;
  /** One array per measure, each as long as the last offset. */
  readonly measures: readonly Float64Array[];
}

/**
 * Builds a {@linkcode NestedSample} from nested arrays:
 * `measures[m][i][j]` is measure `m` of repetition `j` of case `i`.
 * `NaN` marks a missing value.
 *
 * @param measures One entry per measure, each a list of cases, each a list of repetition values.
 * @returns The sample in typed arrays.
 * @throws {RangeError} If the measures do not all have the same cases and repetitions.
 *
 * @example Two measures of three cases
 * ```ts
 * import { nestedMean, nestedSample } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const sample = nestedSample([
 *   [[1, 0], [1], [0.5, 0.5]],
 *   [[5, 4], [3], [NaN, 2]],
 * ]);
 * assert.deepEqual([...sample.offsets], [0, 2, 3, 5]);
 * assert.equal(nestedMean(sample, 0), 2 / 3);
 * assert.equal(nestedMean(sample, 1), (4.5 + 3 + 2) / 3);
 * ```
 */
export function nestedSample(
  measures: readonly (readonly (readonly number[])[])[],
): NestedSample {
  const first = measures[0] ?? [];
  const offsets = new Int32Array(first.length + 1);
  for (let i = 0; i < first.length; i++) {
    offsets[i + 1] = offsets[i]! + first[i]!.length;
  }
  const total = offsets[first.length]!;
  const arrays = measures.map((cases, m) => {
    if (cases.length !== first.length) {
      throw new RangeError(
        `Cannot build a nested sample as measure ${m} has ${cases.length} cases: expected ${first.length}`,
      );
    }
    const values = new Float64Array(total);
    cases.forEach((reps, i) => {
      if (reps.length !== first[i]!.length) {
        throw new RangeError(
          `Cannot build a nested sample as measure ${m} has ${reps.length} repetitions for case ${i}: expected ${
            first[i]!.length
          }`,
        );
      }
      values.set(reps, offsets[i]!);
    });
    return values;
  });
  return { offsets, measures: arrays };
}

/**
 * The statistic every interval is about: the mean over cases of each case's
 * mean over its repetitions (missing values skipped; a case with none is
 * left out). Each case weighs the same however many repetitions it has.
 *
 * @param sample The nested sample.
 * @param measure Which measure. @default {0}
 * @returns The mean of case means, `NaN` when no case has a value.
 *
 * @example Each case weighs the same
 * ```ts
 * import { nestedMean, nestedSample } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nestedMean(nestedSample([[[0, 0, 0], [1]]])), 0.5);
 * ```
 */
export function nestedMean(sample: NestedSample, measure = 0): number {
  const values = sample.measures[measure];
  if (!values) return NaN;
  let total = 0;
  let cases = 0;
  for (let i = 0; i + 1 < sample.offsets.length; i++) {
    let sum = 0;
    let n = 0;
    for (let j = sample.offsets[i]!; j < sample.offsets[i + 1]!; j++) {
      const v = values[j]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    if (n > 0) {
      total += sum / n;
      cases++;
    }
  }
  return cases === 0 ? NaN : total / cases;
}

/**
 * The mulberry32 generator: a fast, seeded source of uniform numbers in
 * [0, 1). The same seed gives the same sequence.
 *
 * @param seed Any integer.
 * @returns The generator.
 *
 * @example Same seed, same numbers
 * ```ts
 * import { mulberry32 } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const a = mulberry32(42);
 * const b = mulberry32(42);
 * assert.equal(a(), b());
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The bootstrap distributions of {@linkcode nestedMean} for several samples
 * over the same cases (case `i` of every sample is the same case), resampled
 * together: each resample draws one list of cases shared by every sample
 * (so differences between samples are paired), and each drawn case brings
 * its mean over its repetitions (missing values skipped). Repetitions are
 * not redrawn: their noise is already in the spread of case means.
 *
 * The order of draws is fixed, so a scripted `random` gives hand-computable
 * results: per resample, one draw per case, index `floor(u * cases)`.
 *
 * @param samples Samples with the same number of cases.
 * @param options Resamples, seed or random source.
 * @returns `result[s][m]` is the distribution (one value per resample) of
 *   measure `m` of sample `s`; `NaN` where a resample had no value.
 * @throws {RangeError} If the samples have different numbers of cases, or resamples is not a positive integer.
 *
 * @example A paired difference
 * ```ts
 * import { bootstrapNested, nestedSample, percentileInterval } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const baseline = nestedSample([[[0.5, 0.6], [0.7, 0.7], [0.2, 0.3]]]);
 * const candidate = nestedSample([[[0.6, 0.7], [0.8, 0.8], [0.3, 0.4]]]);
 * const [base, cand] = bootstrapNested([baseline, candidate], { seed: 7 });
 * const b = base![0]!;
 * const c = cand![0]!;
 * const delta = b.map((x, i) => c[i]! - x);
 * const { low, high } = percentileInterval(delta);
 * assert.ok(low > 0 && high < 0.2);
 * ```
 */
export function bootstrapNested(
  samples: readonly NestedSample[],
  options: BootstrapOptions = {},
): Float64Array[][] {
  const resamples = options.resamples ?? 1000;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(
      `Cannot bootstrap as resamples must be a positive integer: current value is ${resamples}`,
    );
  }
  const cases = samples.length === 0 ? 0 : samples[0]!.offsets.length - 1;
  for (const sample of samples) {
    if (sample.offsets.length - 1 !== cases) {
      throw new RangeError(
        `Cannot bootstrap samples of different sizes: ${
          sample.offsets.length - 1
        } cases, expected ${cases}`,
      );
    }
  }
  const draw = drawer(options, cases);
  const out = samples.map((s) =>
    s.measures.map(() => new Float64Array(resamples))
  );
  const columns = samples.flatMap((sample, s) =>
    caseMeans(sample).map((column, q) => ({ ...column, dist: out[s]![q]! }))
  );
  const drawn = new Int32Array(cases);

  for (let b = 0; b < resamples; b++) {
    draw(drawn);
    for (const { values, complete, dist } of columns) {
      // Each mean sums the drawn cases in draw order, as a plain loop would.
      let total = 0;
      if (complete) {
        for (let k = 0; k < cases; k++) total += values[drawn[k]!]!;
        dist[b] = cases > 0 ? total / cases : NaN;
      } else {
        let contributing = 0;
        for (let k = 0; k < cases; k++) {
          const v = values[drawn[k]!]!;
          if (v === v) {
            total += v;
            contributing++;
          }
        }
        dist[b] = contributing > 0 ? total / contributing : NaN;
      }
    }
  }
  return out;
}

/**
 * Each case's mean of each measure over its repetitions (NaN when every
 * repetition is missing), one array per measure, and whether every case
 * has a mean (`complete`: no NaN to skip).
 */
function caseMeans(
  { offsets, measures }: NestedSample,
): { values: Float64Array; complete: boolean }[] {
  const cases = offsets.length - 1;
  return measures.map((column) => {
    const values = new Float64Array(cases);
    let complete = true;
    for (let i = 0; i < cases; i++) {
      let sum = 0;
      let count = 0;
      for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
        const v = column[j]!;
        if (v === v) {
          sum += v;
          count++;
        }
      }
      values[i] = count > 0 ? sum / count : NaN;
      if (count === 0) complete = false;
    }
    return { values, complete };
  });
}

/**
 * A function that fills its argument with one resample's case draws,
 * `floor(u * cases)` for successive uniform numbers `u`: from the given
 * `random`, or from mulberry32 inline (a tight loop, much faster than a
 * call per number; the sequence is the same as {@linkcode mulberry32}'s).
 */
function drawer(
  options: BootstrapOptions,
  cases: number,
): (drawn: Int32Array) => void {
  const random = options.random;
  if (random) {
    return (drawn) => {
      for (let k = 0; k < drawn.length; k++) {
        drawn[k] = Math.floor(random() * cases);
      }
    };
  }
  let state = (options.seed ?? 1) >>> 0;
  return (drawn) => {
    for (let k = 0; k < drawn.length; k++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      drawn[k] = Math.floor(((t ^ (t >>> 14)) >>> 0) / 4294967296 * cases);
    }
  };
}

/**
 * The percentile interval of a bootstrap distribution: its
 * `(1 - confidence) / 2` and `(1 + confidence) / 2` quantiles, linearly
 * interpolated between order statistics (NaN values ignored).
 *
 * @param distribution The bootstrap values.
 * @param confidence The coverage. @default {0.95}
 * @returns The bounds; both `NaN` when the distribution has no value.
 *
 * @example The middle half of 0..40
 * ```ts
 * import { percentileInterval } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const values = Float64Array.from({ length: 41 }, (_, i) => i);
 * assert.deepEqual(percentileInterval(values, 0.5), { low: 10, high: 30 });
 * ```
 */
export function percentileInterval(
  distribution: ArrayLike<number>,
  confidence = 0.95,
): { low: number; high: number } {
  const sorted = Float64Array.from(
    Array.prototype.filter.call(
      distribution,
      (v: number) => v === v,
    ) as number[],
  ).sort();
  const alpha = (1 - confidence) / 2;
  return {
    low: quantileSorted(sorted, alpha),
    high: quantileSorted(sorted, 1 - alpha),
  };
}

/**
 * The p-quantile of sorted values, linearly interpolated between the two
 * nearest ranks.
 *
 * @param sorted Values in ascending order.
 * @param p The quantile, from 0 to 1.
 * @returns The quantile; `NaN` when there is no value.
 *
 * @example Median and quartiles
 * ```ts
 * import { quantileSorted } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const sorted = [1, 2, 3, 4];
 * assert.equal(quantileSorted(sorted, 0.5), 2.5);
 * assert.equal(quantileSorted(sorted, 0.25), 1.75);
 * assert.equal(quantileSorted(sorted, 1), 4);
 * assert.ok(Number.isNaN(quantileSorted([], 0.5)));
 * ```
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * The point estimate and percentile bootstrap interval of every measure of
 * one sample (see {@linkcode bootstrapNested} and {@linkcode nestedMean}).
 *
 * @param sample The nested sample.
 * @param options Resamples, seed, confidence.
 * @returns One interval per measure.
 *
 * @example An interval around a mean
 * ```ts
 * import { bootstrapIntervals, nestedSample } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const sample = nestedSample([[[0.2, 0.4], [0.6, 0.6], [0.9, 0.7], [0.5, 0.3]]]);
 * const [score] = bootstrapIntervals(sample, { seed: 3 });
 * assert.equal(score!.estimate, 0.525);
 * assert.ok(score!.low <= 0.525 && 0.525 <= score!.high);
 * ```
 */
export function bootstrapIntervals(
  sample: NestedSample,
  options: BootstrapOptions = {},
): Interval[] {
  const [distributions = []] = bootstrapNested([sample], options);
  return distributions.map((distribution, m) => ({
    estimate: nestedMean(sample, m),
    ...percentileInterval(distribution, options.confidence),
  }));
}
