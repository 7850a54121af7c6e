import type { Scorecard } from "../schema/scorecard.ts";
import {
  COLOURS,
  intervalChart,
  type IntervalRow,
  type LimitRow,
} from "./_charts.ts";
import { Figure } from "./figure.ts";
import { runName } from "./plot_slices.ts";

/** Options of {@link plotDimensions}. */
export interface PlotDimensionsOptions {
  /** A baseline to draw beside the card (the card is then the candidate). */
  readonly baseline?: Scorecard;
  /** The lowest acceptable candidate mean per dimension (1..5), drawn as a dashed red tick. */
  readonly limits?: Readonly<Partial<Record<string, number>>>;
  /** Dimensions that breached their limit: marked "✕ breach". */
  readonly breaches?: readonly string[];
  /** Dimensions that possibly breached their limit: marked "? possible breach". */
  readonly possible?: readonly string[];
}

/**
 * The rubric dimensions (1..5) of one run, or of a baseline and a candidate:
 * a dot at each dimension's mean and a whisker over its 95% interval (cases
 * resampled: about unseen cases like these), the same interval the
 * dimension table gives. The tooltip adds sigma, the mean per-case standard
 * deviation across repetitions. Dimensions nobody judged are left out.
 *
 * @param card The run's scorecard (the candidate when a baseline is given).
 * @param options A baseline.
 * @returns The figure.
 *
 * @example Four dimensions
 * ```ts
 * import { plotDimensions, type Scorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const dim = (estimate: number, sigma: number) => ({
 *   mean: { estimate, low: estimate - 0.2, high: estimate + 0.2 }, sigma, n: 12,
 * });
 * const card = {
 *   run: { id: "run_1", prompt_version_id: "t@v1", model_config_id: "fake-fast" },
 *   dimensions: { accuracy: dim(4.2, 0.3), groundedness: dim(3.9, 0.5), clarity: dim(4.5, 0), safety: dim(3, 1) },
 * } as unknown as Scorecard;
 * const figure = plotDimensions(card);
 * assert.equal(figure.svg.match(/<circle/g)?.length, 4);
 * ```
 */
export function plotDimensions(
  card: Scorecard,
  options: PlotDimensionsOptions = {},
): Figure {
  const { baseline } = options;
  const breaches = new Set(options.breaches ?? []);
  const rows: IntervalRow[] = [];
  const add = (c: Scorecard, series: string, colour: string): void => {
    for (const [name, dim] of Object.entries(c.dimensions)) {
      if (!dim.mean) continue;
      const mean = dim.mean.estimate;
      const breach = series === "candidate" && breaches.has(name);
      rows.push({
        group: name,
        series,
        mean,
        lo: dim.mean.low,
        hi: dim.mean.high,
        colour: breach ? COLOURS.breach : colour,
        title: `${name} · ${series} ${runName(c)}: mean ${mean.toFixed(2)} [${
          dim.mean.low.toFixed(2)
        }, ${dim.mean.high.toFixed(2)}] (95% CI over cases), σ ${
          dim.sigma === null ? "n/a" : dim.sigma.toFixed(2)
        } across repetitions, ${dim.n} judged cells`,
      });
    }
  };
  if (baseline) add(baseline, "baseline", COLOURS.baseline);
  add(card, baseline ? "candidate" : "run", COLOURS.run);
  const series = baseline ? "candidate" : "run";
  const limits: LimitRow[] = Object.entries(options.limits ?? {})
    .filter((e): e is [string, number] =>
      typeof e[1] === "number" && rows.some((r) => r.group === e[0])
    )
    .map(([group, x]) => ({ group, series, x }));
  const judged = Object.fromEntries(
    Object.entries(card.dimensions).map(([name, d]) => [
      name,
      `${name} (${d.n} judged)`,
    ]),
  );
  const svg = intervalChart(rows, {
    domain: [1, 5],
    fit: true,
    groupLabels: judged,
    label: "rubric score (mean, 95% CI over cases)",
    seriesOrder: ["baseline", "candidate"],
    limits,
    breaches: [...breaches],
    possible: options.possible ?? [],
  });
  return new Figure(
    svg,
    baseline
      ? `Rubric dimensions: baseline ${runName(baseline)} vs candidate ${
        runName(card)
      }`
      : `Rubric dimensions of ${runName(card)}`,
  );
}
