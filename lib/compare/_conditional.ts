/**
 * The verdict's inference, conditional on the cases: what a re-run would
 * change is which repetitions each case got, so the noise of a delta is the
 * repetition noise within its cases (Miller 2024, "Adding Error Bars to
 * Evals", arXiv:2411.00640: the conditional variance of a mean of case means is
 * the mean of the within-case variances over the repetitions, divided by
 * the number of cases).
 *
 * A check's delta is the mean over its cases of each case's candidate mean
 * minus its baseline mean. Conditional on the cases, its variance is
 * `sum_i v_i / K^2`, with, for case `i`,
 * `v_i = s2_b / n_b,i + s2_c / n_c,i - 2 cov m_i / (n_b,i n_c,i)`: each run's
 * per-repetition variance over its `n` repetitions, less the covariance of
 * the `m_i` repetitions both runs have under the same index (a provider
 * that keys its randomness by repetition, like the fake's common random
 * numbers, makes them covary; otherwise the covariance is about zero and
 * the pairing costs only degrees of freedom). The variances are pooled
 * over cases (sums of squared deviations over degrees of freedom), and
 * never taken below one pseudo-observation's worth of the variance of a
 * uniform draw over the measure's range, so that no check ever gets a
 * zero-width interval and a handful of repetitions that happened to agree
 * cannot claim more certainty than they hold.
 *
 * @module
 */
import { fUpperTail } from "./_distributions.ts";

/** Repetition values of one measure for one case in one run, in repetition order. */
export interface CaseValues {
  /** Repetition indices, ascending. */
  readonly repetitions: ArrayLike<number>;
  /** The values (NaN for a missing one). */
  readonly values: ArrayLike<number>;
}

/** One case's figures for one measure in both runs. */
export interface CaseStats {
  /** Values in the baseline. */
  readonly nb: number;
  /** Values in the candidate. */
  readonly nc: number;
  /** Repetition indices with a value in both runs. */
  readonly shared: number;
  /** Baseline mean. */
  readonly meanB: number;
  /** Candidate mean. */
  readonly meanC: number;
  /** Baseline sum of squared deviations. */
  readonly ssB: number;
  /** Candidate sum of squared deviations. */
  readonly ssC: number;
  /** Sum of cross products over the shared repetitions (around their own means). */
  readonly sp: number;
}

/** The per-repetition noise of a check, pooled over cases. */
export interface NoiseModel {
  /** The baseline's per-repetition variance. */
  readonly baseline: number;
  /** The candidate's per-repetition variance. */
  readonly candidate: number;
  /** Their covariance over repetitions shared by index. */
  readonly covariance: number;
  /** Degrees of freedom of the variance of a delta. */
  readonly df: number;
  /** Whether the noise was pooled over the check's own cases or over every case of the run. */
  readonly pooled: "check" | "run";
}

/** Repetition counts of a check's cases, for projecting its variance. */
export interface CaseCounts {
  /** Baseline values per case. */
  readonly nb: readonly number[];
  /** Candidate values per case. */
  readonly nc: readonly number[];
  /** Shared repetition indices per case. */
  readonly shared: readonly number[];
}

/** Summarizes one case of one measure in both runs. */
export function caseStats(base: CaseValues, cand: CaseValues): CaseStats {
  const b = moments(base.values);
  const c = moments(cand.values);
  // Repetitions both runs have, matched by index.
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < base.repetitions.length && j < cand.repetitions.length) {
    const ri = base.repetitions[i]!;
    const rj = cand.repetitions[j]!;
    if (ri < rj) i++;
    else if (rj < ri) j++;
    else {
      const x = base.values[i]!;
      const y = cand.values[j]!;
      if (x === x && y === y) pairs.push([x, y]);
      i++;
      j++;
    }
  }
  let sp = 0;
  if (pairs.length > 1) {
    let mx = 0;
    let my = 0;
    for (const [x, y] of pairs) {
      mx += x;
      my += y;
    }
    mx /= pairs.length;
    my /= pairs.length;
    for (const [x, y] of pairs) sp += (x - mx) * (y - my);
  }
  return {
    nb: b.n,
    nc: c.n,
    shared: pairs.length,
    meanB: b.mean,
    meanC: c.mean,
    ssB: b.ss,
    ssC: c.ss,
    sp,
  };
}

function moments(
  values: ArrayLike<number>,
): { n: number; mean: number; ss: number } {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) {
      n++;
      sum += v;
    }
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) ss += (v - mean) ** 2;
  }
  return { n, mean, ss };
}

/**
 * Pools the noise of cases: each run's variance is its sums of squared
 * deviations over its degrees of freedom, but never below `prior / (df +
 * 1)` (one pseudo-observation's worth of `prior`, the variance of a uniform
 * draw over the measure's range; `df` is `floorDf` when given, the
 * degrees of freedom of the whole run, else the cases' own); the
 * covariance is bounded so that the paired delta's variance keeps that
 * floor too.
 */
export function poolNoise(
  cases: readonly CaseStats[],
  prior: number,
  floorDf?: number,
): Omit<NoiseModel, "pooled"> {
  let ssB = 0;
  let ssC = 0;
  let sp = 0;
  let dfB = 0;
  let dfC = 0;
  let dfP = 0;
  let paired = true;
  for (const s of cases) {
    if (s.nb === 0 || s.nc === 0) continue;
    ssB += s.ssB;
    ssC += s.ssC;
    sp += s.sp;
    dfB += s.nb - 1;
    dfC += s.nc - 1;
    dfP += Math.max(0, s.shared - 1);
    if (s.shared !== s.nb || s.shared !== s.nc) paired = false;
  }
  // Without a repeated value and without a prior there is no estimate.
  const baseline = Math.max(
    dfB > 0 ? ssB / dfB : prior > 0 ? 0 : NaN,
    prior / ((floorDf ?? dfB) + 1),
  );
  const candidate = Math.max(
    dfC > 0 ? ssC / dfC : prior > 0 ? 0 : NaN,
    prior / ((floorDf ?? dfC) + 1),
  );
  const bound = Math.min(
    Math.sqrt(baseline * candidate),
    (baseline + candidate) / 2 - prior / ((floorDf ?? dfP) + 1),
  );
  const raw = dfP > 0 ? sp / dfP : 0;
  const covariance = Math.max(
    -Math.sqrt(baseline * candidate),
    Math.min(bound, raw),
  );
  return {
    baseline,
    candidate,
    covariance,
    df: paired ? dfP : dfB + dfC,
  };
}

/** The p-value below which a check's own noise is taken instead of the run's (one-sided F test). */
export const POOL_ALPHA = 0.05;

/**
 * The noise of a check over some of a run's cases: pooled over every case
 * of the run unless the check's own cases are noisier beyond doubt (an F
 * test of the per-repetition variance of the delta, own cases against the
 * others, one-sided at {@linkcode POOL_ALPHA}). A slice whose repetitions
 * vary no more than the rest's borrows the run's degrees of freedom; one
 * that varies more keeps its own, wider, figure.
 */
export function checkNoise(
  own: readonly CaseStats[],
  others: readonly CaseStats[],
  prior: number,
): NoiseModel {
  if (!others.some((s) => s.nb > 0 && s.nc > 0)) {
    return { ...poolNoise(own, prior), pooled: "check" };
  }
  const all = [...own, ...others];
  const run = poolNoise(all, prior);
  // The test reads the repetitions as measured: the floor is no evidence
  // that a check's cases are noisier.
  const a = rawDeltaVariance(own);
  const b = rawDeltaVariance(others);
  if (
    a.df > 0 && b.df > 0 && a.variance > 0 &&
    fUpperTail(
        b.variance > 0 ? a.variance / b.variance : Infinity,
        a.df,
        b.df,
      ) < POOL_ALPHA
  ) {
    // The floor is the run's: one pseudo-observation among all of them.
    const df = rawDeltaVariance(all).df;
    return { ...poolNoise(own, prior, df), pooled: "check" };
  }
  return { ...run, pooled: "run" };
}

/** The per-repetition variance of a delta over some cases, as measured (no floor), with its degrees of freedom. */
function rawDeltaVariance(
  cases: readonly CaseStats[],
): { variance: number; df: number } {
  const n = poolNoise(cases, 0);
  const variance = n.baseline + n.candidate - 2 * n.covariance;
  return {
    variance: Number.isFinite(variance) ? Math.max(0, variance) : 0,
    df: n.df,
  };
}

/**
 * The variance of a check's delta, conditional on its cases, at the given
 * repetition counts: `sum_i v_i / K^2` (see the module doc). For a
 * relative delta (cost growth) pass `ratio` (candidate over baseline mean)
 * and `scale` (the baseline mean): the delta method.
 */
export function varianceAt(
  noise: NoiseModel,
  counts: CaseCounts,
  relative?: { readonly ratio: number; readonly scale: number },
): number {
  const k = counts.nb.length;
  if (k === 0) return NaN;
  const r = relative?.ratio ?? 1;
  let total = 0;
  for (let i = 0; i < k; i++) {
    const nb = counts.nb[i]!;
    const nc = counts.nc[i]!;
    const m = counts.shared[i]!;
    const v = noise.candidate / nc + r * r * noise.baseline / nb -
      2 * r * noise.covariance * m / (nb * nc);
    total += Math.max(0, v);
  }
  const scale = relative ? relative.scale * relative.scale : 1;
  return total / (k * k) / scale;
}
