import type { ComparisonBody, DeltaCheck } from "../compare/verdict.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import type { Figure } from "./figure.ts";
import { plotDimensions } from "./plot_dimensions.ts";
import { plotSlices } from "./plot_slices.ts";

/** The two scorecards a comparison read, and which figures to draw. */
export interface PlotComparisonOptions {
  /** The baseline run's scorecard. */
  readonly baseline: Scorecard;
  /** The candidate run's scorecard. */
  readonly candidate: Scorecard;
  /**
   * `slice` for per-slice scores (0..1), `dimension` for rubric dimensions (1..5).
   * @default "slice"
   */
  readonly by?: "slice" | "dimension";
}

/**
 * A comparison drawn as the verdict read it: baseline and candidate per
 * slice (or per rubric dimension) with their interval whiskers, the limit
 * below which the candidate fails drawn as a dashed red tick (the verdict's
 * baseline figure plus its allowed drop), slices that failed marked
 * "✕ breach" and possible breaches of an inconclusive verdict "? possible
 * breach".
 *
 * @param comparison What {@linkcode compare} returned (or a stored comparison's body).
 * @param options The two scorecards, and whether to draw slices or dimensions.
 * @returns The figure.
 *
 * @example A breached slice
 * ```ts
 * import { type Comparison, plotComparison, type Scorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const card = (id: string, adversarial: number) => ({
 *   run: { id, prompt_version_id: `t@${id}`, model_config_id: "fake-fast" },
 *   slices: {
 *     typical: { score: { estimate: 0.9, low: 0.85, high: 0.95 }, cases: 4, cells: 12 },
 *     adversarial: { score: { estimate: adversarial, low: adversarial - 0.05, high: adversarial + 0.05 }, cases: 4, cells: 12 },
 *   },
 * }) as unknown as Scorecard;
 * const check = (name: string, baseline: number, candidate: number, outcome: "pass" | "fail") => ({
 *   kind: "slice", name, baseline, candidate, limit: -0.1, outcome,
 * });
 * const comparison = {
 *   verdict: "REJECTED",
 *   checks: [check("adversarial", 0.8, 0.5, "fail"), check("typical", 0.9, 0.9, "pass")],
 * } as unknown as Comparison;
 * const figure = plotComparison(comparison, { baseline: card("v1", 0.8), candidate: card("v2", 0.5) });
 * assert.match(figure.svg, /✕ breach/);
 * assert.match(figure.title, /breaches: adversarial/);
 * ```
 */
export function plotComparison(
  comparison: Pick<ComparisonBody, "checks">,
  options: PlotComparisonOptions,
): Figure {
  const kind = options.by === "dimension" ? "dimension" : "slice";
  const checks = comparison.checks.filter((c) => c.kind === kind);
  const limits: Record<string, number> = {};
  for (const c of checks) {
    const x = threshold(c);
    if (x !== null) limits[c.name] = x;
  }
  const breaches = checks.filter((c) => c.outcome === "fail").map((c) =>
    c.name
  );
  const possible = checks.filter((c) => c.outcome === "inconclusive").map((
    c,
  ) => c.name);
  const draw = kind === "slice" ? plotSlices : plotDimensions;
  return draw(options.candidate, {
    baseline: options.baseline,
    limits,
    breaches,
    possible,
  });
}

/** The lowest candidate figure within the limit: baseline plus the allowed drop. */
function threshold(check: DeltaCheck): number | null {
  if (check.baseline === null || check.limit === null) return null;
  return check.worse === "growth" ? null : check.baseline + check.limit;
}
