import type { Scorecard } from "../schema/scorecard.ts";
import { SLICES } from "../schema/task.ts";
import {
  COLOURS,
  intervalChart,
  type IntervalRow,
  type LimitRow,
} from "./_charts.ts";
import { Figure } from "./figure.ts";

/** Options of {@link plotSlices}. */
export interface PlotSlicesOptions {
  /** A baseline to draw beside the card (the card is then the candidate). */
  readonly baseline?: Scorecard;
  /**
   * The lowest acceptable candidate score per slice (0..1), drawn as a
   * dashed red tick on the candidate's line, e.g. the baseline's score minus
   * the allowed drop.
   */
  readonly limits?: Readonly<Partial<Record<string, number>>>;
  /** Slices that breached their limit: the candidate's dot turns red and the slice is marked "✕ breach". */
  readonly breaches?: readonly string[];
  /** Slices that possibly breached their limit (an inconclusive verdict): marked "? possible breach". */
  readonly possible?: readonly string[];
}

/**
 * Per-slice scores (0..1) of one run, or of a baseline and a candidate, as
 * dots with their confidence-interval whiskers; with limits drawn and
 * breaching slices marked. Slices without cases are left out.
 *
 * @param card The run's scorecard (the candidate when a baseline is given).
 * @param options A baseline, limits and breaching slices.
 * @returns The figure.
 *
 * @example One run's slices
 * ```ts
 * import { plotSlices, type Scorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const slice = (estimate: number) => ({
 *   score: { estimate, low: estimate - 0.1, high: estimate + 0.05 }, cases: 5, cells: 15,
 * });
 * const card = {
 *   run: { id: "run_1", prompt_version_id: "t@v1", model_config_id: "fake-fast" },
 *   slices: { typical: slice(0.9), edge: slice(0.7), known_failure: slice(0.5), adversarial: slice(0.6) },
 * } as unknown as Scorecard;
 * const figure = plotSlices(card);
 * assert.equal(figure.svg.match(/<circle/g)?.length, 4);
 * assert.match(figure.title, /v1 × fake-fast/);
 * ```
 */
export function plotSlices(
  card: Scorecard,
  options: PlotSlicesOptions = {},
): Figure {
  const { baseline } = options;
  const breaches = new Set(options.breaches ?? []);
  const rows: IntervalRow[] = [];
  const add = (c: Scorecard, series: string, colour: string): void => {
    for (const [slice, entry] of orderedSlices(c)) {
      // A slice of fewer than 5 cases has its mean and no interval.
      const estimate = entry.score?.estimate ?? entry.estimate ?? null;
      if (estimate === null) continue;
      const low = entry.score?.low ?? estimate;
      const high = entry.score?.high ?? estimate;
      const breach = series === "candidate" && breaches.has(slice);
      rows.push({
        group: slice,
        series,
        mean: estimate,
        lo: low,
        hi: high,
        colour: breach ? COLOURS.breach : colour,
        title: `${slice} · ${series} ${runName(c)}: ${estimate.toFixed(3)} ${
          entry.score
            ? `[${low.toFixed(3)}, ${high.toFixed(3)}]`
            : "(no interval: fewer than 5 cases)"
        } over ${entry.cases} cases${breach ? " · BREACH" : ""}`,
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
  const cases = Object.fromEntries(
    Object.entries(card.slices).map(([slice, entry]) => [
      slice,
      `${slice} (${entry.cases} case${entry.cases === 1 ? "" : "s"})`,
    ]),
  );
  const svg = intervalChart(rows, {
    domain: [0, 1],
    fit: true,
    groupLabels: cases,
    label: "score (95% interval over cases)",
    limits,
    breaches: [...breaches],
    possible: options.possible ?? [],
    groupOrder: SLICES,
    seriesOrder: ["baseline", "candidate"],
  });
  const title = baseline
    ? `Per-slice score: baseline ${runName(baseline)} vs candidate ${
      runName(card)
    }${breaches.size > 0 ? `; breaches: ${[...breaches].join(", ")}` : ""}`
    : `Per-slice score of ${runName(card)}`;
  return new Figure(svg, title);
}

/** A run's name for people: prompt version × model (the task is in the title). */
export function runName(card: Pick<Scorecard, "run">): string {
  return `${
    card.run.prompt_version_id.replace(/^.*@/, "")
  } × ${card.run.model_config_id}`;
}

function orderedSlices(
  card: Scorecard,
): [string, Scorecard["slices"][keyof Scorecard["slices"]]][] {
  const entries = Object.entries(card.slices) as [
    string,
    Scorecard["slices"][keyof Scorecard["slices"]],
  ][];
  const rank = (s: string): number => {
    const i = (SLICES as readonly string[]).indexOf(s);
    return i === -1 ? SLICES.length : i;
  };
  return entries.sort((a, b) => rank(a[0]) - rank(b[0]));
}
