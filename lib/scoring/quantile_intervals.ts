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
  const sorted = Float64Array.from(cases.flat()).sort();
  if (sorted.length === 0) return quantiles.map(() => null);
  // Counts per distinct value (equal values are side by side in a sort;
  // only their number matters to a quantile), so a resample's pass is over
  // the distinct values, not every call.
  const distinct: number[] = [];
  const slot = new Map<number, number>();
  for (const v of sorted) {
    if (!slot.has(v)) {
      slot.set(v, distinct.length);
      distinct.push(v);
    }
  }
  const values = Float64Array.from(distinct);
  // Each case's value slots, flat: case i holds slots[offsets[i]..offsets[i+1]).
  const offsets = new Int32Array(cases.length + 1);
  cases.forEach((g, i) => (offsets[i + 1] = offsets[i]! + g.length));
  const slots = Int32Array.from(cases.flat(), (v) => slot.get(v)!);
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const random = options.random ?? mulberry32(options.seed ?? 1);
  const counts = new Int32Array(values.length);
  const draws = quantiles.map(() => new Float64Array(resamples));
  const byRank = quantiles.map((q, index) => ({ q, index })).sort((a, b) =>
    a.q - b.q
  );
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    let n = 0;
    for (let k = 0; k < cases.length; k++) {
      const c = Math.floor(random() * cases.length);
      const end = offsets[c + 1]!;
      for (let j = offsets[c]!; j < end; j++) counts[slots[j]!]!++;
      n += end - offsets[c]!;
    }
    readQuantiles(values, counts, n, byRank, draws, b);
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

/**
 * Reads every quantile of one resample in a single pass over the counts
 * (quantiles in ascending order), into `draws[q][b]`.
 */
function readQuantiles(
  values: Float64Array,
  counts: Int32Array,
  n: number,
  order: readonly { q: number; index: number }[],
  draws: Float64Array[],
  b: number,
): void {
  let k = 0;
  let seen = 0;
  let before = 0; // ranks below the current bin
  let previous = NaN; // the value of the previous non-empty bin
  for (let i = 0; i < counts.length && k < order.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    before = seen;
    seen += c; // ranks before .. seen - 1 hold values[i]
    const current = values[i]!;
    // A rank is in this bin or, when it is below `before`, in the previous
    // one: a quantile is read as soon as the rank after it is seen.
    while (k < order.length) {
      const h = (n - 1) * order[k]!.q;
      const lo = Math.floor(h);
      const frac = h - lo;
      if (lo >= seen || (frac !== 0 && lo + 1 >= seen)) break;
      const at = lo < before ? previous : current;
      draws[order[k]!.index]![b] = frac === 0
        ? at
        : at + frac * ((lo + 1 < before ? previous : current) - at);
      k++;
    }
    previous = current;
  }
}
