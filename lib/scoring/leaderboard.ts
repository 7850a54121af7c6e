import { Decimal } from "decimal.js";
import { contentHash } from "../content/sha256.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import type { Store } from "../store/open.ts";
import { getTask } from "../store/catalog.ts";
import { listRuns } from "../store/runs.ts";
import { PRODUCTION_EXPERIMENT } from "../store/production.ts";
import { listCaseKeys } from "../store/scores.ts";
import type { Interval } from "./bootstrap.ts";
import type { ComputeScorecardOptions } from "./compute_scorecard.ts";
import { moneyPerCell } from "./money_per_cell.ts";
import { scoreRun } from "./score_run.ts";

/** One row of a leaderboard. */
export interface LeaderboardEntry {
  /** 1 = best, within its comparable group. */
  readonly rank: number;
  /** The comparable group (1 = the group with the most runs): runs over the same dataset version, case set and judge. Runs of different groups are never ranked against each other. */
  readonly "group": number;
  /** What the group's runs share: dataset version, cases and judge, in words. */
  readonly "group_label": string;
  /** Rows of a group with the same tie group are a technical tie (their intervals overlap the tie group leader's); within one the run with the lower cost per cell ranks first. */
  readonly "tie_group": number;
  /** The run. */
  readonly "run_id": string;
  /** The prompt version. */
  readonly "prompt_version_id": string;
  /** The model config. */
  readonly "model_config_id": string;
  /** The judge config or jury; `null` for a run without a judge. */
  readonly judge: string | null;
  /** The dataset version. */
  readonly "dataset_id": string;
  /** Cases with a result. */
  readonly cases: number;
  /** Cells with a result. */
  readonly cells: number;
  /** Aggregate score in 0..1 with its 95% interval; null with no scored cell. */
  readonly aggregate: Interval | null;
  /** What a cell's generation would cost uncached (the tie-breaker, and the leaderboard plot's axis), decimal string; `null` without cells. */
  readonly "cost_per_cell": string | null;
  /** What the generation calls would cost uncached, decimal string. */
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
 * The completed runs of a task, ranked by aggregate score within groups of
 * comparable runs: the same dataset version, the same cases and the same
 * judge (config or jury); a run of fewer cases, another dataset version
 * or another judge is ranked in a group of its own, never against the
 * others. Within a group, runs whose 95% intervals overlap the interval of
 * the best run of their tie group are a technical tie, ranked among
 * themselves by uncached generation cost per cell (cheaper first; unknown
 * cost last); latency, cost and failure rate ride along. Each run's
 * scorecard is computed from its results and stored.
 *
 * @param store The open store.
 * @param task The task name.
 * @param options Bootstrap seed, resamples and confidence.
 * @throws {NotFoundError} If the task has no run and is not in the catalog.
 * @returns The ranked rows, group by group (empty when the task has no completed run).
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
  // Production windows (wb score-traces) score traffic, not the suite.
  const runs = all.filter((r) =>
    r.status === "completed" && r.experiment_id !== PRODUCTION_EXPERIMENT
  );
  const cards = [];
  for (const run of runs) {
    const scored = await scoreRun(store, run.id, options);
    cards.push({
      ...scored,
      case_set: contentHash(await listCaseKeys(store, run.id)),
    });
  }
  return rankScorecards(cards);
}

/** A scorecard to rank, with the identity of its case set when known. */
export interface RankedScorecard {
  /** The scorecard's sha256. */
  readonly sha256: string;
  /** The scorecard. */
  readonly scorecard: Scorecard;
  /** An identity of the run's set of cases (e.g. the hash of its sorted case keys); without it, runs are grouped by their number of cases. */
  readonly case_set?: string | undefined;
}

/**
 * Ranks scorecards as {@linkcode leaderboard} does: in groups of the same
 * dataset version, case set and judge (the group with the most runs
 * first), by aggregate estimate, with technical ties (overlapping
 * intervals) broken by the lower cost per cell.
 *
 * @param cards Scorecards with their sha256 (and case sets).
 * @returns The ranked rows, group by group.
 *
 * @example A tie goes to the cheaper run; another judge is another group
 * ```ts
 * import { rankScorecards, type Scorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const card = (id: string, estimate: number, cost: string, judge = "fake-judge") => ({
 *   sha256: id,
 *   scorecard: {
 *     run: { id, prompt_version_id: `${id}@v1`, model_config_id: "m", judge_config_id: judge, dataset_id: "d" },
 *     cells: 90, cases: 30,
 *     aggregate: { estimate, low: estimate - 0.05, high: estimate + 0.05 },
 *     cost: { currency: "USD", uncached_generation: cost, total: cost, missing_cost: 0 },
 *     latency_ms: { generation: null },
 *     failures: { rate: 0 },
 *   } as unknown as Scorecard,
 * });
 * const rows = rankScorecards([
 *   card("a", 0.80, "2.000000"), card("b", 0.78, "1.000000"), card("c", 0.60, "0.100000"),
 *   card("d", 0.99, "0.100000", "fake-judge-lenient"),
 * ]);
 * assert.deepEqual(rows.map((r) => r.run_id), ["b", "a", "c", "d"]);
 * assert.deepEqual(rows.map((r) => r.group), [1, 1, 1, 2]);
 * assert.deepEqual(rows.map((r) => r.rank), [1, 2, 3, 1]);
 * assert.deepEqual(rows.map((r) => r.tie_group), [1, 1, 2, 1]);
 * ```
 */
export function rankScorecards(
  cards: readonly RankedScorecard[],
): LeaderboardEntry[] {
  const groups = new Map<string, RankedScorecard[]>();
  for (const card of cards) {
    const key = groupKey(card);
    const group = groups.get(key);
    if (group) group.push(card);
    else groups.set(key, [card]);
  }
  const ordered = [...groups.values()].sort((a, b) =>
    b.length - a.length ||
    best(b) - best(a) ||
    a[0]!.scorecard.run.id.localeCompare(b[0]!.scorecard.run.id)
  );
  const rows: LeaderboardEntry[] = [];
  ordered.forEach((group, g) => {
    const label = groupLabel(group[0]!.scorecard);
    let rank = 0;
    rankGroup(group).forEach((ties, t) => {
      for (const { sha256, scorecard } of ties) {
        rows.push(entry(scorecard, sha256, {
          rank: ++rank,
          group: g + 1,
          label,
          tie: t + 1,
        }));
      }
    });
  });
  return rows;
}

function groupKey(card: RankedScorecard): string {
  const run = card.scorecard.run;
  return JSON.stringify([
    run.dataset_id,
    card.case_set ?? `cases:${card.scorecard.cases}`,
    run.judge_config_id,
  ]);
}

function groupLabel(card: Scorecard): string {
  return `dataset ${
    card.run.dataset_id.slice(0, 12)
  }, ${card.cases} cases, judge ${card.run.judge_config_id ?? "none"}`;
}

function best(group: readonly RankedScorecard[]): number {
  return Math.max(
    ...group.map((c) => c.scorecard.aggregate?.estimate ?? -Infinity),
  );
}

/** A group's runs in tie groups, best first, each tie group cheaper per cell first. */
function rankGroup(group: readonly RankedScorecard[]): RankedScorecard[][] {
  const byScore = [...group].sort((a, b) => {
    const x = a.scorecard.aggregate?.estimate ?? -Infinity;
    const y = b.scorecard.aggregate?.estimate ?? -Infinity;
    return y - x || a.scorecard.run.id.localeCompare(b.scorecard.run.id);
  });
  const ties: RankedScorecard[][] = [];
  for (const card of byScore) {
    const tie = ties.at(-1);
    const leader = tie?.[0]?.scorecard.aggregate;
    const mine = card.scorecard.aggregate;
    if (
      tie && leader && mine && mine.high >= leader.low &&
      mine.low <= leader.high
    ) tie.push(card);
    else ties.push([card]);
  }
  return ties.map((tie) =>
    [...tie].sort((a, b) =>
      compareCost(a.scorecard, b.scorecard) ||
      (b.scorecard.aggregate?.estimate ?? -Infinity) -
        (a.scorecard.aggregate?.estimate ?? -Infinity) ||
      a.scorecard.run.id.localeCompare(b.scorecard.run.id)
    )
  );
}

function entry(
  scorecard: Scorecard,
  sha256: string,
  place: { rank: number; group: number; label: string; tie: number },
): LeaderboardEntry {
  return {
    rank: place.rank,
    "group": place.group,
    "group_label": place.label,
    "tie_group": place.tie,
    "run_id": scorecard.run.id,
    "prompt_version_id": scorecard.run.prompt_version_id,
    "model_config_id": scorecard.run.model_config_id,
    judge: scorecard.run.judge_config_id,
    "dataset_id": scorecard.run.dataset_id,
    cases: scorecard.cases,
    cells: scorecard.cells,
    aggregate: scorecard.aggregate,
    "cost_per_cell": costPerCell(scorecard),
    "generation_cost": scorecard.cost.uncached_generation,
    "total_cost": scorecard.cost.total,
    currency: scorecard.cost.currency,
    "missing_cost": scorecard.cost.missing_cost,
    "latency_p50_ms": scorecard.latency_ms.generation?.p50 ?? null,
    "latency_p95_ms": scorecard.latency_ms.generation?.p95 ?? null,
    "failure_rate": scorecard.failures.rate,
    "scorecard_sha256": sha256,
  };
}

function costPerCell(card: Scorecard): string | null {
  return card.cells > 0
    ? moneyPerCell(card.cost.uncached_generation, card.cells)
    : null;
}

/** Cheaper per cell first; a cost with missing receipts is unknown and goes last. */
function compareCost(a: Scorecard, b: Scorecard): number {
  const known = (c: Scorecard) => c.cost.missing_cost === 0 && c.cells > 0;
  if (known(a) !== known(b)) return known(a) ? -1 : 1;
  if (!known(a)) return 0;
  return new Decimal(costPerCell(a)!).comparedTo(costPerCell(b)!);
}
