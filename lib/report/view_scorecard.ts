import type { CellResult } from "../schema/result.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import { html, trusted } from "./_html.ts";
import { samplesSection } from "./_samples.ts";
import {
  checkRateTable,
  dimensionTable,
  scorecardKpiGrid,
  sliceTable,
} from "./_scorecard.ts";
import { figure } from "./_sections.ts";
import { stepsTable, stepsText } from "./_steps.ts";
import { plotDimensions } from "./plot_dimensions.ts";
import { plotSlices } from "./plot_slices.ts";
import { View } from "./view.ts";

/** Options of {@link viewScorecard}. */
export interface ViewScorecardOptions {
  /** The run's cells: a few judged samples (weakest first) are shown with their reasoning. */
  readonly samples?: readonly CellResult[];
  /**
   * How many samples to show.
   * @default 3
   */
  readonly sampleLimit?: number;
}

/**
 * A run's scorecard for a notebook: key figures first (score with its
 * interval, cost, latency, failure and injection rates), the per-slice and
 * per-dimension plots and tables, the checks' pass rates, a pipeline run's
 * steps (cells, failures, refusals, owned failures, calls, exact cost,
 * latency, gate decisions per step), and optionally a few judged samples
 * with the judge's reasoning.
 *
 * @param card The scorecard ({@linkcode scoreRun} returns it).
 * @param options Cells to sample from.
 * @returns The view.
 *
 * @example A scorecard's text form
 * ```ts
 * import { computeScorecard, viewScorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const cell = (case_key: string, repetition: number, pass: boolean) => ({
 *   id: `r${case_key}${repetition}`, run_id: "run_1", case_key, repetition, slice: "typical" as const,
 *   generation_io_id: null, judge_io_ids: [], output: "{}", status: "ok" as const,
 *   checks: { exact_match: { pass, score: pass ? 1 : 0, detail: "" } },
 *   rubric: null, judge_error: null, created_at: "", scored_at: "",
 * });
 * const card = computeScorecard({
 *   task: { rubric: { dimensions: [] }, checks: [] },
 *   results: [cell("a", 0, true), cell("a", 1, true), cell("b", 0, false), cell("b", 1, true)],
 *   receipts: [],
 *   run: { id: "run_1", task: "t", task_id: "t1", prompt_version_id: "t@v1", model_config_id: "fake-fast",
 *     judge_config_id: null, dataset_id: "d1", repetitions: 2 },
 * });
 * const view = viewScorecard(card);
 * assert.match(view.text, /^scorecard t@v1 × fake-fast: score 0\.750/);
 * assert.match(view.html, /<svg/);
 * ```
 */
export function viewScorecard(
  card: Scorecard,
  options: ViewScorecardOptions = {},
): View {
  // The task's full version id: a notebook may hold several tasks.
  const label = `${card.run.prompt_version_id} × ${card.run.model_config_id}`;
  const cards = [{ label: "score [95%]", card }];
  const hasDimensions = Object.values(card.dimensions).some((d) => d.mean);
  const body =
    html`<h3>${label} <span class="muted">(run ${card.run.id}, ${card.cases} cases × ${card.run.repetitions} repetitions)</span></h3>${
      scorecardKpiGrid(card)
    }${
      figure(trusted(plotSlices(card).svg), "Per-slice score, 95% intervals")
    }${
      hasDimensions
        ? figure(
          trusted(plotDimensions(card).svg),
          "Rubric dimensions, mean ± σ across repetitions",
        )
        : ""
    }${sliceTable(cards)}${dimensionTable([{ label: "", card }])}${
      checkRateTable(card)
    }${
      card.steps
        ? html`<h3>Steps (a pipeline)</h3>${
          stepsTable(card.steps, card.cost.currency)
        }`
        : ""
    }${
      options.samples
        ? html`<h3>Judged samples</h3>${
          samplesSection(options.samples, { limit: options.sampleLimit ?? 3 })
        }`
        : ""
    }`;
  const a = card.aggregate;
  const text = [
    `scorecard ${label}: score ${
      a
        ? `${a.estimate.toFixed(3)} [${a.low.toFixed(3)}, ${a.high.toFixed(3)}]`
        : "n/a"
    }, cost ${card.cost.total}${
      card.cost.currency ? ` ${card.cost.currency}` : ""
    }, failure rate ${(card.failures.rate * 100).toFixed(1)}%`,
    ...Object.entries(card.slices).map(([name, s]) =>
      `  ${name}: ${
        s.score
          ? s.score.estimate.toFixed(3)
          : typeof s.estimate === "number"
          ? `${s.estimate.toFixed(3)} (no interval)`
          : "n/a"
      } (${s.cases} cases)`
    ),
    ...stepsText(card),
  ].join("\n");
  return new View(body.value, text);
}
