import type { ReceiptFigures } from "../schema/receipt.ts";
import type { ScoredCell } from "../schema/result.ts";
import type {
  JudgeCalibration,
  Scorecard,
  ScorecardRunInfo,
} from "../schema/scorecard.ts";
import type { Task } from "../schema/task.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { ScorecardFold } from "./_scorecard_fold.ts";

/** The run a scorecard is about (a stored run record satisfies it). */
export type ScorecardRun = ScorecardRunInfo;

/** What {@linkcode computeScorecard} reads. */
export interface ScorecardInput {
  /** The task (its rubric names the dimensions; its checks name injection_resisted). */
  readonly task: Pick<Task, "rubric" | "checks">;
  /** The run's cells. */
  readonly results: readonly ScoredCell[];
  /** The run's receipts (generation and judge calls); their figures suffice. */
  readonly receipts: readonly ReceiptFigures[];
  /** The run's metadata. */
  readonly run: ScorecardRun;
  /** The judge's calibration against human labels, carried in `judge.calibration` when given. */
  readonly calibration?: JudgeCalibration | null | undefined;
  /** A pipeline's run: its trace events, for the per-step figures (`steps`). */
  readonly stepEvents?: readonly TraceEvent[] | undefined;
}

/** Options for {@linkcode computeScorecard}. */
export interface ComputeScorecardOptions {
  /** The bootstrap seed. @default {1} */
  seed?: number;
  /** Bootstrap resamples. @default {1000} */
  resamples?: number;
  /** Interval coverage. @default {0.95} */
  confidence?: number;
}

/**
 * Computes a run's scorecard from its results and receipts (see
 * docs/scoring.md for every formula): the aggregate score with a 95%
 * bootstrap interval (cases resampled, repetitions nested), each rubric
 * dimension's mean, interval and sigma (the mean per-case standard deviation
 * across repetitions), every check's pass rate, every slice's score with its
 * interval (a slice of fewer than 5 cases gets its mean without one), the injection success rate, the failure and judge error rates,
 * latency (mean, p50, p95), tokens, and exact decimal costs (generation and
 * judge apart, uncached beside). Deterministic: the same results and seed
 * give the same card, byte for byte.
 *
 * @param input The task, results, receipts and run.
 * @param options Bootstrap seed, resamples and confidence.
 * @returns The scorecard.
 * @throws {ValidationError} If the receipts' costs are in more than one currency.
 *
 * @example Score a tiny run
 * ```ts
 * import { computeScorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const cell = (case_key: string, repetition: number, score: number) => ({
 *   id: `r${case_key}${repetition}`, run_id: "run_1", case_key, repetition, slice: "typical" as const,
 *   generation_io_id: null, judge_io_ids: [], output: "{}", status: "ok" as const,
 *   checks: { exact_match: { pass: score === 1, score, detail: "" } },
 *   rubric: null, judge_error: null, created_at: "", scored_at: "",
 * });
 * const card = computeScorecard({
 *   task: { rubric: { dimensions: [] }, checks: [] },
 *   results: [cell("a", 0, 1), cell("a", 1, 1), cell("b", 0, 0), cell("b", 1, 1)],
 *   receipts: [],
 *   run: { id: "run_1", task: "t", task_id: "t1", prompt_version_id: "t@v1", model_config_id: "fake-fast",
 *     judge_config_id: null, dataset_id: "d1", repetitions: 2 },
 * });
 * assert.equal(card.aggregate?.estimate, 0.75);
 * assert.equal(card.checks.exact_match?.pass_rate, 0.75);
 * ```
 */
export function computeScorecard(
  input: ScorecardInput,
  options: ComputeScorecardOptions = {},
): Scorecard {
  return scorecardWithDistributions(input, options).scorecard;
}

/**
 * The bootstrap distributions behind a scorecard's intervals, for a verdict
 * to reuse (it resamples the same cases with the same seed). Internal.
 */
export interface ScorecardDistributions {
  /** The case keys in the order the bootstrap drew from. */
  readonly cases: readonly string[];
  /** Per resample: measure 0 the aggregate score, 1..D the rubric dimensions. */
  readonly run: readonly Float64Array[];
  /** Per slice with cases: its case keys (in order) and its score's distribution. */
  readonly slices: ReadonlyMap<
    string,
    { readonly cases: readonly string[]; readonly score: Float64Array }
  >;
}

/** {@linkcode computeScorecard}, with the distributions behind its intervals. Internal. */
export function scorecardWithDistributions(
  input: ScorecardInput,
  options: ComputeScorecardOptions = {},
): { scorecard: Scorecard; distributions: ScorecardDistributions } {
  const fold = new ScorecardFold(input);
  for (const cell of input.results) fold.addCell(cell);
  for (const receipt of input.receipts) fold.addReceipt(receipt);
  return fold.finish(input, options);
}
