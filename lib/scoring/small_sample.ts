/**
 * Cases a case-resampled (bootstrap) interval needs: a slice, or any set of
 * cases, with fewer gets no such interval, and a verdict limit resting on
 * fewer cases carries a warning. With 4 cases a bootstrap can draw only 35
 * distinct resamples and its percentile interval is too narrow (with 1 case
 * it has zero width); from 5 cases (126 distinct resamples) it is usable,
 * though still optimistic.
 *
 * @example A 3-case slice gets no interval about unseen cases
 * ```ts
 * import { MIN_CASES_FOR_INTERVAL } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MIN_CASES_FOR_INTERVAL, 5);
 * assert.ok(3 < MIN_CASES_FOR_INTERVAL);
 * ```
 */
export const MIN_CASES_FOR_INTERVAL = 5;
