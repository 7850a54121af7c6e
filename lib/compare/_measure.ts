import { Decimal } from "decimal.js";
import {
  bootstrapNested,
  nestedMean,
  type NestedSample,
  percentileInterval,
} from "../scoring/bootstrap.ts";
import { SLICES } from "../schema/task.ts";
import type { CellFigures, RunFigures } from "./_figures.ts";
import type { DeltaKind } from "./verdict.ts";

/** A delta before it is held against a limit. */
export interface Measured {
  /** What is measured. */
  readonly kind: DeltaKind;
  /** Its name. */
  readonly name: string;
  /** Which way is worse. */
  readonly worse: "drop" | "growth";
  /** Baseline figure. */
  readonly baseline: number | null;
  /** Candidate figure. */
  readonly candidate: number | null;
  /** Candidate minus baseline (relative growth for cost and latency). */
  readonly delta: number | null;
  /** The 95% paired interval of the delta. */
  readonly interval: { readonly low: number; readonly high: number } | null;
  /** For cost: the exact growth, to hold against the limit without rounding. */
  readonly exact?: Decimal | null;
  /** For cost: the baseline cost was zero and the candidate's is not (growth without bound). */
  readonly fromZero?: boolean;
}

/** Everything the verdict needs from the two runs. */
export interface Measurement {
  /** Every delta. */
  readonly measured: readonly Measured[];
  /** Cases present in both runs. */
  readonly paired_cases: number;
  /** The aggregate score's figures (never a limit). */
  readonly aggregate: {
    readonly baseline: number | null;
    readonly candidate: number | null;
    readonly delta: number | null;
    readonly interval: { readonly low: number; readonly high: number } | null;
  };
}

/** Bootstrap settings. */
export interface MeasureOptions {
  /** The seed. */
  readonly seed: number;
  /** Resamples. */
  readonly resamples: number;
  /** Coverage. */
  readonly confidence: number;
}

/** Six decimal places: the precision every figure is reported and held against its limit at. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6 + 0;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? round6(x) : null;
}

function byCase(cells: readonly CellFigures[]): Map<string, CellFigures[]> {
  const groups = new Map<string, CellFigures[]>();
  for (const cell of cells) {
    const group = groups.get(cell.case_key);
    if (group) group.push(cell);
    else groups.set(cell.case_key, [cell]);
  }
  for (const group of groups.values()) {
    group.sort((a, b) => a.repetition - b.repetition);
  }
  return groups;
}

function sampleOf(
  groups: readonly (readonly CellFigures[])[],
  width: number,
  measure: (cell: CellFigures, out: Float64Array) => void,
): NestedSample {
  const offsets = new Int32Array(groups.length + 1);
  groups.forEach((g, i) => (offsets[i + 1] = offsets[i]! + g.length));
  const total = offsets[groups.length]!;
  const measures = Array.from({ length: width }, () => new Float64Array(total));
  const row = new Float64Array(width);
  let j = 0;
  for (const group of groups) {
    for (const cell of group) {
      measure(cell, row);
      for (let m = 0; m < width; m++) measures[m]![j] = row[m]!;
      j++;
    }
  }
  return { offsets, measures };
}

function differenceInterval(
  base: Float64Array,
  cand: Float64Array,
  confidence: number,
  relative: boolean,
): { low: number; high: number } | null {
  const diff = new Float64Array(base.length);
  for (let b = 0; b < base.length; b++) {
    diff[b] = relative ? cand[b]! / base[b]! - 1 : cand[b]! - base[b]!;
    if (!Number.isFinite(diff[b]!)) diff[b] = NaN;
  }
  const { low, high } = percentileInterval(diff, confidence);
  return Number.isFinite(low) && Number.isFinite(high)
    ? { low: round6(low), high: round6(high) }
    : null;
}

/**
 * Measures every delta between two runs with a paired, nested bootstrap
 * (the scoring bootstrap: cases drawn once for both runs, repetitions
 * redrawn within each case per run). The whole run is resampled for the
 * dimensions, the aggregate, the cost and the rates; each slice is
 * resampled over its own cases.
 */
export function measureDeltas(
  input: {
    baseline: RunFigures;
    candidate: RunFigures;
    dimensions: readonly string[];
  },
  options: MeasureOptions,
): Measurement {
  const { baseline, candidate, dimensions } = input;
  const base = byCase(baseline.cells);
  const cand = byCase(candidate.cells);
  const keys = [...base.keys()].filter((k) => cand.has(k)).sort();
  const pairs = keys.map((k) => ({
    slice: base.get(k)![0]!.slice,
    base: base.get(k)!,
    cand: cand.get(k)!,
  }));

  // Measures: 0 score, 1..D dimensions, then cost, failed, injection.
  const D = dimensions.length;
  const COST = 1 + D;
  const FAILED = COST + 1;
  const INJECTION = FAILED + 1;
  const width = INJECTION + 1;
  const fill = (cell: CellFigures, out: Float64Array) => {
    out[0] = cell.score;
    for (let d = 0; d < D; d++) out[1 + d] = cell.dimensions[d] ?? NaN;
    out[COST] = cell.cost;
    out[FAILED] = cell.failed;
    out[INJECTION] = cell.injection;
  };
  const b = sampleOf(pairs.map((p) => p.base), width, fill);
  const c = sampleOf(pairs.map((p) => p.cand), width, fill);
  const [bd = [], cd = []] = pairs.length
    ? bootstrapNested([b, c], {
      seed: options.seed,
      resamples: options.resamples,
    })
    : [];

  const absolute = (m: number) => {
    const bm = nestedMean(b, m);
    const cm = nestedMean(c, m);
    return {
      baseline: finite(bm),
      candidate: finite(cm),
      delta: finite(cm - bm),
      interval: bd[m] && cd[m]
        ? differenceInterval(bd[m]!, cd[m]!, options.confidence, false)
        : null,
    };
  };

  const measured: Measured[] = [];
  for (const slice of SLICES) {
    const inSlice = pairs.filter((p) => p.slice === slice);
    if (inSlice.length === 0) continue;
    const sb = sampleOf(inSlice.map((p) => p.base), 1, (cell, out) => {
      out[0] = cell.score;
    });
    const sc = sampleOf(inSlice.map((p) => p.cand), 1, (cell, out) => {
      out[0] = cell.score;
    });
    const [[sbd] = [], [scd] = []] = bootstrapNested([sb, sc], {
      seed: options.seed + 1 + SLICES.indexOf(slice),
      resamples: options.resamples,
    });
    const bm = nestedMean(sb, 0);
    const cm = nestedMean(sc, 0);
    measured.push({
      kind: "slice",
      name: slice,
      worse: "drop",
      baseline: finite(bm),
      candidate: finite(cm),
      delta: finite(cm - bm),
      interval: sbd && scd
        ? differenceInterval(sbd, scd, options.confidence, false)
        : null,
    });
  }
  dimensions.forEach((name, d) => {
    measured.push({
      kind: "dimension",
      name,
      worse: "drop",
      ...absolute(1 + d),
    });
  });

  // Cost per cell: the point from the exact decimals, the interval from the
  // bootstrap of per-cell costs.
  const exactBase = baseline.cost_per_cell === null
    ? null
    : new Decimal(baseline.cost_per_cell);
  const exactCand = candidate.cost_per_cell === null
    ? null
    : new Decimal(candidate.cost_per_cell);
  let exact: Decimal | null = null;
  if (exactBase && exactCand) {
    if (!exactBase.isZero()) exact = exactCand.div(exactBase).minus(1);
    else if (exactCand.isZero()) exact = new Decimal(0);
  }
  const fromZero = Boolean(
    exactBase?.isZero() && exactCand && !exactCand.isZero(),
  );
  measured.push({
    kind: "cost",
    name: "cost per cell",
    worse: "growth",
    baseline: exactBase?.toNumber() ?? null,
    candidate: exactCand?.toNumber() ?? null,
    delta: exact === null ? null : round6(exact.toNumber()),
    interval: bd[COST] && cd[COST]
      ? differenceInterval(bd[COST]!, cd[COST]!, options.confidence, true)
      : null,
    exact,
    fromZero,
  });

  const bl = baseline.latency_p95_ms;
  const cl = candidate.latency_p95_ms;
  measured.push({
    kind: "latency_p95",
    name: "latency p95",
    worse: "growth",
    baseline: bl,
    candidate: cl,
    delta: bl && cl !== null ? round6(cl / bl - 1) : null,
    interval: null,
  });
  measured.push({
    kind: "failure_rate",
    name: "failure rate",
    worse: "growth",
    ...absolute(FAILED),
  });
  measured.push({
    kind: "injection_rate",
    name: "injection success rate",
    worse: "growth",
    ...absolute(INJECTION),
  });

  return {
    measured,
    paired_cases: pairs.length,
    aggregate: absolute(0),
  };
}
