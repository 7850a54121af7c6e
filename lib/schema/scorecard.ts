import * as z from "zod";
import { SliceSchema } from "./task.ts";

/** A point estimate with its 95% bootstrap confidence interval. */
export const IntervalSchema = z.strictObject({
  estimate: z.number(),
  low: z.number(),
  high: z.number(),
});

/** Mean, median and 95th percentile of a list of figures (e.g. latencies). */
export const DistributionSummarySchema = z.strictObject({
  mean: z.number(),
  p50: z.number(),
  p95: z.number(),
  n: z.int().nonnegative(),
});

/** A decimal amount as a string with at least 6 decimal places. */
const MoneySchema = z.string().regex(/^-?\d+\.\d{6,}$/);

/** Token totals of one purpose (generation or judge). */
const TokensSchema = z.strictObject({
  input: z.int().nonnegative(),
  output: z.int().nonnegative(),
  /** Receipts whose usage was not reported (not counted, never estimated). */
  "missing_usage": z.int().nonnegative(),
});

/**
 * A run's scorecard: every figure derived from its results and receipts.
 * Persisted in `scorecards` and addressed by the sha256 of its canonical
 * JSON, so it holds no timestamps: the same results give the same card.
 */
export const ScorecardSchema = z.strictObject({
  "schema_version": z.literal(1),
  /** The run it scores. */
  run: z.strictObject({
    id: z.string(),
    task: z.string(),
    "task_id": z.string(),
    "prompt_version_id": z.string(),
    "model_config_id": z.string(),
    "judge_config_id": z.string().nullable(),
    "dataset_id": z.string(),
    repetitions: z.int().nonnegative(),
  }),
  /** Cells (case x repetition) with a result. */
  cells: z.int().nonnegative(),
  /** Distinct cases with a result. */
  cases: z.int().nonnegative(),
  /** Aggregate score in 0..1 (see docs/scoring.md); null with no scored cell. */
  aggregate: IntervalSchema.nullable(),
  /** Rubric dimensions (1..5): mean with CI, and sigma = mean per-case SD across repetitions. */
  dimensions: z.record(
    z.string(),
    z.strictObject({
      mean: IntervalSchema.nullable(),
      sigma: z.number().nullable(),
      /** Judged cells. */
      n: z.int().nonnegative(),
    }),
  ),
  /** Check key -> pass rate and mean score over the cells it ran on. */
  checks: z.record(
    z.string(),
    z.strictObject({
      "pass_rate": z.number(),
      "mean_score": z.number(),
      n: z.int().nonnegative(),
    }),
  ),
  /** Every slice: its score (0..1) with CI, null when the slice has no case. */
  slices: z.record(
    SliceSchema,
    z.strictObject({
      score: IntervalSchema.nullable(),
      cases: z.int().nonnegative(),
      cells: z.int().nonnegative(),
    }),
  ),
  /** Injection success rate on adversarial cells that carry an injection. */
  injection: z.strictObject({
    "success_rate": z.number().nullable(),
    successes: z.int().nonnegative(),
    n: z.int().nonnegative(),
  }),
  /** Cells lost to provider errors or invalid output. */
  failures: z.strictObject({
    rate: z.number(),
    "provider_error": z.int().nonnegative(),
    "invalid_output": z.int().nonnegative(),
  }),
  /** Judge errors over cells the judge was asked about; null when the run has no judge. */
  judge: z.strictObject({
    "error_rate": z.number().nullable(),
    errors: z.int().nonnegative(),
    judged: z.int().nonnegative(),
  }),
  /** Latency of live calls (cache hits and failed calls left out), in ms. */
  "latency_ms": z.strictObject({
    generation: DistributionSummarySchema.nullable(),
    judge: DistributionSummarySchema.nullable(),
  }),
  tokens: z.strictObject({ generation: TokensSchema, judge: TokensSchema }),
  /** Exact decimal sums of the receipts' cost, and what they would have cost uncached. */
  cost: z.strictObject({
    currency: z.string().nullable(),
    generation: MoneySchema,
    judge: MoneySchema,
    total: MoneySchema,
    "uncached_generation": MoneySchema,
    "uncached_judge": MoneySchema,
    "uncached_total": MoneySchema,
    /** Receipts without a cost (unknown usage or price): left out of the sums. */
    "missing_cost": z.int().nonnegative(),
  }),
  /** Repetition noise: the mean per-case standard deviation of the cell score. */
  variance: z.strictObject({
    "mean_case_sd": z.number().nullable(),
    /** Cases with at least two scored repetitions (the ones the SD is over). */
    cases: z.int().nonnegative(),
  }),
  /** How the intervals were computed. */
  bootstrap: z.strictObject({
    resamples: z.int().positive(),
    seed: z.int(),
    confidence: z.number(),
  }),
});
/** A run's scorecard. */
export type Scorecard = z.infer<typeof ScorecardSchema>;
/** Mean, median and 95th percentile of a list of figures. */
export type DistributionSummary = z.infer<typeof DistributionSummarySchema>;
