import type { LeaderboardEntry } from "../scoring/leaderboard.ts";
import { html, trusted } from "./_html.ts";
import { figure, num, table, verdictBanner } from "./_sections.ts";
import { plotLeaderboard } from "./plot_leaderboard.ts";
import { View } from "./view.ts";

/**
 * A leaderboard for a notebook: who leads the first group of comparable
 * runs (and whether that lead is a technical tie, broken by cost per
 * cell), the score-against-cost-per-cell plot, then one row per run, group
 * by group, with rank ("=N" for a tie), cases and cells, judge, score and
 * interval, cost per cell, latency and failure rate.
 *
 * @param entries The rows {@linkcode leaderboard} returned.
 * @returns The view.
 *
 * @example A tie at the top
 * ```ts
 * import { type LeaderboardEntry, viewLeaderboard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const entry = (rank: number, estimate: number) => ({
 *   rank, group: 1, group_label: "dataset d, 30 cases, judge j", tie_group: 1, run_id: `run_${rank}`,
 *   prompt_version_id: `t@v${rank}`, model_config_id: "fake-fast", judge: "j", dataset_id: "d", cases: 30, cells: 90,
 *   aggregate: { estimate, low: estimate - 0.1, high: estimate + 0.1 }, cost_per_cell: "0.000100",
 *   generation_cost: "0.009000", total_cost: "0.010000", currency: "USD", missing_cost: 0,
 *   latency_p50_ms: 100, latency_p95_ms: 200, failure_rate: 0, scorecard_sha256: "x",
 * }) as LeaderboardEntry;
 * const view = viewLeaderboard([entry(1, 0.8), entry(2, 0.79)]);
 * assert.match(view.text, /technical tie/);
 * assert.match(view.html, /=1/);
 * ```
 */
export function viewLeaderboard(entries: readonly LeaderboardEntry[]): View {
  const first = entries[0];
  const tied = first
    ? entries.filter((e) =>
      e.group === first.group && e.tie_group === first.tie_group
    )
    : [];
  const groups = new Set(entries.map((e) => e.group)).size;
  const head = !first
    ? "no completed run"
    : `${
      tied.length > 1
        ? `technical tie between ${tied.length} runs; ${first.prompt_version_id} × ${first.model_config_id} leads on cost per cell`
        : `${first.prompt_version_id} × ${first.model_config_id} leads`
    } (${first.group_label}${
      groups > 1 ? `; ${groups - 1} other group(s) ranked apart` : ""
    })`;
  const tie = (e: LeaderboardEntry) => `${e.group}/${e.tie_group}`;
  const tieSize = new Map<string, number>();
  for (const e of entries) tieSize.set(tie(e), (tieSize.get(tie(e)) ?? 0) + 1);
  const tieRank = new Map<string, number>();
  for (const e of entries) {
    if (!tieRank.has(tie(e))) tieRank.set(tie(e), e.rank);
  }
  const rankOf = (e: LeaderboardEntry): string =>
    `${groups > 1 ? `g${e.group} ` : ""}${
      (tieSize.get(tie(e)) ?? 1) > 1 ? `=${tieRank.get(tie(e))}` : `${e.rank}`
    }`;
  const body = html`${
    verdictBanner("LEADERBOARD", [head], `${entries.length} run(s)`)
  }${
    entries.length > 0
      ? figure(
        trusted(plotLeaderboard(entries).svg),
        "Score against generation cost per cell (the tie-breaker); dot size: latency p50; hollow: technical tie; whiskers: 95% interval",
      )
      : ""
  }${
    table(
      [
        { text: "rank", numeric: true },
        "prompt",
        "model",
        "judge",
        { text: "cases / cells", numeric: true },
        { text: "score [95%]", numeric: true },
        { text: "cost per cell", numeric: true },
        { text: "total cost", numeric: true },
        { text: "latency p50 / p95", numeric: true },
        { text: "failure rate", numeric: true },
      ],
      entries.map((e) => [
        num(rankOf(e)),
        e.prompt_version_id,
        e.model_config_id,
        e.judge ?? "none",
        num(`${e.cases} / ${e.cells}`),
        num(
          e.aggregate
            ? `${e.aggregate.estimate.toFixed(3)} [${
              e.aggregate.low.toFixed(3)
            }, ${e.aggregate.high.toFixed(3)}]`
            : "–",
        ),
        num(
          `${e.cost_per_cell ?? "–"}${e.missing_cost > 0 ? "+" : ""}`,
        ),
        num(
          `${e.total_cost}${e.currency ? ` ${e.currency}` : ""}${
            e.missing_cost > 0 ? ` (+${e.missing_cost} unknown)` : ""
          }`,
        ),
        num(`${e.latency_p50_ms ?? "–"} / ${e.latency_p95_ms ?? "–"} ms`),
        num(`${(e.failure_rate * 100).toFixed(1)}%`),
      ]),
    )
  }`;
  const text = [
    `leaderboard: ${head}`,
    ...entries.map((e) =>
      `  ${
        rankOf(e).padStart(3)
      } ${e.prompt_version_id} x ${e.model_config_id}: ${
        e.aggregate?.estimate.toFixed(3) ?? "n/a"
      }, cost per cell ${e.cost_per_cell ?? "n/a"}${
        groups > 1 ? ` (${e.group_label})` : ""
      }`
    ),
  ].join("\n");
  return new View(body.value, text);
}
