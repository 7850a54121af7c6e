import { Decimal } from "decimal.js";
import type { Scorecard } from "../schema/scorecard.ts";
import type { Store } from "../store/open.ts";
import { getTask } from "../store/catalog.ts";
import { listRuns } from "../store/runs.ts";
import type { Interval } from "./bootstrap.ts";
import type { ComputeScorecardOptions } from "./compute_scorecard.ts";
import { scoreRun } from "./score_run.ts";

/** One row of a leaderboard. */
export interface LeaderboardEntry {
  /** 1 = best. */
  readonly rank: number;
  /** Rows with the same group are a technical tie (their intervals overlap the group leader's); within a group the cheaper run ranks first. */
  readonly "tie_group": number;
  /** The run. */
  readonly "run_id": string;
  /** The prompt version. */
  readonly "prompt_version_id": string;
  /** The model config. */
  readonly "model_config_id": string;
  /** Aggregate score in 0..1 with its 95% interval; null with no scored cell. */
  readonly aggregate: Interval | null;
  /** What the generation calls would cost uncached (the tie-breaker), decimal string. */
  readonly "generation_cost": string;
  /** Total cost charged (generation and judge), decimal string. */
  readonly "total_cost": string;
  /** The cost currency. */
  readonly currency: string | null;
  /** Receipts without a known cost: when above 0 the cost is a lower bound. */
  readonly "missing_cost": number;
  /** Generation latency p50 in ms (live calls). */
  readonly "latency_p50_ms": number | null;
  /** Generation latency p95 in ms (live calls). */
  readonly "latency_p95_ms": number | null;
  /** Share of cells lost to provider errors or invalid output. */
  readonly "failure_rate": number;
  /** The scorecard's sha256. */
  readonly "scorecard_sha256": string;
}

/** Options for {@linkcode leaderboard}. */
export type LeaderboardOptions = ComputeScorecardOptions;

/**
 * The completed runs of a task, ranked by aggregate score. Runs whose 95%
 * intervals overlap the interval of the best run of their group are a
 * technical tie, ranked among themselves by uncached generation cost
 * (cheaper first; unknown cost last); latency, cost and failure rate ride
 * along. Each run's scorecard is computed from its results and stored.
 *
 * @param store The open store.
 * @param task The task name.
 * @param options Bootstrap seed, resamples and confidence.
 * @throws {NotFoundError} If the task has no run and is not in the catalog.
 * @returns The ranked rows (empty when the task has no completed run).
 *
 * @example A task with no completed run
 * ```ts
 * import { leaderboard, loadCatalog, NotFoundError, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * assert.deepEqual(await leaderboard(store, "resume_matching"), []);
 * await assert.rejects(leaderboard(store, "resume_matchin"), NotFoundError);
 * ```
 */
export async function leaderboard(
  store: Store,
  task: string,
  options: LeaderboardOptions = {},
): Promise<LeaderboardEntry[]> {
  const all = await listRuns(store, { task });
  // No run at all: make sure the task exists (a typo is an error, not an
  // empty board).
  if (all.length === 0) await getTask(store, task);
  const runs = all.filter((r) => r.status === "completed");
  const cards = [];
  for (const run of runs) cards.push(await scoreRun(store, run.id, options));
  return rankScorecards(cards);
}

/**
 * Ranks scorecards as {@linkcode leaderboard} does: by aggregate estimate,
 * with technical ties (overlapping intervals) broken by the cheaper run.
 *
 * @param cards Scorecards with their sha256.
 * @returns The ranked rows.
 *
 * @example A tie goes to the cheaper run
 * ```ts
 * import { rankScorecards, type Scorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const card = (id: string, estimate: number, cost: string) => ({
 *   sha256: id,
 *   scorecard: {
 *     run: { id, prompt_version_id: `${id}@v1`, model_config_id: "m" },
 *     aggregate: { estimate, low: estimate - 0.05, high: estimate + 0.05 },
 *     cost: { currency: "USD", uncached_generation: cost, total: cost, missing_cost: 0 },
 *     latency_ms: { generation: null },
 *     failures: { rate: 0 },
 *   } as unknown as Scorecard,
 * });
 * const rows = rankScorecards([card("a", 0.80, "2.000000"), card("b", 0.78, "1.000000"), card("c", 0.60, "0.100000")]);
 * assert.deepEqual(rows.map((r) => r.run_id), ["b", "a", "c"]);
 * assert.deepEqual(rows.map((r) => r.tie_group), [1, 1, 2]);
 * ```
 */
export function rankScorecards(
  cards: readonly { readonly sha256: string; readonly scorecard: Scorecard }[],
): LeaderboardEntry[] {
  const byScore = [...cards].sort((a, b) => {
    const x = a.scorecard.aggregate?.estimate ?? -Infinity;
    const y = b.scorecard.aggregate?.estimate ?? -Infinity;
    return y - x || a.scorecard.run.id.localeCompare(b.scorecard.run.id);
  });
  const groups: (typeof byScore)[] = [];
  for (const card of byScore) {
    const group = groups.at(-1);
    const leader = group?.[0]?.scorecard.aggregate;
    const mine = card.scorecard.aggregate;
    if (
      group && leader && mine && mine.high >= leader.low &&
      mine.low <= leader.high
    ) group.push(card);
    else groups.push([card]);
  }
  const rows: LeaderboardEntry[] = [];
  groups.forEach((group, g) => {
    const ordered = [...group].sort((a, b) =>
      compareCost(a.scorecard, b.scorecard) ||
      (b.scorecard.aggregate?.estimate ?? -Infinity) -
        (a.scorecard.aggregate?.estimate ?? -Infinity) ||
      a.scorecard.run.id.localeCompare(b.scorecard.run.id)
    );
    for (const { sha256, scorecard } of ordered) {
      rows.push({
        rank: rows.length + 1,
        "tie_group": g + 1,
        "run_id": scorecard.run.id,
        "prompt_version_id": scorecard.run.prompt_version_id,
        "model_config_id": scorecard.run.model_config_id,
        aggregate: scorecard.aggregate,
        "generation_cost": scorecard.cost.uncached_generation,
        "total_cost": scorecard.cost.total,
        currency: scorecard.cost.currency,
        "missing_cost": scorecard.cost.missing_cost,
        "latency_p50_ms": scorecard.latency_ms.generation?.p50 ?? null,
        "latency_p95_ms": scorecard.latency_ms.generation?.p95 ?? null,
        "failure_rate": scorecard.failures.rate,
        "scorecard_sha256": sha256,
      });
    }
  });
  return rows;
}

/** Cheaper first; a cost with missing receipts is unknown and goes last. */
function compareCost(a: Scorecard, b: Scorecard): number {
  const known = (c: Scorecard) => c.cost.missing_cost === 0;
  if (known(a) !== known(b)) return known(a) ? -1 : 1;
  return new Decimal(a.cost.uncached_generation).comparedTo(
    b.cost.uncached_generation,
  );
}
