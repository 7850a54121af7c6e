import type { ComparisonBody } from "../compare/verdict.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import { checksTable, comparisonBanner } from "./_comparison.ts";
import { html, trusted } from "./_html.ts";
import { figure } from "./_sections.ts";
import { plotComparison } from "./plot_comparison.ts";
import { View } from "./view.ts";

/** Options of {@link viewComparison}. */
export interface ViewComparisonOptions {
  /** The baseline's scorecard: with the candidate's, the per-slice and per-dimension plots are shown. */
  readonly baseline?: Scorecard;
  /** The candidate's scorecard. */
  readonly candidate?: Scorecard;
}

/**
 * A comparison's verdict for a notebook: the verdict with its summary and
 * reasons first, the per-slice and per-dimension plots when both
 * scorecards are given, then every delta check (failing first).
 *
 * @param comparison What {@linkcode compare} returned.
 * @param options The two scorecards, for the plots.
 * @returns The view.
 *
 * @example An approved comparison
 * ```ts
 * import { type Comparison, viewComparison } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const run = (v: number) => ({ prompt_version_id: `t@v${v}`, model_config_id: "fake-fast" });
 * const view = viewComparison({
 *   verdict: "APPROVED", summary: "no limit breached", reasons: [], inconclusive: [],
 *   mode: "strict", baseline: run(1), candidate: run(2), checks: [],
 * } as unknown as Comparison);
 * assert.match(view.text, /^APPROVED: no limit breached/);
 * assert.match(view.html, /data-testid="verdict"/);
 * ```
 */
export function viewComparison(
  comparison: ComparisonBody,
  options: ViewComparisonOptions = {},
): View {
  const { baseline, candidate } = options;
  const plots = baseline && candidate
    ? html`${
      figure(
        trusted(plotComparison(comparison, { baseline, candidate }).svg),
        "Per-slice score, baseline and candidate, 95% intervals; dashed red: the limit",
      )
    }${
      figure(
        trusted(
          plotComparison(comparison, { baseline, candidate, by: "dimension" })
            .svg,
        ),
        "Rubric dimensions, mean ± σ across repetitions; dashed red: the limit",
      )
    }`
    : "";
  const body = html`${comparisonBanner(comparison)}${plots}${
    checksTable(comparison)
  }`;
  const text = [
    `${comparison.verdict}: ${comparison.summary}`,
    ...comparison.reasons.map((r) => `  - ${r}`),
    ...comparison.inconclusive.map((r) => `  ? ${r}`),
  ].join("\n");
  return new View(body.value, text);
}
