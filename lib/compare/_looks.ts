/**
 * The looks of a verdict: what each look saw, and the critical value a
 * check is read at by the current one (see `_sequential.ts`).
 *
 * @module
 */
import { varianceAt } from "./_conditional.ts";
import type { Measured } from "./_measure.ts";
import { lookCritical } from "./_sequential.ts";

/** Repetitions of each case in both runs, as a look saw them. */
export type LookCounts = ReadonlyMap<
  string,
  { readonly nb: number; readonly nc: number; readonly shared: number }
>;

const cache = new Map<string, number>();

/**
 * The critical value (z scale) a check is read at by the latest look in
 * `history`: its information at each look is the inverse of its variance
 * under today's noise estimate at that look's repetition counts, so the
 * looks' correlations follow from the repetitions added in between. A
 * verdict that is not settled has one look with all of alpha.
 */
export function checkCritical(
  m: Measured,
  history: readonly LookCounts[],
  alpha: number,
  settled: boolean,
): number {
  const c = m.conditional;
  if (!settled || !c || history.length <= 1) {
    return lookCritical([1], alpha, settled);
  }
  const information = history.map((counts) => {
    const at = {
      nb: c.case_keys.map((k) => counts.get(k)?.nb ?? 0),
      nc: c.case_keys.map((k) => counts.get(k)?.nc ?? 0),
      shared: c.case_keys.map((k) => counts.get(k)?.shared ?? 0),
    };
    return 1 / varianceAt(c.noise, at, c.relative);
  });
  // Information never falls between looks (repetitions are only added).
  for (let k = 1; k < information.length; k++) {
    information[k] = Math.max(information[k]!, information[k - 1]!);
  }
  const last = information.at(-1)!;
  const key = `${alpha}|${
    information.map((i) => (i / last).toFixed(3)).join(",")
  }`;
  let critical = cache.get(key);
  if (critical === undefined) {
    critical = lookCritical(
      information.map((i) => Math.round(i / last * 1000) / 1000),
      alpha,
      true,
    );
    if (cache.size > 10_000) cache.clear();
    cache.set(key, critical);
  }
  return critical;
}
