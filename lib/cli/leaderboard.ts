import { leaderboard } from "../scoring/leaderboard.ts";
import { tableLines } from "./_table.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb leaderboard`. */
export const leaderboardCommand: Command = {
  ...about("leaderboard"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      task: { type: "string" },
    });
    const task = required(values.task, "task");
    await using store = await openFromFlag(values.db);
    const rows = await leaderboard(store, task);
    if (values.json) {
      printJson(io, { task, rows });
      return EXIT.ok;
    }
    if (rows.length === 0) {
      io.out(`no completed runs for task '${task}'`);
      return EXIT.ok;
    }
    const groups = [...new Set(rows.map((r) => r.group))];
    for (const group of groups) {
      const members = rows.filter((r) => r.group === group);
      if (groups.length > 1) {
        if (group !== groups[0]) io.out("");
        io.out(
          `group ${group} of ${groups.length}: ${
            members[0]!.group_label
          } (ranked against its own runs only)`,
        );
      }
      const tieSize = new Map<number, number>();
      for (const r of members) {
        tieSize.set(r.tie_group, (tieSize.get(r.tie_group) ?? 0) + 1);
      }
      const table = [
        [
          "rank",
          "tie",
          "run",
          "prompt",
          "model",
          "judge",
          "cases",
          "cells",
          "score [95% CI]",
          "cost/cell",
          "total cost",
          "p50 ms",
          "p95 ms",
          "failures",
        ],
        ...members.map((r) => [
          String(r.rank),
          `${r.tie_group}${(tieSize.get(r.tie_group) ?? 0) > 1 ? " tie" : ""}`,
          r.run_id,
          r.prompt_version_id,
          r.model_config_id,
          r.judge ?? "none",
          String(r.cases),
          String(r.cells),
          r.aggregate
            ? `${r.aggregate.estimate.toFixed(3)} [${
              r.aggregate.low.toFixed(3)
            }, ${r.aggregate.high.toFixed(3)}]`
            : "-",
          `${r.cost_per_cell ?? "-"}${r.missing_cost > 0 ? "+" : ""}`,
          `${r.total_cost} ${r.currency ?? ""}`.trim(),
          r.latency_p50_ms === null ? "-" : r.latency_p50_ms.toFixed(0),
          r.latency_p95_ms === null ? "-" : r.latency_p95_ms.toFixed(0),
          `${(r.failure_rate * 100).toFixed(1)}%`,
        ]),
      ];
      for (const line of tableLines(table)) io.out(line);
    }
    if (rows.some((r) => r.missing_cost > 0)) {
      io.out("+ some calls have no known cost: the cost is a lower bound");
    }
    return EXIT.ok;
  },
};
