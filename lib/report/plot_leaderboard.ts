import type { LeaderboardEntry } from "../scoring/leaderboard.ts";
import { scatterChart, type ScatterRow } from "./_charts.ts";
import { Figure } from "./figure.ts";

/**
 * A leaderboard as score against cost: one dot per run at its total cost
 * and aggregate score, with the score's 95% interval as a vertical whisker,
 * latency (generation p50) as the dot's size, and the rank beside it.
 * Technical ties (runs sharing a tie group) are drawn hollow and their rank
 * is written "=N", so a tie is visible at a glance. Runs without a score are
 * left out.
 *
 * @param entries The rows {@linkcode leaderboard} returned.
 * @returns The figure.
 *
 * @example Two tied runs and a clear loser
 * ```ts
 * import { type LeaderboardEntry, plotLeaderboard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const entry = (rank: number, tie_group: number, estimate: number, total_cost: string) => ({
 *   rank, tie_group, run_id: `run_${rank}`, prompt_version_id: `t@v${rank}`,
 *   model_config_id: "fake-fast", aggregate: { estimate, low: estimate - 0.05, high: estimate + 0.05 },
 *   generation_cost: total_cost, total_cost, currency: "USD", missing_cost: 0,
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
  const groupSize = new Map<number, number>();
  for (const e of entries) {
    groupSize.set(e.tie_group, (groupSize.get(e.tie_group) ?? 0) + 1);
  }
  const groupRank = new Map<number, number>();
  for (const e of entries) {
    if (!groupRank.has(e.tie_group)) groupRank.set(e.tie_group, e.rank);
  }
  const rows: ScatterRow[] = [];
  for (const e of entries) {
    if (!e.aggregate) continue;
    const tied = (groupSize.get(e.tie_group) ?? 1) > 1;
    const rank = tied ? groupRank.get(e.tie_group) ?? e.rank : e.rank;
    const label = `${shortVersion(e.prompt_version_id)} · ${e.model_config_id}`;
    rows.push({
      label,
      score: e.aggregate.estimate,
      lo: e.aggregate.low,
      hi: e.aggregate.high,
      cost: Number(e.total_cost),
      latency: e.latency_p50_ms ?? 0,
      rank,
      tied,
      title: `${
        tied ? "=" : "#"
      }${rank} ${e.prompt_version_id} · ${e.model_config_id} (${e.run_id}): score ${
        e.aggregate.estimate.toFixed(3)
      } [${e.aggregate.low.toFixed(3)}, ${
        e.aggregate.high.toFixed(3)
      }], cost ${e.total_cost}${e.currency ? ` ${e.currency}` : ""}${
        e.missing_cost > 0 ? ` (+${e.missing_cost} unknown)` : ""
      }, latency p50 ${e.latency_p50_ms ?? "n/a"} ms${
        tied ? `, tied (group ${e.tie_group})` : ""
      }`,
    });
  }
  const currencies = new Set(entries.map((e) => e.currency).filter(Boolean));
  const costLabel = currencies.size === 1
    ? `total cost (${[...currencies][0]})`
    : "total cost";
  return new Figure(
    scatterChart(rows, { costLabel }),
    `Leaderboard: ${rows.length} run(s), score against cost`,
  );
}

/** `task@v3` -> `v3`: a leaderboard is about one task, so its name is noise. */
function shortVersion(id: string): string {
  const at = id.lastIndexOf("@");
  return at === -1 ? id : id.slice(at + 1);
}
