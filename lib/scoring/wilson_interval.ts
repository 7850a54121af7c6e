import jStat from "jstat";

import type { RateInterval } from "../schema/scorecard.ts";

export type { RateInterval };

/**
 * The Wilson score interval of a proportion `rate` observed over `cases`
 * independent units: never outside 0..1, and never of zero width at a rate
 * of 0 or 1 (unlike a bootstrap or the normal approximation). A run's
 * cells are repetitions nested in cases, which are not independent of one
 * another, so `cases` is the number of cases and `rate` the share of cells:
 * the variance of a case's share is at most `rate (1 - rate)`, so the
 * interval is at least as wide as the data allow. It speaks about unseen
 * cases drawn like these.
 *
 * @param rate The observed proportion (0..1).
 * @param cases The number of independent units behind it.
 * @param confidence The coverage. @default {0.95}
 * @returns The interval; `null` when there is no case.
 * @throws {RangeError} If the rate is outside 0..1 or the confidence outside (0, 1).
 *
 * @example No failure in 10 cases still leaves room for some
 * ```ts
 * import { wilsonInterval } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const none = wilsonInterval(0, 10);
 * assert.equal(none?.low, 0);
 * assert.ok(none!.high > 0.27 && none!.high < 0.28);
 * assert.equal(wilsonInterval(0.5, 0), null);
 * ```
 */
export function wilsonInterval(
  rate: number,
  cases: number,
  confidence = 0.95,
): RateInterval | null {
  if (!(rate >= 0 && rate <= 1)) {
    throw new RangeError(
      `Cannot compute a Wilson interval as the rate must be between 0 and 1: current value is ${rate}`,
    );
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(
      `Cannot compute a Wilson interval as the confidence must be between 0 and 1: current value is ${confidence}`,
    );
  }
  if (cases <= 0) return null;
  const z = jStat.normal.inv(1 - (1 - confidence) / 2, 0, 1) as number;
  const z2 = z * z;
  const center = (rate + z2 / (2 * cases)) / (1 + z2 / cases);
  const half = (z / (1 + z2 / cases)) *
    Math.sqrt(rate * (1 - rate) / cases + z2 / (4 * cases * cases));
  // Rounded outwards to 6 decimals: never narrower than computed.
  return {
    low: rate === 0 ? 0 : Math.max(0, Math.floor((center - half) * 1e6) / 1e6),
    high: rate === 1 ? 1 : Math.min(1, Math.ceil((center + half) * 1e6) / 1e6),
    cases,
  };
}
