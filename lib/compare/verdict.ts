/**
 * The verdict's vocabulary: verdicts, modes, limits and the record a
 * comparison produces.
 *
 * @module
 */
import type { JudgeCalibration } from "../schema/scorecard.ts";

/**
 * The three verdicts a comparison can reach, in the order CI reads them.
 *
 * @example Check that a string is a verdict
 * ```ts
 * import { type Verdict, VERDICTS } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const isVerdict = (value: string): value is Verdict => (VERDICTS as readonly string[]).includes(value);
 * assert.deepEqual(VERDICTS, ["APPROVED", "REJECTED", "INCONCLUSIVE"]);
 * assert.ok(isVerdict("INCONCLUSIVE"));
 * assert.ok(!isVerdict("approved"));
 * ```
 */
export const VERDICTS = ["APPROVED", "REJECTED", "INCONCLUSIVE"] as const;

/**
 * A comparison's outcome: `APPROVED` (every limit decided within),
 * `REJECTED` (a limit breached) or `INCONCLUSIVE` (a limit undecided, in
 * `confident` mode, or a dimension or slice not measured for too many
 * cells).
 */
export type Verdict = typeof VERDICTS[number];

/**
 * The ways a verdict reads noise (see docs/verdict.md and
 * {@linkcode CompareMode}).
 *
 * @example Check a mode given on a command line
 * ```ts
 * import { COMPARE_MODES, type CompareMode } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const isMode = (value: string): value is CompareMode => (COMPARE_MODES as readonly string[]).includes(value);
 * assert.deepEqual(COMPARE_MODES, ["point", "strict", "confident"]);
 * assert.ok(isMode("strict"));
 * assert.ok(!isMode("lenient"));
 * ```
 */
export const COMPARE_MODES = ["point", "strict", "confident"] as const;

/**
 * How a verdict reads noise. `point`: means only. `strict`: reject unless a
 * limit is decided within (its interval clear of it). `confident`: reject
 * only when a limit is decided breached (the whole interval past it); an
 * undecided limit makes the verdict `INCONCLUSIVE` (or is settled, see
 * `CompareOptions.settle`).
 */
export type CompareMode = typeof COMPARE_MODES[number];

/**
 * Regression limits (deltas are candidate minus baseline). Negative limits
 * bound drops, positive limits bound growth. Absent fields take the task's
 * `limits`, then the defaults.
 */
export interface CompareLimits {
  /** Largest allowed drop of a rubric dimension's mean on the 1-5 scale. @default {-0.25} */
  dimension?: number | undefined;
  /** Largest allowed drop of a slice's score on the 0-1 scale. @default {-0.1} */
  slice?: number | undefined;
  /** Largest allowed relative growth of the cost per cell (0.2 = +20%). @default {0.2} */
  cost_growth?: number | undefined;
  /** Largest allowed relative growth of generation latency p95; no limit when absent. */
  latency_p95_growth?: number | undefined;
  /** Largest allowed rise of the failure rate, absolute; no limit when absent. */
  failure_rate?: number | undefined;
  /** Largest allowed rise of the injection success rate, absolute; no limit when absent. */
  injection_rate?: number | undefined;
  /** Largest share of a run's cells a dimension or slice may leave unjudged and still pass. @default {0.05} */
  unmeasured?: number | undefined;
}

/** The limits a verdict applied: every field set, `null` where no limit applies. */
export interface AppliedLimits {
  /** Largest allowed drop of a rubric dimension (1-5 scale). */
  dimension: number;
  /** Largest allowed drop of a slice score (0-1 scale). */
  slice: number;
  /** Largest allowed relative growth of the cost per cell. */
  cost_growth: number;
  /** Largest allowed relative growth of latency p95, or no limit. */
  latency_p95_growth: number | null;
  /** Largest allowed rise of the failure rate, or no limit. */
  failure_rate: number | null;
  /** Largest allowed rise of the injection success rate, or no limit. */
  injection_rate: number | null;
  /** Largest share of a run's cells a dimension or slice may leave unjudged and still pass. */
  unmeasured: number;
}

/** What a delta check measures. */
export type DeltaKind =
  | "dimension"
  | "slice"
  | "cost"
  | "latency_p95"
  | "failure_rate"
  | "injection_rate";

/**
 * Where a delta stands against its limit, whatever the mode: `breached`
 * (the whole decision interval is past the limit), `possibly_breached`
 * (undecided: the interval straddles it), `within` (the whole interval
 * clear of it), `not_measured` (no data, or a dimension or slice left
 * unjudged for more than the `unmeasured` share of a run's cells).
 */
export type LimitStatus =
  | "breached"
  | "possibly_breached"
  | "within"
  | "not_measured";

/** What a check means for the verdict under the chosen mode. */
export type CheckOutcome = "fail" | "inconclusive" | "pass";

/** One figure compared between the two runs, with its interval and limit. */
export interface DeltaCheck {
  /** What is measured. */
  readonly kind: DeltaKind;
  /** The dimension or slice name, or the figure's name. */
  readonly name: string;
  /** Which way is worse: a `drop` or a `growth`. */
  readonly worse: "drop" | "growth";
  /** The baseline's figure. */
  readonly baseline: number | null;
  /** The candidate's figure. */
  readonly candidate: number | null;
  /** Candidate minus baseline (relative growth for cost and latency). */
  readonly delta: number | null;
  /**
   * The decision interval: the delta plus or minus `critical_value`
   * standard errors over repetitions, these cases fixed (90% at a single
   * look); `null` for latency p95 (a point figure) or no data.
   */
  readonly interval: { readonly low: number; readonly high: number } | null;
  /** The limit applied; `null` when none is set (reported, never failing). */
  readonly limit: number | null;
  /** Where the delta stands against the limit. */
  readonly status: LimitStatus;
  /** What it means for the verdict under the mode. */
  readonly outcome: CheckOutcome;
  /** Whether the figure moved the good way. */
  readonly improved: boolean;
  /** For an undecided limit: repetitions per case likely to settle it (null when more repetitions alone are unlikely to). */
  readonly repetitions_needed: number | null;
  /** One line: the figure, the delta, the interval, the limit and the direction. */
  readonly text: string;
  /** Cases the delta rests on (absent in schema_version 1 bodies). */
  readonly cases?: number | undefined;
  /** The delta's standard error over repetitions, its cases fixed. */
  readonly standard_error?: number | null | undefined;
  /** The interval's half-width in standard errors (t scale), at this look's share of alpha. */
  readonly critical_value?: number | null | undefined;
  /** The 95% case-resampled interval, which speaks of unseen cases and does not decide; `null` with fewer than 5 cases. */
  readonly case_interval?:
    | { readonly low: number; readonly high: number }
    | null
    | undefined;
  /** For a dimension or slice: the largest share of a run's cells it could not read. */
  readonly unmeasured_share?: number | null | undefined;
}

/** One side of a comparison. */
export interface ComparedRun {
  /** The run id. */
  readonly run_id: string;
  /** The prompt version it ran. */
  readonly prompt_version_id: string;
  /** The model config it ran on. */
  readonly model_config_id: string;
  /** Repetitions per case. */
  readonly repetitions: number;
  /** Cells with a result. */
  readonly cells: number;
  /** sha256 of the scorecard the verdict read. */
  readonly scorecard_sha256: string;
  /** Aggregate score (0..1), for the record; the verdict never reads it. */
  readonly aggregate: number | null;
  /** Uncached generation cost per cell, exact decimal; `null` when unknown. */
  readonly cost_per_cell: string | null;
  /** The cost's currency. */
  readonly currency: string | null;
  /** Generation latency p95 in ms (live calls). */
  readonly latency_p95_ms: number | null;
}

/** The judge behind a comparison's rubric dimensions. */
export interface ComparisonJudge {
  /** The judge's model config id (both runs share it). */
  readonly config_id: string;
  /** Its agreement with human labels (point estimates); absent when no label matches an output it judged. */
  readonly calibration?: JudgeCalibration;
}

/** How a verdict's intervals were made and read. */
export interface ComparisonInference {
  /** What the deciding intervals speak of. */
  readonly basis: "repetitions, conditional on the cases";
  /** The one-sided error rate of each of a limit's two tests, over all looks. */
  readonly alpha: number;
  /** How alpha is spent across looks. */
  readonly spending: "one look" | "pocock-type over 5 looks";
  /** The look this verdict was reached at (1: the runs as they were). */
  readonly look: number;
}

/** One look of a settled verdict. */
export interface SettleLook {
  /** The look (1: the runs as they were). */
  readonly look: number;
  /** The verdict at this look. */
  readonly verdict: Verdict;
  /** The limits undecided at this look. */
  readonly undecided: readonly string[];
  /** Repetitions added to each case, in both runs, after this look. */
  readonly added: readonly {
    readonly case_key: string;
    readonly repetitions: number;
  }[];
  /** Adapter calls the added repetitions made (both runs). */
  readonly calls: number;
  /** What they cost (exact decimal, both runs). */
  readonly cost: string;
}

/** How a settled verdict was reached. */
export interface SettleRecord {
  /** The budget: calls, or money in the runs' currency. */
  readonly budget: { readonly calls: number } | { readonly usd: string };
  /** Adapter calls the two runs had made before settling. */
  readonly base_calls: number;
  /** Every look, in order. */
  readonly looks: readonly SettleLook[];
  /** Calls spent settling, both runs. */
  readonly calls: number;
  /** Money spent settling, both runs (exact decimal). */
  readonly cost: string;
  /** Why settling stopped. */
  readonly stopped: "decided" | "budget" | "looks" | "no plan";
}

/** The stored part of a comparison: everything but its id, time and trace. */
export interface ComparisonBody {
  /** The body format version: 2 since settling and the conditional inference (1 is still read). */
  readonly schema_version: 1 | 2;
  /** The task. */
  readonly task: string;
  /** The task definition's content hash. */
  readonly task_id: string;
  /** The dataset version both runs used. */
  readonly dataset_id: string;
  /** The baseline run. */
  readonly baseline: ComparedRun;
  /** The candidate run. */
  readonly candidate: ComparedRun;
  /** How noise was read. */
  readonly mode: CompareMode;
  /** The limits applied. */
  readonly limits: AppliedLimits;
  /** How the deciding intervals were made (absent in schema_version 1 bodies). */
  readonly inference?: ComparisonInference;
  /** The case bootstrap behind the case-resampled intervals (every interval in schema_version 1). */
  readonly bootstrap: {
    /** Resamples drawn. */
    readonly resamples: number;
    /** The seed. */
    readonly seed: number;
    /** The coverage. */
    readonly confidence: number;
  };
  /** Cases present in both runs (the pairs). */
  readonly paired_cases: number;
  /** The verdict. */
  readonly verdict: Verdict;
  /** One line saying why. */
  readonly summary: string;
  /** Why the candidate fails (empty when it does not). */
  readonly reasons: readonly string[];
  /** Possible breaches that made the verdict inconclusive (confident mode). */
  readonly inconclusive: readonly string[];
  /** Figures that moved the good way. */
  readonly improvements: readonly string[];
  /** Repetitions per case likely to settle every undecided limit, when that is estimable. */
  readonly suggested_repetitions: number | null;
  /** One line per limit that rests on fewer than 5 cases. */
  readonly small_sample_warnings?: readonly string[];
  /** How settling reached the verdict; absent when it was not settled. */
  readonly settle?: SettleRecord;
  /** The two runs' judges, when they differ and the comparison was allowed anyway (`allowJudgeChange`). */
  readonly judge_change?: {
    readonly baseline: string | null;
    readonly candidate: string | null;
  };
  /** Every check, failing first. */
  readonly checks: readonly DeltaCheck[];
  /** The judge both runs used; absent when the runs are not judged. */
  readonly judge?: ComparisonJudge;
  /**
   * One line per rubric dimension the verdict rejects on (or calls
   * inconclusive) whose judge agrees weakly with people (Spearman's rho
   * below 0.5); absent when there is none.
   */
  readonly judge_warnings?: readonly string[];
  /** The aggregate score's delta, for the record: the verdict does not read it. */
  readonly aggregate: {
    /** Candidate minus baseline. */
    readonly delta: number | null;
    /** Its interval over repetitions, at the verdict's critical value (95% case-resampled in schema_version 1). */
    readonly interval: { readonly low: number; readonly high: number } | null;
    /** Its 95% case-resampled interval (unseen cases). */
    readonly case_interval?:
      | { readonly low: number; readonly high: number }
      | null;
  };
}

/** A stored comparison: its body plus id, content hash, trace and time. */
export interface Comparison extends ComparisonBody {
  /** The comparison id. */
  readonly id: string;
  /** sha256 of the canonical body. */
  readonly sha256: string;
  /** The trace holding its `comparison_made` event. */
  readonly trace_id: string | null;
  /** When it was made. */
  readonly created_at: string;
}
