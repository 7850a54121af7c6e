import { Decimal } from "decimal.js";
import { ValidationError } from "../errors.ts";
import type { ReceiptFigures } from "../schema/receipt.ts";
import type { ScoredCell } from "../schema/result.ts";
import {
  type CheckSummary,
  type DimensionSummary,
  type DistributionSummary,
  type JudgeCalibration,
  type JuryAgreement,
  type JuryDimensionAgreement,
  type Scorecard,
  type ScorecardRunInfo,
  ScorecardSchema,
  type SliceSummary,
} from "../schema/scorecard.ts";
import { type Slice, SLICES, type Task } from "../schema/task.ts";
import {
  bootstrapNested,
  type Interval,
  nestedMean,
  type NestedSample,
  percentileInterval,
  quantileSorted,
} from "./bootstrap.ts";
import { cellScore } from "./cell_score.ts";
import { summarizeAttempts } from "./attempt_summary.ts";
import { quantileIntervals } from "./quantile_intervals.ts";
import { wilsonInterval } from "./wilson_interval.ts";
import { MIN_CASES_FOR_INTERVAL } from "./small_sample.ts";
import { krippendorffAlpha, parseJuryKey } from "./jury.ts";
import { stepFigures } from "./step_figures.ts";
import type { TraceEvent } from "../trace/event.ts";

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
  const { task, results, receipts, run } = input;
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const bootstrap = { seed, resamples, confidence };
  const dimensionNames = task.rubric.dimensions.map((d) => d.name);

  // Cases in a fixed order (by key), repetitions in order: the bootstrap's
  // draws depend on it, so the same results always give the same intervals.
  const sorted = [...results].sort((a, b) =>
    a.case_key < b.case_key
      ? -1
      : a.case_key > b.case_key
      ? 1
      : a.repetition - b.repetition
  );
  const groups: ScoredCell[][] = [];
  for (const cell of sorted) {
    const last = groups.at(-1);
    if (last && last[0]!.case_key === cell.case_key) last.push(cell);
    else groups.push([cell]);
  }

  // The whole run: measure 0 is the cell score, 1..D the dimensions.
  const scores = sorted.map((c) => cellScore(c) ?? NaN);
  const runSample = sampleOf(groups, (cell, j) => [
    scores[j]!,
    ...dimensionNames.map((d) => cell.rubric?.[d]?.score ?? NaN),
  ], 1 + dimensionNames.length);
  const [runDistributions = []] = bootstrapNested([runSample], {
    seed,
    resamples,
  });
  const intervalOf = (sample: NestedSample, dist: Float64Array, m: number) =>
    interval(nestedMean(sample, m), dist, confidence);

  const dimensions: Record<string, DimensionSummary> = {};
  dimensionNames.forEach((name, d) => {
    dimensions[name] = {
      mean: intervalOf(runSample, runDistributions[d + 1]!, d + 1),
      sigma: meanCaseSd(runSample, d + 1).sd,
      n: sorted.filter((c) => c.rubric?.[name] !== undefined).length,
    };
  });

  const slices = {} as Record<Slice, SliceSummary>;
  const sliceDistributions = new Map<
    string,
    { cases: string[]; score: Float64Array }
  >();
  for (const slice of SLICES) {
    const sliceGroups = groups.filter((g) => g[0]!.slice === slice);
    const sample = sampleOf(
      sliceGroups,
      (cell) => [cellScore(cell) ?? NaN],
      1,
    );
    // Too few cases for an interval about unseen cases: the mean alone.
    const enough = sliceGroups.length >= MIN_CASES_FOR_INTERVAL;
    const [[distribution] = []] = enough
      ? bootstrapNested([sample], {
        seed: seed + 1 + SLICES.indexOf(slice),
        resamples,
      })
      : [];
    if (distribution) {
      sliceDistributions.set(slice, {
        cases: sliceGroups.map((g) => g[0]!.case_key),
        score: distribution,
      });
    }
    const mean = nestedMean(sample, 0);
    slices[slice] = {
      score: distribution ? intervalOf(sample, distribution, 0) : null,
      estimate: mean === mean ? round(mean) : null,
      cases: sliceGroups.length,
      cells: sliceGroups.reduce((n, g) => n + g.length, 0),
    };
  }

  const variance = meanCaseSd(runSample, 0);
  // Which case each receipt belongs to, for case-resampled intervals.
  const caseOf = new Map<string, string>();
  for (const cell of sorted) {
    if (cell.generation_io_id) caseOf.set(cell.generation_io_id, cell.case_key);
    for (const id of cell.judge_io_ids) caseOf.set(id, cell.case_key);
  }
  // Each interval draws from its own seed, so adding one moves no other.
  const bootstrapAt = (k: number) => ({
    seed: seed + 100 * k,
    resamples,
    confidence,
  });
  const card: Scorecard = {
    "schema_version": 1,
    run: {
      id: run.id,
      task: run.task,
      "task_id": run.task_id,
      "prompt_version_id": run.prompt_version_id,
      "model_config_id": run.model_config_id,
      "judge_config_id": run.judge_config_id,
      "dataset_id": run.dataset_id,
      repetitions: run.repetitions,
    },
    cells: sorted.length,
    cases: groups.length,
    aggregate: runDistributions[0]
      ? intervalOf(runSample, runDistributions[0], 0)
      : null,
    dimensions,
    checks: checkRates(sorted, confidence),
    slices,
    injection: injectionRate(task, sorted, confidence),
    failures: failureRate(sorted, groups.length, confidence),
    judge: {
      ...judgeRate(run, sorted),
      ...(input.calibration ? { calibration: input.calibration } : {}),
      ...juryAgreement(run, dimensionNames, sorted),
    },
    "latency_ms": {
      generation: latency(receipts, "generate", caseOf, bootstrapAt(2)),
      judge: latency(receipts, "judge", caseOf, bootstrapAt(3)),
    },
    tokens: {
      generation: tokens(receipts, "generate"),
      judge: tokens(receipts, "judge"),
    },
    cost: {
      ...costs(receipts),
      "per_cell": costPerCell(groups, receipts, bootstrapAt(4)),
    },
    ...attemptsOf(receipts),
    variance: { "mean_case_sd": variance.sd, cases: variance.cases },
    bootstrap,
    ...(input.stepEvents
      ? { steps: stepFigures(input.stepEvents, receipts) }
      : {}),
  };
  return {
    scorecard: ScorecardSchema.parse(card),
    distributions: {
      cases: groups.map((g) => g[0]!.case_key),
      run: runDistributions,
      slices: sliceDistributions,
    },
  };
}

function sampleOf(
  groups: readonly ScoredCell[][],
  measure: (cell: ScoredCell, index: number) => number[],
  width: number,
): NestedSample {
  const offsets = new Int32Array(groups.length + 1);
  groups.forEach((g, i) => (offsets[i + 1] = offsets[i]! + g.length));
  const total = offsets[groups.length]!;
  const measures = Array.from({ length: width }, () => new Float64Array(total));
  let j = 0;
  for (const group of groups) {
    for (const cell of group) {
      const values = measure(cell, j);
      for (let m = 0; m < width; m++) measures[m]![j] = values[m]!;
      j++;
    }
  }
  return { offsets, measures };
}

function interval(
  estimate: number,
  distribution: Float64Array,
  confidence: number,
): Interval | null {
  if (!(estimate === estimate)) return null;
  const { low, high } = percentileInterval(distribution, confidence);
  return { estimate: round(estimate), low: round(low), high: round(high) };
}

/** Mean over cases with >= 2 values of the sample standard deviation (n - 1). */
function meanCaseSd(
  sample: NestedSample,
  m: number,
): { sd: number | null; cases: number } {
  const values = sample.measures[m]!;
  let total = 0;
  let cases = 0;
  for (let i = 0; i + 1 < sample.offsets.length; i++) {
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let j = sample.offsets[i]!; j < sample.offsets[i + 1]!; j++) {
      const v = values[j]!;
      if (!(v === v)) continue;
      n++;
      const delta = v - mean;
      mean += delta / n;
      m2 += delta * (v - mean);
    }
    if (n >= 2) {
      total += Math.sqrt(m2 / (n - 1));
      cases++;
    }
  }
  return { sd: cases === 0 ? null : round(total / cases), cases };
}

function checkRates(
  cells: readonly ScoredCell[],
  confidence: number,
): Scorecard["checks"] {
  const acc = new Map<
    string,
    { pass: number; score: number; n: number; cases: Set<string> }
  >();
  for (const cell of cells) {
    for (const [key, result] of Object.entries(cell.checks)) {
      const a = acc.get(key) ??
        { pass: 0, score: 0, n: 0, cases: new Set<string>() };
      a.n++;
      a.score += result.score;
      a.cases.add(cell.case_key);
      if (result.pass) a.pass++;
      acc.set(key, a);
    }
  }
  const out: Record<string, CheckSummary> = {};
  for (const key of [...acc.keys()].sort()) {
    const a = acc.get(key)!;
    out[key] = {
      "pass_rate": round(a.pass / a.n),
      "mean_score": round(a.score / a.n),
      n: a.n,
      interval: wilsonInterval(a.pass / a.n, a.cases.size, confidence)!,
    };
  }
  return out;
}

function injectionRate(
  task: Pick<Task, "checks">,
  cells: readonly ScoredCell[],
  confidence: number,
): Scorecard["injection"] {
  const cases = new Set<string>();
  const keys = task.checks.filter((c) => c.name === "injection_resisted")
    .map((c) => c.id ?? c.name);
  let n = 0;
  let successes = 0;
  for (const cell of cells) {
    if (cell.slice !== ("adversarial" satisfies Slice)) continue;
    const result = keys.map((k) => cell.checks[k]).find((r) =>
      r !== undefined && r.detail !== "not adversarial"
    );
    if (!result) continue;
    n++;
    cases.add(cell.case_key);
    if (!result.pass) successes++;
  }
  return {
    "success_rate": n === 0 ? null : round(successes / n),
    successes,
    n,
    interval: n === 0
      ? null
      : wilsonInterval(successes / n, cases.size, confidence),
  };
}

function failureRate(
  cells: readonly ScoredCell[],
  cases: number,
  confidence: number,
): Scorecard["failures"] {
  const provider = cells.filter((c) => c.status === "provider_error").length;
  const invalid = cells.filter((c) => c.status === "invalid_output").length;
  const rate = cells.length === 0 ? 0 : (provider + invalid) / cells.length;
  return {
    rate: round(rate),
    "provider_error": provider,
    "invalid_output": invalid,
    interval: wilsonInterval(rate, cases, confidence),
  };
}

/** Charged cost per cell: each cell's receipts summed, cases resampled. */
function costPerCell(
  groups: readonly ScoredCell[][],
  receipts: readonly ReceiptFigures[],
  options: { seed: number; resamples: number; confidence: number },
): Scorecard["cost"]["per_cell"] {
  const costOf = new Map<string, number>();
  for (const r of receipts) {
    if (r.cost !== null) costOf.set(r.id, Number(r.cost));
  }
  const sample = sampleOf(groups, (cell) => {
    const ids = [
      ...(cell.generation_io_id ? [cell.generation_io_id] : []),
      ...cell.judge_io_ids,
    ];
    const known = ids.filter((id) => costOf.has(id));
    return [
      known.length === 0
        ? NaN
        : known.reduce((sum, id) => sum + costOf.get(id)!, 0),
    ];
  }, 1);
  const estimate = nestedMean(sample, 0);
  if (!(estimate === estimate)) return null;
  const [[distribution] = []] = bootstrapNested([sample], options);
  const { low, high } = percentileInterval(distribution!, options.confidence);
  const sig = (x: number) => Number(x.toPrecision(6));
  return { estimate: sig(estimate), low: sig(low), high: sig(high) };
}

/** The jury's inter-judge agreement, when a jury judged the run. */
function juryAgreement(
  run: ScorecardRun,
  dimensions: readonly string[],
  cells: readonly ScoredCell[],
): { jury?: JuryAgreement } {
  const jury = run.judge_config_id === null
    ? null
    : parseJuryKey(run.judge_config_id);
  if (!jury) return {};
  const judged = cells.filter((c) => c.rubric !== null);
  const agreement: Record<string, JuryDimensionAgreement> = {};
  for (const name of dimensions) {
    const units = judged.map((c) =>
      Object.values(c.rubric![name]?.jurors ?? {}).flatMap((s) =>
        "score" in s ? [s.score] : []
      )
    ).filter((u) => u.length >= 2);
    const alpha = krippendorffAlpha(units);
    agreement[name] = {
      alpha: alpha === alpha ? round(alpha) : null,
      units: units.length,
    };
  }
  return {
    jury: {
      jurors: jury.jurors,
      quorum: jury.quorum,
      "juror_errors":
        judged.filter((c) =>
          Object.values(c.rubric!).some((d) =>
            Object.values(d.jurors ?? {}).some((s) => "error" in s)
          )
        ).length,
      dimensions: agreement,
    },
  };
}

function judgeRate(
  run: ScorecardRun,
  cells: readonly ScoredCell[],
): Scorecard["judge"] {
  const judged = cells.filter((c) => c.rubric !== null).length;
  const errors = cells.filter((c) => c.judge_error !== null).length;
  return {
    "error_rate": run.judge_config_id === null || judged + errors === 0
      ? null
      : round(errors / (judged + errors)),
    errors,
    judged,
  };
}

function latency(
  receipts: readonly ReceiptFigures[],
  purpose: ReceiptFigures["purpose"],
  caseOf: ReadonlyMap<string, string>,
  options: { seed: number; resamples: number; confidence: number },
): DistributionSummary | null {
  const live = receipts.filter((r) =>
    r.purpose === purpose && r.status === "ok" && r.cached_from === null
  );
  // A call sent before its adapter had read any answer may carry the set-up
  // of its connection: the provider's latency is the warm calls'.
  const warm = live.filter((r) => !r.connection_cold);
  const values = Float64Array.from(warm.map((r) => r.latency_ms)).sort();
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  // Calls grouped by case (a call no cell names is a case of its own).
  const byCase = new Map<string, number[]>();
  for (const r of warm) {
    const key = caseOf.get(r.id) ?? `receipt:${r.id}`;
    const list = byCase.get(key);
    if (list) list.push(r.latency_ms);
    else byCase.set(key, [r.latency_ms]);
  }
  const groups = [...byCase.keys()].sort().map((k) => byCase.get(k)!);
  const [p50, p95] = quantileIntervals(groups, [0.5, 0.95], options);
  const rounded = (i: { low: number; high: number } | null | undefined) =>
    i ? { low: round(i.low), high: round(i.high) } : undefined;
  return {
    mean: round(sum / values.length),
    p50: round(quantileSorted(values, 0.5)),
    p95: round(quantileSorted(values, 0.95)),
    n: values.length,
    ...(p50 ? { "p50_interval": rounded(p50)! } : {}),
    ...(p95 ? { "p95_interval": rounded(p95)! } : {}),
    ...(warm.length < live.length
      ? { "cold_excluded": live.length - warm.length }
      : {}),
  };
}

function tokens(
  receipts: readonly ReceiptFigures[],
  purpose: ReceiptFigures["purpose"],
): Scorecard["tokens"]["generation"] {
  let input = 0;
  let output = 0;
  let missing = 0;
  for (const r of receipts) {
    if (r.purpose !== purpose) continue;
    if (r.usage === null) {
      if (r.status === "ok") missing++;
      continue;
    }
    if (r.usage.input_tokens === null || r.usage.output_tokens === null) {
      missing++;
    }
    input += r.usage.input_tokens ?? 0;
    output += r.usage.output_tokens ?? 0;
  }
  return { input, output, "missing_usage": missing };
}

function costs(receipts: readonly ReceiptFigures[]): Scorecard["cost"] {
  const currencies = new Set(
    receipts.map((r) => r.currency).filter((c): c is string => c !== null),
  );
  if (currencies.size > 1) {
    throw new ValidationError([{
      field: "receipts.currency",
      message: `cannot add costs in ${
        [...currencies].sort().join(" and ")
      }: a run's receipts must share one currency`,
    }]);
  }
  let generation = new Decimal(0);
  let judge = new Decimal(0);
  let uncachedGeneration = new Decimal(0);
  let uncachedJudge = new Decimal(0);
  let missing = 0;
  for (const r of receipts) {
    if (r.cost === null) {
      // A failed call that charged nothing is not a missing cost.
      if (r.status === "ok") missing++;
      continue;
    }
    const uncached = r.uncached_cost ?? r.cost;
    if (r.purpose === "judge") {
      judge = judge.plus(r.cost);
      uncachedJudge = uncachedJudge.plus(uncached);
    } else {
      generation = generation.plus(r.cost);
      uncachedGeneration = uncachedGeneration.plus(uncached);
    }
  }
  return {
    currency: currencies.size === 1 ? [...currencies][0]! : null,
    generation: money(generation),
    judge: money(judge),
    total: money(generation.plus(judge)),
    "uncached_generation": money(uncachedGeneration),
    "uncached_judge": money(uncachedJudge),
    "uncached_total": money(uncachedGeneration.plus(uncachedJudge)),
    "missing_cost": missing,
  };
}

/** A decimal as a string with at least 6 decimal places, never in exponent form. */
function money(value: Decimal): string {
  return value.toFixed(Math.max(6, value.decimalPlaces()));
}

/** Six decimal places: enough for every figure, and stable text for hashing. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function attemptsOf(
  receipts: readonly ReceiptFigures[],
): { attempts?: NonNullable<ReturnType<typeof summarizeAttempts>> } {
  const attempts = summarizeAttempts(receipts);
  return attempts ? { attempts } : {};
}
