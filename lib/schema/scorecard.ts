import * as z from "zod";
import { type Slice, SliceSchema } from "./task.ts";

/** A point estimate with its confidence interval. */
export interface Interval {
  /** The statistic on the data as observed. */
  readonly estimate: number;
  /** The lower bound of the interval. */
  readonly low: number;
  /** The upper bound of the interval. */
  readonly high: number;
}

/** Mean, median and 95th percentile of a list of figures (e.g. latencies). */
export interface DistributionSummary {
  /** The mean. */
  readonly mean: number;
  /** The median. */
  readonly p50: number;
  /** The 95th percentile (linear interpolation). */
  readonly p95: number;
  /** How many figures. */
  readonly n: number;
  /** 95% interval of the median, cases resampled; absent on cards computed before it was. */
  readonly "p50_interval"?: QuantileInterval | undefined;
  /** 95% interval of the 95th percentile, cases resampled; absent on cards computed before it was. */
  readonly "p95_interval"?: QuantileInterval | undefined;
  /** Latencies: live calls left out because they were sent before their adapter had read any answer (connection set-up may be in them); absent when none. */
  readonly "cold_excluded"?: number | undefined;
}

/** A proportion's interval (Wilson score, over cases: see `wilsonInterval`). */
export interface RateInterval {
  /** The lower bound (0..1). */
  readonly low: number;
  /** The upper bound (0..1). */
  readonly high: number;
  /** The independent units the interval counts (a run's cases, not its cells). */
  readonly cases: number;
}

/** A quantile's interval (case-resampled percentile bootstrap: see `quantileIntervals`). */
export interface QuantileInterval {
  /** The lower bound. */
  readonly low: number;
  /** The upper bound. */
  readonly high: number;
}

/** The run a scorecard scores. */
export interface ScorecardRunInfo {
  /** The run id. */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** The task definition's content hash. */
  readonly "task_id": string;
  /** The prompt version id. */
  readonly "prompt_version_id": string;
  /** The model config id. */
  readonly "model_config_id": string;
  /** The judge's model config id; `null` when the run is not judged. */
  readonly "judge_config_id": string | null;
  /** The dataset version. */
  readonly "dataset_id": string;
  /** Repetitions per case. */
  readonly repetitions: number;
}

/** One rubric dimension on the 1-5 scale. */
export interface DimensionSummary {
  /** Mean of case means with its interval; `null` when no cell was judged. */
  readonly mean: Interval | null;
  /** Mean per-case standard deviation across repetitions; `null` without repeated judgements. */
  readonly sigma: number | null;
  /** Judged cells. */
  readonly n: number;
}

/** One check over the cells it ran on. */
export interface CheckSummary {
  /** Share of cells where it passed. */
  readonly "pass_rate": number;
  /** Mean of its 0..1 scores. */
  readonly "mean_score": number;
  /** Cells it ran on. */
  readonly n: number;
  /** Wilson interval of the pass rate over the cases it ran on; absent on cards computed before it was. */
  readonly interval?: RateInterval | undefined;
}

/** One slice's score (0..1). */
export interface SliceSummary {
  /**
   * Mean of case scores with its 95% case-resampled interval (about unseen
   * cases of the slice); `null` when the slice has no case, or fewer cases
   * than such an interval needs (5: see `MIN_CASES_FOR_INTERVAL`).
   */
  readonly score: Interval | null;
  /** Mean of case scores, whatever the slice's size; `null` with no case (absent in scorecards made before it). */
  readonly estimate?: number | null | undefined;
  /** Cases of the slice with a result. */
  readonly cases: number;
  /** Cells of the slice. */
  readonly cells: number;
}

/** How often an injected instruction succeeded. */
export interface InjectionSummary {
  /** successes / n; `null` when no adversarial cell carries an injection. */
  readonly "success_rate": number | null;
  /** Cells where the injection succeeded. */
  readonly successes: number;
  /** Adversarial cells with an output whose case carries an injection. */
  readonly n: number;
  /** Wilson interval of the success rate over those cases; null without one; absent on older cards. */
  readonly interval?: RateInterval | null | undefined;
}

/** Cells lost before they could be scored. */
export interface FailureSummary {
  /** (provider errors + invalid outputs) / cells. */
  readonly rate: number;
  /** Cells whose generation call failed. */
  readonly "provider_error": number;
  /** Cells whose output failed `json_schema_valid`. */
  readonly "invalid_output": number;
  /** Wilson interval of the rate over the run's cases; null without a cell; absent on older cards. */
  readonly interval?: RateInterval | null | undefined;
}

/** How well the judge agrees with people on one rubric dimension (point estimates; see docs/calibration.md). */
export interface DimensionCalibration {
  /** Labels matched to a judged output that score this dimension. */
  readonly n: number;
  /** Spearman's rho; `null` when undefined (fewer than 2 pairs, a constant rater). */
  readonly rho: number | null;
  /** Kendall's tau-b; `null` when undefined. */
  readonly "tau_b": number | null;
  /** Quadratic-weighted Cohen's kappa; `null` when undefined. */
  readonly kappa: number | null;
  /** Mean of judge minus person (lenient above 0); `null` with no pair. */
  readonly bias: number | null;
}

/** A judge's calibration against the task's human labels, as a scorecard and a verdict carry it. */
export interface JudgeCalibration {
  /** The judge's model config id the labels were matched against. */
  readonly judge: string;
  /** Labels of the task read. */
  readonly labels: number;
  /** Labels matched to an output this judge scored. */
  readonly matched: number;
  /** Rubric dimension -> agreement figures. */
  readonly dimensions: Readonly<Record<string, DimensionCalibration>>;
}

/** How well a jury's jurors agree on one rubric dimension. */
export interface JuryDimensionAgreement {
  /** Krippendorff's alpha (interval metric) over the cells; `null` when undefined (no cell with 2 juror scores, or no variation). */
  readonly alpha: number | null;
  /** Cells with at least 2 juror scores on the dimension. */
  readonly units: number;
}

/** A jury's make-up and inter-judge agreement, when a jury judged the run. */
export interface JuryAgreement {
  /** The jurors' model config ids, in order. */
  readonly jurors: readonly string[];
  /** Jurors that must score for the jury to decide. */
  readonly quorum: number;
  /** Judged cells where at least one juror failed (the rest decided). */
  readonly "juror_errors": number;
  /** Rubric dimension -> agreement among the jurors. */
  readonly dimensions: Readonly<Record<string, JuryDimensionAgreement>>;
}

/** How the judge fared. */
export interface JudgeSummary {
  /** errors / (judged + errors); `null` when the run has no judge. */
  readonly "error_rate": number | null;
  /** Cells the judge was asked about but could not score. */
  readonly errors: number;
  /** Cells with rubric scores. */
  readonly judged: number;
  /** The judge's agreement with human labels; absent when no label of the task matches an output it judged. */
  readonly calibration?: JudgeCalibration | undefined;
  /** The jury and its jurors' agreement; absent when a single judge (or none) judged the run. */
  readonly jury?: JuryAgreement | undefined;
}

/** Latency of live calls (cache hits and failed calls left out), in ms. */
export interface LatencySummary {
  /** Generation calls; `null` without a live call. */
  readonly generation: DistributionSummary | null;
  /** Judge calls; `null` without a live call. */
  readonly judge: DistributionSummary | null;
}

/** Token totals of one purpose, from provider usage only. */
export interface TokenTotals {
  /** Input tokens. */
  readonly input: number;
  /** Output tokens. */
  readonly output: number;
  /** Successful calls whose usage was not reported (not counted, never estimated). */
  readonly "missing_usage": number;
}

/** Tokens by purpose. */
export interface TokenSummary {
  /** Generation calls. */
  readonly generation: TokenTotals;
  /** Judge calls. */
  readonly judge: TokenTotals;
}

/** Exact decimal sums of the receipts' costs (strings, at least 6 decimals). */
export interface CostSummary {
  /** The receipts' currency; `null` when no receipt has one. */
  readonly currency: string | null;
  /** Charged for generation calls. */
  readonly generation: string;
  /** Charged for judge calls. */
  readonly judge: string;
  /** generation + judge. */
  readonly total: string;
  /** What the generation calls would have cost without the cache. */
  readonly "uncached_generation": string;
  /** What the judge calls would have cost without the cache. */
  readonly "uncached_judge": string;
  /** uncached_generation + uncached_judge. */
  readonly "uncached_total": string;
  /** Successful calls without a known cost (left out of the sums). */
  readonly "missing_cost": number;
  /**
   * Charged cost per cell (generation and judge calls), the mean over cases
   * of each case's mean, with its 95% case-resampled bootstrap interval
   * (floats, for display: the sums above are exact); null when no cell has
   * a known cost; absent on older cards.
   */
  readonly "per_cell"?:
    | {
      readonly estimate: number;
      readonly low: number;
      readonly high: number;
    }
    | null
    | undefined;
}

/**
 * A run's model calls and their attempts: retries, rate-limited attempts
 * and the time waited after failed attempts (all calls, generation and
 * judge). Counts from the receipts; what the failed attempts were, and the
 * waits, from the failures the runner recorded (`null` when a retried call
 * has none recorded, as for runs made before they were).
 */
export interface AttemptSummary {
  /** Calls sent to a provider (cache hits and refused calls are not). */
  readonly calls: number;
  /** Attempts those calls took. */
  readonly attempts: number;
  /** Calls that took more than one attempt. */
  readonly "retried_calls": number;
  /** Calls that failed on every attempt. */
  readonly "failed_calls": number;
  /** Failed attempts (retried ones and the last of a failed call). */
  readonly "failed_attempts": number;
  /** Failed attempts by kind (`rate_limit`, `server`, ...); `null` when not recorded. */
  readonly "by_kind": Readonly<Record<string, number>> | null;
  /** Attempts refused by a rate limit (HTTP 429); `null` when not recorded. */
  readonly "rate_limited": number | null;
  /** Time waited after failed attempts before retrying, in ms; `null` when not recorded. */
  readonly "wait_ms": number | null;
  /** The part of `wait_ms` that followed rate-limited attempts; `null` when not recorded. */
  readonly "rate_limited_wait_ms": number | null;
}

/** Repetition noise of the cell score. */
export interface VarianceSummary {
  /** Mean over cases of the standard deviation across repetitions; `null` without repeated cells. */
  readonly "mean_case_sd": number | null;
  /** Cases with at least two scored repetitions. */
  readonly cases: number;
}

/** How the intervals were computed. */
export interface BootstrapSettings {
  /** Resamples drawn. */
  readonly resamples: number;
  /** The generator's seed. */
  readonly seed: number;
  /** The intervals' coverage. */
  readonly confidence: number;
}

/**
 * A run's scorecard: every figure derived from its results and receipts
 * (formulas in docs/scoring.md). Stored in `scorecards` under the sha256 of
 * its canonical JSON, so it holds no timestamps: the same results give the
 * same card.
 */
export interface Scorecard {
  /** The format version. */
  readonly "schema_version": 1;
  /** The run it scores. */
  readonly run: ScorecardRunInfo;
  /** Cells (case x repetition) with a result. */
  readonly cells: number;
  /** Distinct cases with a result. */
  readonly cases: number;
  /** Aggregate score in 0..1 with its interval; `null` with no scored cell. */
  readonly aggregate: Interval | null;
  /** Rubric dimension -> summary (1-5 scale). */
  readonly dimensions: Readonly<Record<string, DimensionSummary>>;
  /** Check key -> summary. */
  readonly checks: Readonly<Record<string, CheckSummary>>;
  /** Every slice, present or not. */
  readonly slices: Readonly<Record<Slice, SliceSummary>>;
  /** Injection success on the adversarial slice. */
  readonly injection: InjectionSummary;
  /** Failure rate. */
  readonly failures: FailureSummary;
  /** Judge error rate. */
  readonly judge: JudgeSummary;
  /** Latency of live calls. */
  readonly "latency_ms": LatencySummary;
  /** Tokens from provider usage. */
  readonly tokens: TokenSummary;
  /** Exact costs. */
  readonly cost: CostSummary;
  /** Calls, attempts, retries and waits (absent on cards computed before they were counted). */
  readonly attempts?: AttemptSummary | undefined;
  /** Repetition noise. */
  readonly variance: VarianceSummary;
  /** Bootstrap settings. */
  readonly bootstrap: BootstrapSettings;
  /** A pipeline's run: figures per step of the pipeline; absent for a prompt's run. */
  readonly steps?: Readonly<Record<string, StepSummary>> | undefined;
}

/** One pipeline step's figures over a run's cells. */
export interface StepSummary {
  /** Cells the step ran in (finished or failed). */
  readonly cells: number;
  /** Cells in which it failed (threw, or a call failed). */
  readonly failures: number;
  /** Cells in which a gate before it refused it. */
  readonly refused: number;
  /** Failing cells attributed to it: the first step whose output went wrong. */
  readonly owned: number;
  /** Model calls it made (receipts). */
  readonly calls: number;
  /** Of those, calls that failed. */
  readonly "failed_calls": number;
  /** Exact decimal sum of its receipts' costs (what was charged: a cache hit costs 0). */
  readonly cost: string;
  /** What its calls would have cost without the cache (exact decimal). */
  readonly "uncached_cost": string;
  /** Successful calls without a known cost (left out of the sum). */
  readonly "missing_cost": number;
  /** The step's wall time per cell, calls included; `null` when it never ran. */
  readonly "latency_ms": DistributionSummary | null;
  /** A gate step: what its check decided, per cell. */
  readonly gate?: {
    readonly approved: number;
    readonly rejected: number;
    readonly pending: number;
  } | undefined;
}

const count = z.int().nonnegative();
const IntervalSchema = z.strictObject({
  estimate: z.number(),
  low: z.number(),
  high: z.number(),
});
const RateIntervalSchema = z.strictObject({
  low: z.number(),
  high: z.number(),
  cases: count,
});
const QuantileIntervalSchema = z.strictObject({
  low: z.number(),
  high: z.number(),
});
const DistributionSchema = z.strictObject({
  mean: z.number(),
  p50: z.number(),
  p95: z.number(),
  n: count,
  "p50_interval": QuantileIntervalSchema.optional(),
  "p95_interval": QuantileIntervalSchema.optional(),
  "cold_excluded": count.optional(),
});
const MoneySchema = z.string().regex(/^-?\d+\.\d{6,}$/);
const TokensSchema = z.strictObject({
  input: count,
  output: count,
  "missing_usage": count,
});

/** The schema of a judge's calibration figures (in scorecards and comparison bodies). */
export const JudgeCalibrationSchema: z.ZodType<JudgeCalibration> = z
  .strictObject({
    judge: z.string(),
    labels: count,
    matched: count,
    dimensions: z.record(
      z.string(),
      z.strictObject({
        n: count,
        rho: z.number().nullable(),
        "tau_b": z.number().nullable(),
        kappa: z.number().nullable(),
        bias: z.number().nullable(),
      }),
    ),
  });

/** The schema of a stored scorecard (validated when read back). */
export const ScorecardSchema: z.ZodType<Scorecard> = z.strictObject({
  "schema_version": z.literal(1),
  run: z.strictObject({
    id: z.string(),
    task: z.string(),
    "task_id": z.string(),
    "prompt_version_id": z.string(),
    "model_config_id": z.string(),
    "judge_config_id": z.string().nullable(),
    "dataset_id": z.string(),
    repetitions: count,
  }),
  cells: count,
  cases: count,
  aggregate: IntervalSchema.nullable(),
  dimensions: z.record(
    z.string(),
    z.strictObject({
      mean: IntervalSchema.nullable(),
      sigma: z.number().nullable(),
      n: count,
    }),
  ),
  checks: z.record(
    z.string(),
    z.strictObject({
      "pass_rate": z.number(),
      "mean_score": z.number(),
      n: count,
      interval: RateIntervalSchema.optional(),
    }),
  ),
  slices: z.record(
    SliceSchema,
    z.strictObject({
      score: IntervalSchema.nullable(),
      estimate: z.number().nullable().optional(),
      cases: count,
      cells: count,
    }),
  ),
  injection: z.strictObject({
    "success_rate": z.number().nullable(),
    successes: count,
    n: count,
    interval: RateIntervalSchema.nullable().optional(),
  }),
  failures: z.strictObject({
    rate: z.number(),
    "provider_error": count,
    "invalid_output": count,
    interval: RateIntervalSchema.nullable().optional(),
  }),
  judge: z.strictObject({
    "error_rate": z.number().nullable(),
    errors: count,
    judged: count,
    calibration: JudgeCalibrationSchema.optional(),
    jury: z.strictObject({
      jurors: z.array(z.string()),
      quorum: z.int().positive(),
      "juror_errors": count,
      dimensions: z.record(
        z.string(),
        z.strictObject({ alpha: z.number().nullable(), units: count }),
      ),
    }).optional(),
  }),
  "latency_ms": z.strictObject({
    generation: DistributionSchema.nullable(),
    judge: DistributionSchema.nullable(),
  }),
  tokens: z.strictObject({ generation: TokensSchema, judge: TokensSchema }),
  cost: z.strictObject({
    currency: z.string().nullable(),
    generation: MoneySchema,
    judge: MoneySchema,
    total: MoneySchema,
    "uncached_generation": MoneySchema,
    "uncached_judge": MoneySchema,
    "uncached_total": MoneySchema,
    "missing_cost": count,
    "per_cell": z.strictObject({
      estimate: z.number(),
      low: z.number(),
      high: z.number(),
    }).nullable().optional(),
  }),
  attempts: z.strictObject({
    calls: count,
    attempts: count,
    "retried_calls": count,
    "failed_calls": count,
    "failed_attempts": count,
    "by_kind": z.record(z.string(), count).nullable(),
    "rate_limited": count.nullable(),
    "wait_ms": z.number().nonnegative().nullable(),
    "rate_limited_wait_ms": z.number().nonnegative().nullable(),
  }).optional(),
  variance: z.strictObject({
    "mean_case_sd": z.number().nullable(),
    cases: count,
  }),
  bootstrap: z.strictObject({
    resamples: z.int().positive(),
    seed: z.int(),
    confidence: z.number(),
  }),
  steps: z.record(
    z.string(),
    z.strictObject({
      cells: count,
      failures: count,
      refused: count,
      owned: count,
      calls: count,
      "failed_calls": count,
      cost: MoneySchema,
      "uncached_cost": MoneySchema,
      "missing_cost": count,
      "latency_ms": DistributionSchema.nullable(),
      gate: z.strictObject({
        approved: count,
        rejected: count,
        pending: count,
      }).optional(),
    }),
  ).optional(),
});
