/**
 * The few distribution functions the verdict's inference needs, typed, over
 * jStat (npm `jstat`): the standard normal's density, distribution and
 * quantile functions, Student's t quantile and the F distribution's upper
 * tail.
 *
 * @module
 */
import jStat from "jstat";

/** The standard normal density at `x`. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** The standard normal distribution function: P(Z <= x). */
export function normalCdf(x: number): number {
  return jStat.normal.cdf(x, 0, 1) as number;
}

/** The standard normal quantile: the x with P(Z <= x) = p. */
export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1) as number;
}

/** Student's t quantile with `df` degrees of freedom (the normal's when `df` is infinite). */
export function tQuantile(p: number, df: number): number {
  if (!Number.isFinite(df)) return normalQuantile(p);
  return jStat.studentt.inv(p, df) as number;
}

/** The F distribution's upper tail: P(F(df1, df2) > x). */
export function fUpperTail(x: number, df1: number, df2: number): number {
  if (!(x > 0)) return 1;
  if (!Number.isFinite(x)) return 0;
  return 1 - (jStat.centralF.cdf(x, df1, df2) as number);
}
