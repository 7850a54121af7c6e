/**
 * Test fixtures for lib/report: scorecards and leaderboard rows checked
 * against the real schemas. Used only by tests.
 *
 * @module
 */
import { type Scorecard, ScorecardSchema } from "../schema/scorecard.ts";
import type { LeaderboardEntry } from "../scoring/leaderboard.ts";

/** An interval around an estimate. */
export function around(estimate: number, half = 0.05): {
  estimate: number;
  low: number;
  high: number;
} {
  return { estimate, low: estimate - half, high: estimate + half };
}

/** A valid scorecard; `slices` and `dimensions` give each estimate. */
export function scorecard(options: {
  id?: string;
  prompt?: string;
  model?: string;
  slices?: Partial<Record<string, number>>;
  dimensions?: Record<string, [mean: number, sigma: number]>;
}): Scorecard {
  const slice = (value: number | undefined) =>
    value === undefined
      ? { score: null, cases: 0, cells: 0 }
      : { score: around(value), cases: 4, cells: 12 };
  const s = options.slices ??
    { typical: 0.9, edge: 0.75, known_failure: 0.5, adversarial: 0.8 };
  const dims = options.dimensions ?? {
    accuracy: [4.2, 0.3],
    groundedness: [3.8, 0.6],
    justification_quality: [4.0, 0.2],
    injection_resistance: [4.5, 0],
  };
  return ScorecardSchema.parse({
    schema_version: 1,
    run: {
      id: options.id ?? "run_1",
      task: "resume_matching",
      task_id: "task_1",
      prompt_version_id: options.prompt ?? "resume_matching@v1",
      model_config_id: options.model ?? "fake-fast",
      judge_config_id: "fake-judge",
      dataset_id: "ds_1",
      repetitions: 3,
    },
    cells: 48,
    cases: 16,
    aggregate: around(0.78),
    dimensions: Object.fromEntries(
      Object.entries(dims).map((
        [name, [mean, sigma]],
      ) => [name, { mean: around(mean, 0.2), sigma, n: 48 }]),
    ),
    checks: {
      json_schema_valid: { pass_rate: 1, mean_score: 1, n: 48 },
      set_match: { pass_rate: 0.75, mean_score: 0.8, n: 48 },
    },
    slices: {
      typical: slice(s.typical),
      edge: slice(s.edge),
      known_failure: slice(s.known_failure),
      adversarial: slice(s.adversarial),
    },
    injection: { success_rate: 0.25, successes: 3, n: 12 },
    failures: { rate: 0.0625, provider_error: 2, invalid_output: 1 },
    judge: { error_rate: 0, errors: 0, judged: 45 },
    latency_ms: {
      generation: { mean: 420, p50: 400, p95: 800, n: 48 },
      judge: { mean: 210, p50: 200, p95: 300, n: 45 },
    },
    tokens: {
      generation: { input: 12000, output: 4000, missing_usage: 0 },
      judge: { input: 20000, output: 3000, missing_usage: 0 },
    },
    cost: {
      currency: "USD",
      generation: "0.012000",
      judge: "0.004500",
      total: "0.016500",
      uncached_generation: "0.012000",
      uncached_judge: "0.004500",
      uncached_total: "0.016500",
      missing_cost: 0,
    },
    variance: { mean_case_sd: 0.04, cases: 16 },
    bootstrap: { resamples: 1000, seed: 1, confidence: 0.95 },
  });
}

/** A leaderboard row. */
export function entry(
  rank: number,
  tieGroup: number,
  estimate: number,
  cost: string,
  label = `resume_matching@v${rank}`,
): LeaderboardEntry {
  return {
    rank,
    group: 1,
    group_label: "dataset ds_test, 30 cases, judge fake-judge",
    tie_group: tieGroup,
    run_id: `run_${rank}`,
    prompt_version_id: label,
    model_config_id: "fake-fast",
    judge: "fake-judge",
    dataset_id: "ds_test",
    cases: 30,
    cells: 90,
    aggregate: around(estimate),
    cost_per_cell: cost,
    generation_cost: cost,
    total_cost: cost,
    currency: "USD",
    missing_cost: 0,
    latency_p50_ms: 100 * rank,
    latency_p95_ms: 180 * rank,
    failure_rate: 0,
    scorecard_sha256: "f".repeat(64),
  };
}
