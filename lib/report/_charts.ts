/**
 * The chart shapes behind the public plot functions, over plain rows. The
 * public functions (plot_*.ts) turn scorecards, comparisons, leaderboards and
 * receipts into these rows; the charts know nothing of those types.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { renderPlot } from "./_render.ts";

/** Colours, chosen to stay distinct in greyscale print. */
export const COLOURS = {
  baseline: "#6b7280",
  candidate: "#1d4ed8",
  run: "#1d4ed8",
  breach: "#b91c1c",
  limit: "#b91c1c",
  possible: "#b45309",
  generate: "#1d4ed8",
  judge: "#d97706",
} as const;

const WIDTH = 880;
const ROW = 22;
const LABEL_MAX = 44;

/** One estimate with its interval, in one group (slice or dimension) and series. */
export interface IntervalRow {
  group: string;
  series: string;
  mean: number;
  lo: number;
  hi: number;
  colour: string;
  /** Shown on hover: the full description of the estimate. */
  title: string;
}

/** A limit drawn as a dashed tick on one group x series row. */
export interface LimitRow {
  group: string;
  series: string;
  x: number;
}

/** Options of {@link intervalChart}. */
export interface IntervalChartOptions {
  /** The scale's natural bounds (0..1 for scores, 1..5 for rubric means). */
  domain: [number, number];
  /**
   * Fit the axis to the data and the limits (inside `domain`), with a
   * margin, instead of spanning the whole of `domain`.
   */
  fit?: boolean;
  /** Axis text per group (e.g. with its case count); the group itself by default. */
  groupLabels?: Readonly<Record<string, string>>;
  label: string;
  limits?: readonly LimitRow[];
  /** Groups that breached a limit: marked with "✕ breach". */
  breaches?: readonly string[];
  /** Groups that possibly breached a limit (an inconclusive verdict): marked "? possible breach". */
  possible?: readonly string[];
  groupOrder?: readonly string[];
  seriesOrder?: readonly string[];
}

/** Shortens a label for an axis; the full text stays in the tooltip. */
export function shorten(text: string, max = LABEL_MAX): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function marginFor(labels: Iterable<string>): number {
  let longest = 0;
  for (const label of labels) {
    longest = Math.max(longest, Math.min(label.length, LABEL_MAX));
  }
  return Math.min(20 + longest * 6.2, 290);
}

function unique(values: Iterable<string>, order?: readonly string[]): string[] {
  const seen = [...new Set(values)];
  if (!order) return seen;
  return [
    ...order.filter((v) => seen.includes(v)),
    ...seen.filter((v) => !order.includes(v)),
  ];
}

/**
 * Dot-and-whisker rows: one dot at the mean and one whisker from lo to hi per
 * row; groups down the side, and with several series, one line per series
 * inside each group.
 */
export function intervalChart(
  rows: readonly IntervalRow[],
  options: IntervalChartOptions,
): string {
  const groups = unique(rows.map((r) => r.group), options.groupOrder);
  const series = unique(rows.map((r) => r.series), options.seriesOrder);
  const [lo, hi] = options.fit
    ? fitDomain(
      options.domain,
      [
        ...rows.flatMap((r) => [r.lo, r.hi, r.mean]),
        ...(options.limits ?? []).map((l) => l.x),
      ],
    )
    : options.domain;
  const groupLabel = (d: string) => shorten(options.groupLabels?.[d] ?? d);
  const limits = (options.limits ?? []).filter((l) => l.x >= lo && l.x <= hi);
  const breaches = new Set(options.breaches ?? []);
  const possible = new Set(options.possible ?? []);
  const last = series[series.length - 1];
  const breachRows = rows.filter((r) =>
    breaches.has(r.group) && r.series === last
  );
  const possibleRows = rows.filter((r) =>
    possible.has(r.group) && !breaches.has(r.group) && r.series === last
  );
  const faceted = series.length > 1;
  const position = faceted
    ? { fy: "group", y: "series" }
    : { y: "group" } as const;
  const marks: Plot.Markish[] = [
    Plot.gridX({ stroke: "#d1d5db", strokeOpacity: 1 }),
    Plot.ruleY(rows, {
      ...position,
      x1: "lo",
      x2: "hi",
      stroke: "colour",
      strokeWidth: 2,
    }),
    Plot.dot(rows, {
      ...position,
      x: "mean",
      fill: "colour",
      stroke: "white",
      r: 4.5,
      title: "title",
    }),
  ];
  if (limits.length > 0) {
    marks.push(
      Plot.tickX(limits, {
        ...(faceted ? { fy: "group", y: "series" } : { y: "group" }),
        x: "x",
        stroke: COLOURS.limit,
        strokeWidth: 2,
        strokeDasharray: "3,2",
        title: (d: LimitRow) => `limit for ${d.group}: ${d.x.toFixed(3)}`,
      }),
    );
  }
  // A mark's note goes left of the whisker (the limit tick of a drop sits to
  // the right of a breaching estimate), or right of it when there is no room.
  const roomLeft = (r: IntervalRow): boolean => (r.lo - lo) / (hi - lo) > 0.3;
  const note = (
    subset: readonly IntervalRow[],
    text: string,
    fill: string,
  ): void => {
    const left = subset.filter(roomLeft);
    const right = subset.filter((r) => !roomLeft(r));
    if (left.length > 0) {
      marks.push(Plot.text(left, {
        ...position,
        x: "lo",
        text: () => text,
        textAnchor: "end",
        dx: -8,
        fill,
        fontWeight: "bold",
      }));
    }
    if (right.length > 0) {
      marks.push(Plot.text(right, {
        ...position,
        x: "hi",
        text: () => text,
        textAnchor: "start",
        dx: 8,
        fill,
        fontWeight: "bold",
      }));
    }
  };
  note(breachRows, "✕ breach", COLOURS.breach);
  note(possibleRows, "? possible breach", COLOURS.possible);
  const height = faceted
    ? groups.length * (series.length * ROW + 10) + 40
    : groups.length * ROW + 50;
  return renderPlot({
    width: WIDTH,
    height,
    marginLeft: marginFor(groups.map((g) => options.groupLabels?.[g] ?? g)),
    marginRight: faceted ? marginFor(series) : 20,
    x: { domain: [lo, hi], label: options.label, grid: false },
    ...(faceted
      ? {
        fy: {
          domain: groups,
          label: null,
          axis: "left",
          tickFormat: groupLabel,
        },
        y: {
          domain: series,
          label: null,
          axis: "right",
          tickFormat: (d: string) => shorten(d),
        },
      }
      : {
        y: {
          domain: groups,
          label: null,
          tickFormat: groupLabel,
        },
      }),
    marks,
  });
}

/**
 * An axis that fits `values` inside the natural `bounds`: their range
 * widened by a tenth of it (at least a fortieth of the bounds) on each
 * side, then rounded out to a twentieth of the bounds, so the data use the
 * width and every limit stays visible.
 */
export function fitDomain(
  bounds: [number, number],
  values: readonly number[],
): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return bounds;
  const [b0, b1] = bounds;
  const span = b1 - b0;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const pad = Math.max((max - min) / 10, span / 40);
  const step = span / 20;
  const lo = Math.max(b0, b0 + Math.floor((min - pad - b0) / step) * step);
  const hi = Math.min(b1, b0 + Math.ceil((max + pad - b0) / step) * step);
  return [round6(lo), round6(hi)];
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** One entry of a score-against-cost scatter. */
export interface ScatterRow {
  label: string;
  score: number;
  lo: number;
  hi: number;
  cost: number;
  latency: number;
  /** The rank (1 = best); tied entries share a rank. */
  rank: number;
  tied: boolean;
  title: string;
}

/** Score (y) against cost (x); latency as dot size; ties hollow and marked "=". */
export function scatterChart(
  rows: readonly ScatterRow[],
  options: { costLabel: string },
): string {
  const maxCost = Math.max(0, ...rows.map((r) => r.cost));
  return renderPlot({
    width: WIDTH,
    height: 360,
    marginRight: 230,
    marginLeft: 50,
    x: {
      domain: [0, maxCost > 0 ? maxCost * 1.1 : 1],
      label: options.costLabel,
      grid: true,
    },
    y: {
      domain: fitDomain([0, 1], rows.flatMap((r) => [r.lo, r.hi, r.score])),
      label: "score (95% interval over cases)",
      grid: true,
    },
    r: { range: [4, 14], label: "latency (ms)" },
    marks: [
      Plot.ruleX(rows, {
        x: "cost",
        y1: "lo",
        y2: "hi",
        stroke: COLOURS.run,
        strokeOpacity: 0.6,
      }),
      Plot.dot(rows, {
        x: "cost",
        y: "score",
        r: "latency",
        fill: (d: ScatterRow) => d.tied ? "white" : COLOURS.run,
        stroke: COLOURS.run,
        strokeWidth: 2,
        fillOpacity: 0.85,
        title: "title",
      }),
      Plot.text(rows, {
        x: "cost",
        y: "score",
        text: (d: ScatterRow) =>
          `${d.tied ? "=" : "#"}${d.rank} ${shorten(d.label, 34)}`,
        textAnchor: "start",
        // Clear of the largest dot (radius 14) and its whisker.
        dx: 18,
        fill: (d: ScatterRow) => d.tied ? COLOURS.judge : "currentColor",
      }),
    ],
  });
}

/** One model call's latency in one run. */
export interface LatencyRow {
  run: string;
  purpose: string;
  latency: number;
}

/** Every call as a tick, one line per run x purpose, with the median as a bar. */
export function latencyChart(rows: readonly LatencyRow[]): string {
  const runs = unique(rows.map((r) => r.run));
  const purposes = unique(rows.map((r) => r.purpose), ["generate", "judge"]);
  const colour = (d: LatencyRow): string =>
    d.purpose === "judge" ? COLOURS.judge : COLOURS.generate;
  return renderPlot({
    width: WIDTH,
    height: runs.length * (purposes.length * ROW + 10) + 40,
    marginLeft: marginFor(runs),
    marginRight: 70,
    x: { label: "latency (ms)", grid: true, zero: true },
    fy: {
      domain: runs,
      label: null,
      axis: "left",
      tickFormat: (d: string) => shorten(d),
    },
    y: { domain: purposes, label: null, axis: "right" },
    marks: [
      Plot.tickX(rows, {
        fy: "run",
        y: "purpose",
        x: "latency",
        stroke: colour,
        strokeOpacity: 0.5,
      }),
      Plot.tickX(
        rows,
        Plot.groupY({ x: "median" }, {
          fy: "run",
          y: "purpose",
          x: "latency",
          stroke: "black",
          strokeWidth: 3,
          title: () => "median",
        }),
      ),
    ],
  });
}

/** The cost of one run for one purpose. */
export interface CostRow {
  run: string;
  purpose: string;
  cost: number;
  /** The label: the cost rounded for people. */
  text: string;
  /** The tooltip: the exact decimal sum. */
  title: string;
}

/** One bar per run x purpose, labelled with the cost rounded for display; the exact sum is the tooltip. */
export function costChart(
  rows: readonly CostRow[],
  options: { costLabel: string },
): string {
  const runs = unique(rows.map((r) => r.run));
  const purposes = unique(rows.map((r) => r.purpose), ["generate", "judge"]);
  const maxCost = Math.max(0, ...rows.map((r) => r.cost));
  return renderPlot({
    width: WIDTH,
    height: runs.length * (purposes.length * ROW + 10) + 40,
    marginLeft: marginFor(runs),
    marginRight: 70,
    x: {
      domain: [0, maxCost > 0 ? maxCost * 1.35 : 1],
      label: options.costLabel,
      grid: true,
    },
    fy: {
      domain: runs,
      label: null,
      axis: "left",
      tickFormat: (d: string) => shorten(d),
    },
    y: { domain: purposes, label: null, axis: "right" },
    marks: [
      Plot.barX(rows, {
        fy: "run",
        y: "purpose",
        x: "cost",
        fill: (d: CostRow) =>
          d.purpose === "judge" ? COLOURS.judge : COLOURS.generate,
      }),
      Plot.text(rows, {
        fy: "run",
        y: "purpose",
        x: "cost",
        text: "text",
        textAnchor: "start",
        dx: 4,
        title: "title",
      }),
    ],
  });
}
