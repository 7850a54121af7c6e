import type { LeaderboardEntry } from "../scoring/leaderboard.ts";
import { scatterChart, type ScatterRow } from "./_charts.ts";
import { Figure } from "./figure.ts";

/**
 * A leaderboard as score against cost: one dot per run at its uncached
 * generation cost per cell (the leaderboard's tie-breaker) and aggregate
 * score, with the score's 95% interval as a vertical whisker,
 * latency (generation p50) as the dot's size, and the rank beside it.
 * Technical ties (runs sharing a tie group) are drawn hollow and their rank
 * is written "=N", so a tie is visible at a glance; with several groups of
 * comparable runs each label starts with its group ("g2"). Runs without a
 * score or a cost per cell are left out.
 *
 * @param entries The rows {@linkcode leaderboard} returned.
 * @returns The figure.
 *
 * @example Two tied runs and a clear loser
 * ```ts
 * import { type LeaderboardEntry, plotLeaderboard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const entry = (rank: number, tie_group: number, estimate: number, cost_per_cell: string) => ({
 *   rank, group: 1, group_label: "g", tie_group, run_id: `run_${rank}`, prompt_version_id: `t@v${rank}`,
 *   model_config_id: "fake-fast", judge: "j", dataset_id: "d", cases: 30, cells: 90,
 *   aggregate: { estimate, low: estimate - 0.05, high: estimate + 0.05 }, cost_per_cell,
 *   generation_cost: "1", total_cost: "1", currency: "USD", missing_cost: 0,
 *   latency_p50_ms: 100 * rank, latency_p95_ms: 150 * rank, failure_rate: 0, scorecard_sha256: "x",
 * }) as LeaderboardEntry;
 * const figure = plotLeaderboard([entry(1, 1, 0.8, "0.01"), entry(2, 1, 0.78, "0.02"), entry(3, 2, 0.5, "0.001")]);
 * assert.equal(figure.svg.match(/<circle/g)?.length, 3);
 * assert.match(figure.svg, />=1 v1 · fake-fast</);
 * assert.match(figure.svg, />#3 v3 · fake-fast</);
 * ```
 */
export function plotLeaderboard(
  entries: readonly LeaderboardEntry[],
): Figure {
  const tie = (e: LeaderboardEntry) => `${e.group}/${e.tie_group}`;
  const groupSize = new Map<string, number>();
  for (const e of entries) {
    groupSize.set(tie(e), (groupSize.get(tie(e)) ?? 0) + 1);
  }
  const groupRank = new Map<string, number>();
  for (const e of entries) {
    if (!groupRank.has(tie(e))) groupRank.set(tie(e), e.rank);
  }
  const groups = new Set(entries.map((e) => e.group)).size;
  const rows: ScatterRow[] = [];
  for (const e of entries) {
    if (!e.aggregate || e.cost_per_cell === null) continue;
    const tied = (groupSize.get(tie(e)) ?? 1) > 1;
    const rank = tied ? groupRank.get(tie(e)) ?? e.rank : e.rank;
    const label = `${groups > 1 ? `g${e.group} ` : ""}${
      shortVersion(e.prompt_version_id)
    } · ${e.model_config_id}`;
    rows.push({
      label,
      score: e.aggregate.estimate,
      lo: e.aggregate.low,
      hi: e.aggregate.high,
      cost: Number(e.cost_per_cell),
      latency: e.latency_p50_ms ?? 0,
      rank,
      tied,
      title: `${
        tied ? "=" : "#"
      }${rank} ${e.prompt_version_id} · ${e.model_config_id} (${e.run_id}): score ${
        e.aggregate.estimate.toFixed(3)
      } [${e.aggregate.low.toFixed(3)}, ${
        e.aggregate.high.toFixed(3)
      }], cost per cell ${e.cost_per_cell}${
        e.currency ? ` ${e.currency}` : ""
      }${
        e.missing_cost > 0 ? ` (+${e.missing_cost} unknown)` : ""
      }, latency p50 ${e.latency_p50_ms ?? "n/a"} ms${
        tied ? `, tied (group ${e.tie_group})` : ""
      }; ${e.group_label}`,
    });
  }
  const currencies = new Set(entries.map((e) => e.currency).filter(Boolean));
  const costLabel = currencies.size === 1
    ? `generation cost per cell (${[...currencies][0]})`
    : "generation cost per cell";
  return new Figure(
    scatterChart(rows, { costLabel }),
    `Leaderboard: ${rows.length} run(s), score against cost per cell`,
  );
}

/** `task@v3` -> `v3`: a leaderboard is about one task, so its name is noise. */
function shortVersion(id: string): string {
  const at = id.lastIndexOf("@");
  return at === -1 ? id : id.slice(at + 1);
}
