import { type BootstrapOptions, mulberry32 } from "./bootstrap.ts";

import type { QuantileInterval } from "../schema/scorecard.ts";

export type { QuantileInterval };

/**
 * Percentile bootstrap intervals of quantiles (e.g. latency p50 and p95)
 * of values grouped by case, resampling cases with replacement (each drawn
 * case brings all of its values), so the intervals speak about unseen
 * cases like these and repetitions of a case are not counted as
 * independent. A quantile is read as {@linkcode quantileSorted} reads it
 * (linear interpolation at rank `(n - 1) q`). Each resample counts how many
 * times each sorted value was drawn instead of sorting again, so a run of
 * 30,000 calls costs one pass over them per resample.
 *
 * @param groups The values of each case (cases with no value are skipped).
 * @param quantiles The quantiles, each in 0..1.
 * @param options Resamples, seed and confidence.
 * @returns One interval per quantile; `null` when there is no value.
 *
 * @example The median of three cases' latencies
 * ```ts
 * import { quantileIntervals } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const [median] = quantileIntervals([[100, 110], [200, 190], [150, 160]], [0.5]);
 * assert.ok(median!.low >= 100 && median!.high <= 200);
 * assert.ok(median!.low < 155 && median!.high > 155);
 * ```
 */
export function quantileIntervals(
  groups: readonly (readonly number[])[],
  quantiles: readonly number[],
  options: BootstrapOptions = {},
): (QuantileInterval | null)[] {
  const cases = groups.filter((g) => g.length > 0);
  const values = Float64Array.from(cases.flat()).sort();
  if (values.length === 0) return quantiles.map(() => null);
  // Each value's rank in the sorted list, per case.
  // Equal values share the first rank they hold, as a sort would put
  // them side by side: only their count matters to a quantile.
  const first = new Map<number, number>();
  values.forEach((v, i) => {
    if (!first.has(v)) first.set(v, i);
  });
  const ranks = cases.map((g) => Int32Array.from(g, (v) => first.get(v)!));
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const random = options.random ?? mulberry32(options.seed ?? 1);
  const counts = new Int32Array(values.length);
  const draws = quantiles.map(() => new Float64Array(resamples));
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    let n = 0;
    for (let k = 0; k < cases.length; k++) {
      const drawn = ranks[Math.floor(random() * cases.length)]!;
      for (const r of drawn) counts[r]!++;
      n += drawn.length;
    }
    quantiles.forEach((q, qi) => {
      const h = (n - 1) * q;
      const lo = Math.floor(h);
      draws[qi]![b] = interpolate(values, counts, lo, h - lo);
    });
  }
  return draws.map((d) => {
    d.sort();
    const at = (p: number) => {
      const h = (d.length - 1) * p;
      const lo = Math.floor(h);
      const hi = Math.min(d.length - 1, lo + 1);
      return d[lo]! + (h - lo) * (d[hi]! - d[lo]!);
    };
    return {
      low: at((1 - confidence) / 2),
      high: at((1 + confidence) / 2),
    };
  });
}

/** The value at rank `lo` (plus `frac` of the way to rank `lo + 1`) of the resample the counts describe. */
function interpolate(
  values: Float64Array,
  counts: Int32Array,
  lo: number,
  frac: number,
): number {
  let seen = 0;
  let low = NaN;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    seen += c; // ranks seen - c .. seen - 1 hold values[i]
    if (low !== low && lo < seen) {
      low = values[i]!;
      if (frac === 0) return low;
    }
    if (lo + 1 < seen) return low + frac * (values[i]! - low);
  }
  return low;
}
