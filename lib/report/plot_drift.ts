import * as Plot from "@observablehq/plot";
import type { Scorecard } from "../schema/scorecard.ts";
import { SLICES } from "../schema/task.ts";
import { COLOURS } from "./_charts.ts";
import { renderPlot } from "./_render.ts";
import { Figure } from "./figure.ts";

/** One scored production window: its id and its stored scorecard. */
export interface WindowCard {
  /** The window, e.g. `2026-12-01` or `2026-W49`. */
  readonly window: string;
  /** Its scorecard. */
  readonly scorecard: Scorecard;
}

/** Options of {@linkcode plotDrift}. */
export interface PlotDriftOptions {
  /** What to plot: each slice's score (0..1) or each rubric dimension's mean (1..5). @default {"slices"} */
  readonly measure?: "slices" | "dimensions";
  /**
   * The baseline (an earlier window's or the suite run's scorecard): its
   * figure plus the limit is drawn as each facet's dashed red line, the
   * lowest acceptable figure.
   */
  readonly baseline?: Scorecard;
  /** The allowed drop, as `compare` reads it (negative). @default {-0.1 for slices, -0.25 for dimensions} */
  readonly limit?: number;
}

interface Point {
  facet: string;
  window: string;
  estimate: number;
  low: number | null;
  high: number | null;
  title: string;
}

/**
 * Production windows over time, one facet per slice (or rubric
 * dimension): each window's figure as a dot with its 95% case-resampled
 * interval (about unseen inputs of that window's traffic; none below 5
 * inputs), and, with a baseline, the lowest acceptable figure (baseline
 * plus the limit) as a dashed red line. A dot under the line is a drop
 * past the limit on average; `drift` decides whether it is one.
 *
 * @param windows The windows, in time order.
 * @param options Measure, baseline and limit.
 * @returns The figure.
 *
 * @example Two windows
 * ```ts
 * import { plotDrift, type Scorecard } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const card = (x: number) => ({
 *   run: { id: "r", prompt_version_id: "t@production", model_config_id: "production" },
 *   slices: { typical: { score: { estimate: x, low: x - 0.05, high: x + 0.05 }, estimate: x, cases: 20, cells: 20 } },
 *   dimensions: {},
 * } as unknown as Scorecard);
 * const figure = plotDrift([
 *   { window: "2026-11-02", scorecard: card(0.9) },
 *   { window: "2026-11-03", scorecard: card(0.7) },
 * ], { baseline: card(0.9) });
 * assert.equal(figure.svg.match(/<circle/g)?.length, 2);
 * assert.match(figure.title, /2 windows/);
 * ```
 */
export function plotDrift(
  windows: readonly WindowCard[],
  options: PlotDriftOptions = {},
): Figure {
  const measure = options.measure ?? "slices";
  const limit = options.limit ?? (measure === "slices" ? -0.1 : -0.25);
  const points: Point[] = [];
  const figureOf = (card: Scorecard, facet: string) => {
    if (measure === "slices") {
      const s = card.slices[facet as keyof Scorecard["slices"]];
      const estimate = s?.score?.estimate ?? s?.estimate ?? null;
      return estimate === null || estimate === undefined ? null : {
        estimate,
        low: s?.score?.low ?? null,
        high: s?.score?.high ?? null,
        n: s?.cases ?? 0,
      };
    }
    const d = card.dimensions[facet];
    return d?.mean
      ? {
        estimate: d.mean.estimate,
        low: d.mean.low,
        high: d.mean.high,
        n: d.n,
      }
      : null;
  };
  const facets = measure === "slices"
    ? [...SLICES]
    : [...new Set(windows.flatMap((w) => Object.keys(w.scorecard.dimensions)))];
  for (const w of windows) {
    for (const facet of facets) {
      const f = figureOf(w.scorecard, facet);
      if (!f) continue;
      points.push({
        facet,
        window: w.window,
        estimate: f.estimate,
        low: f.low,
        high: f.high,
        title: `${facet} · ${w.window}: ${f.estimate.toFixed(3)}${
          f.low === null
            ? " (no interval: fewer than 5 inputs)"
            : ` [${f.low.toFixed(3)}, ${f.high!.toFixed(3)}]`
        } over ${f.n} inputs`,
      });
    }
  }
  const shown = facets.filter((f) => points.some((p) => p.facet === f));
  const floors = options.baseline
    ? shown.flatMap((facet) => {
      const f = figureOf(options.baseline!, facet);
      return f ? [{ facet, y: f.estimate + limit }] : [];
    })
    : [];
  const order = windows.map((w) => w.window);
  const svg = renderPlot({
    width: 640,
    height: Math.max(1, shown.length) * 120 + 50,
    marginLeft: 50,
    marginRight: 100,
    x: { domain: order, label: "window", type: "point", padding: 0.5 },
    y: {
      domain: measure === "slices" ? [0, 1] : [1, 5],
      label: measure === "slices"
        ? "score (95% interval)"
        : "mean (95% interval)",
      grid: true,
    },
    fy: { domain: shown, label: null },
    marks: [
      Plot.ruleX(points.filter((p) => p.low !== null), {
        x: "window",
        fy: "facet",
        y1: "low",
        y2: "high",
        stroke: COLOURS.run,
      }),
      Plot.line(points, {
        x: "window",
        y: "estimate",
        fy: "facet",
        stroke: COLOURS.run,
        strokeOpacity: 0.4,
      }),
      Plot.dot(points, {
        x: "window",
        y: "estimate",
        fy: "facet",
        fill: (p: Point) =>
          floors.some((f) => f.facet === p.facet && p.estimate < f.y)
            ? COLOURS.breach
            : COLOURS.run,
        r: 4,
        title: "title",
      }),
      Plot.ruleY(floors, {
        y: "y",
        fy: "facet",
        stroke: COLOURS.limit,
        strokeDasharray: "4,3",
      }),
    ],
  });
  return new Figure(
    svg,
    `Production ${measure} over ${windows.length} window${
      windows.length === 1 ? "" : "s"
    }${options.baseline ? ` (dashed: baseline ${limit} limit)` : ""}`,
  );
}
