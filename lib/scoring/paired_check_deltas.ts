import type { CellResult } from "../schema/result.ts";
import {
  bootstrapNested,
  type BootstrapOptions,
  nestedMean,
  nestedSample,
  percentileInterval,
} from "./bootstrap.ts";
import { MIN_CASES_FOR_INTERVAL } from "./small_sample.ts";

/** One check's pass rate in two runs and the paired difference. */
export interface PairedCheckDelta {
  /** The check key. */
  readonly check: string;
  /** The baseline's pass rate over the shared cases (mean of case shares). */
  readonly baseline: number;
  /** The candidate's pass rate over the shared cases. */
  readonly candidate: number;
  /** candidate - baseline. */
  readonly delta: number;
  /** The delta's 95% interval: cases drawn once for both runs (paired); null with fewer than 5 shared cases, or when every case moved alike. */
  readonly low: number | null;
  /** The upper bound; null with fewer than 5 shared cases. */
  readonly high: number | null;
  /** Cases both runs ran the check on. */
  readonly cases: number;
}

/**
 * Every check's pass rate in a baseline and a candidate run and the paired
 * difference, with a case bootstrap that draws the same cases for both runs
 * (each case's share of passing repetitions in each run), so the interval
 * is about the difference on unseen cases like these and the cases' own
 * difficulty cancels out. Only cases both runs ran the check on count; with
 * fewer than 5 of them (`MIN_CASES_FOR_INTERVAL`), or when every case's
 * difference is the same (a bootstrap cannot tell how unseen cases would
 * vary), there is no interval.
 *
 * @param baseline The baseline run's cells.
 * @param candidate The candidate run's cells.
 * @param options Resamples, seed and confidence.
 * @returns One entry per check both runs have, sorted by check key.
 *
 * @example A check the candidate passes more often
 * ```ts
 * import { pairedCheckDeltas } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const cell = (run_id: string, case_key: string, pass: boolean) => ({
 *   id: `${run_id}${case_key}`, run_id, case_key, repetition: 0, slice: "typical" as const,
 *   generation_io_id: null, judge_io_ids: [], output: "{}", status: "ok" as const,
 *   checks: { valid: { pass, score: pass ? 1 : 0, detail: "" } },
 *   rubric: null, judge_error: null, created_at: "", scored_at: "",
 * });
 * const keys = ["a", "b", "c", "d", "e", "f"];
 * const [valid] = pairedCheckDeltas(
 *   keys.map((k, i) => cell("base", k, i < 3)),
 *   keys.map((k) => cell("cand", k, true)),
 * );
 * assert.equal(valid?.delta, 0.5);
 * assert.ok(valid!.low! >= 0 && valid!.high! <= 1);
 * ```
 */
export function pairedCheckDeltas(
  baseline: readonly CellResult[],
  candidate: readonly CellResult[],
  options: BootstrapOptions = {},
): PairedCheckDelta[] {
  const confidence = options.confidence ?? 0.95;
  const shares = (cells: readonly CellResult[]) => {
    const out = new Map<string, Map<string, number[]>>();
    for (const cell of cells) {
      for (const [check, result] of Object.entries(cell.checks)) {
        const byCase = out.get(check) ?? new Map<string, number[]>();
        const list = byCase.get(cell.case_key) ?? [];
        list.push(result.pass ? 1 : 0);
        byCase.set(cell.case_key, list);
        out.set(check, byCase);
      }
    }
    return out;
  };
  const base = shares(baseline);
  const cand = shares(candidate);
  const out: PairedCheckDelta[] = [];
  for (const check of [...base.keys()].filter((c) => cand.has(c)).sort()) {
    const b = base.get(check)!;
    const c = cand.get(check)!;
    const cases = [...b.keys()].filter((k) => c.has(k)).sort();
    if (cases.length === 0) continue;
    const bs = nestedSample([cases.map((k) => b.get(k)!)]);
    const cs = nestedSample([cases.map((k) => c.get(k)!)]);
    const [[bd] = [], [cd] = []] = bootstrapNested([bs, cs], options);
    const delta = cd!.map((x, i) => x - bd![i]!);
    // Too few cases for an interval about unseen cases: the delta alone.
    // When every case moved alike the bootstrap has nothing to resample:
    // a zero-width interval would claim more than the cases show.
    const { low, high } = percentileInterval(delta, confidence);
    const enough = cases.length >= MIN_CASES_FOR_INTERVAL && high > low;
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    const bm = nestedMean(bs, 0);
    const cm = nestedMean(cs, 0);
    out.push({
      check,
      baseline: round(bm),
      candidate: round(cm),
      delta: round(cm - bm),
      low: enough ? round(low) : null,
      high: enough ? round(high) : null,
      cases: cases.length,
    });
  }
  return out;
}
