import { Decimal } from "decimal.js";
import {
  bootstrapNested,
  nestedMean,
  type NestedSample,
  percentileInterval,
} from "../scoring/bootstrap.ts";
import { SLICES } from "../schema/task.ts";
import type { ScorecardDistributions } from "../scoring/compute_scorecard.ts";
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
  /** How the spread of the per-case deltas splits into case and repetition noise (for `repetitionsNeeded`). */
  readonly noise?: DeltaNoise | null;
}

/**
 * The spread of the paired per-case delta (candidate's case mean minus
 * baseline's), split into the part that more repetitions would shrink and
 * the part they would not: `observed` is about `between + within / n` at
 * `n` repetitions per case in each run.
 */
export interface DeltaNoise {
  /** The sample variance, across cases, of the per-case delta as measured. */
  readonly observed: number;
  /** The part of `observed` that comes from which cases there are: `observed` minus the repetition part, at least 0. */
  readonly between: number;
  /** The per-repetition variance of the paired delta: the baseline's plus the candidate's within-case variance, pooled over cases. */
  readonly within: number;
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

/** Each case's mean, count and sum of squared deviations of one measure (NaN values skipped). */
function caseStats(
  { offsets, measures }: NestedSample,
  measure: number,
): { mean: Float64Array; count: Int32Array; squares: Float64Array } {
  const values = measures[measure]!;
  const cases = offsets.length - 1;
  const mean = new Float64Array(cases);
  const count = new Int32Array(cases);
  const squares = new Float64Array(cases);
  for (let i = 0; i < cases; i++) {
    let sum = 0;
    let n = 0;
    for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
      const v = values[j]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    const m = n > 0 ? sum / n : NaN;
    let ss = 0;
    for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
      const v = values[j]!;
      if (v === v) ss += (v - m) ** 2;
    }
    mean[i] = m;
    count[i] = n;
    squares[i] = ss;
  }
  return { mean, count, squares };
}

/** The variance ratio above which a between-case part is counted. */
const BETWEEN_F = 2;

/**
 * Splits the spread of the paired per-case delta of one measure into case
 * and repetition noise (see {@linkcode DeltaNoise}). Each run's
 * within-case variance is pooled over the cases measured in both runs
 * (sum of squared deviations over degrees of freedom); the repetition part
 * of the observed spread is the mean over those cases of
 * `s2_baseline / n_baseline + s2_candidate / n_candidate`. `null` with
 * fewer than two such cases, or when a run has one repetition per case
 * (no within-case variance to pool).
 */
export function deltaNoise(
  baseline: NestedSample,
  candidate: NestedSample,
  measure: number,
): DeltaNoise | null {
  const b = caseStats(baseline, measure);
  const c = caseStats(candidate, measure);
  const deltas: number[] = [];
  let ssB = 0;
  let dfB = 0;
  let ssC = 0;
  let dfC = 0;
  for (let i = 0; i < b.mean.length; i++) {
    if (b.count[i]! === 0 || c.count[i]! === 0) continue;
    deltas.push(c.mean[i]! - b.mean[i]!);
    ssB += b.squares[i]!;
    dfB += b.count[i]! - 1;
    ssC += c.squares[i]!;
    dfC += c.count[i]! - 1;
  }
  if (deltas.length < 2 || dfB === 0 || dfC === 0) return null;
  const mean = deltas.reduce((s, d) => s + d, 0) / deltas.length;
  const observed = deltas.reduce((s, d) => s + (d - mean) ** 2, 0) /
    (deltas.length - 1);
  const s2B = ssB / dfB;
  const s2C = ssC / dfC;
  let repetitionPart = 0;
  for (let i = 0; i < b.mean.length; i++) {
    if (b.count[i]! === 0 || c.count[i]! === 0) continue;
    repetitionPart += s2B / b.count[i]! + s2C / c.count[i]!;
  }
  repetitionPart /= deltas.length;
  // With a handful of cases the between-case estimate is very noisy, and a
  // check is inconclusive exactly when its spread came out wide. Count a
  // between-case part only when the spread of case deltas clearly exceeds
  // what repetition noise explains (variance ratio above BETWEEN_F, a
  // conservative stand-in for an F-test); otherwise all of it is taken as
  // repetition noise, which more repetitions do shrink.
  const between = observed > BETWEEN_F * repetitionPart
    ? observed - repetitionPart
    : 0;
  return { observed, between, within: s2B + s2C };
}

/** Whether a scorecard resampled exactly these cases, in this order. */
function sameCases(
  cases: readonly string[],
  keys: readonly string[],
): boolean {
  if (cases.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (cases[i] !== keys[i]) return false;
  return true;
}

/**
 * Measures every delta between two runs with a paired case bootstrap (the
 * scoring bootstrap: cases drawn once for both runs, each drawn case
 * bringing all its repetitions, as its mean). The whole run is resampled for the
 * dimensions, the aggregate, the cost and the rates; each slice is
 * resampled over its own cases.
 */
export function measureDeltas(
  input: {
    baseline: RunFigures;
    candidate: RunFigures;
    dimensions: readonly string[];
    reuse?: {
      baseline: ScorecardDistributions;
      candidate: ScorecardDistributions;
    } | undefined;
  },
  options: MeasureOptions,
): Measurement {
  const { baseline, candidate, dimensions, reuse } = input;
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
  // The scorecards resampled the score and the dimensions over the same
  // cases with the same seed when both runs have exactly the paired cases:
  // their distributions are these, value for value.
  const shared = reuse !== undefined && pairs.length > 0 &&
    sameCases(reuse.baseline.cases, keys) &&
    sameCases(reuse.candidate.cases, keys) &&
    reuse.baseline.run.length === COST &&
    reuse.candidate.run.length === COST &&
    reuse.baseline.run.every((d) => d.length === options.resamples) &&
    reuse.candidate.run.every((d) => d.length === options.resamples);
  let bd: Float64Array[] = [];
  let cd: Float64Array[] = [];
  if (shared) {
    // Each measure is resampled on its own: the rest alone gives the same values.
    const rest = (s: NestedSample) => ({
      offsets: s.offsets,
      measures: s.measures.slice(COST),
    });
    const [br = [], cr = []] = bootstrapNested([rest(b), rest(c)], {
      seed: options.seed,
      resamples: options.resamples,
    });
    bd = [...reuse.baseline.run, ...br];
    cd = [...reuse.candidate.run, ...cr];
  } else if (pairs.length) {
    [bd = [], cd = []] = bootstrapNested([b, c], {
      seed: options.seed,
      resamples: options.resamples,
    });
  }

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
      noise: deltaNoise(b, c, m),
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
    const sliceKeys = inSlice.map((p) => p.base[0]!.case_key);
    const reusedBase = shared ? reuse.baseline.slices.get(slice) : undefined;
    const reusedCand = shared ? reuse.candidate.slices.get(slice) : undefined;
    const [[sbd] = [], [scd] = []] = reusedBase && reusedCand &&
        sameCases(reusedBase.cases, sliceKeys) &&
        sameCases(reusedCand.cases, sliceKeys) &&
        reusedBase.score.length === options.resamples &&
        reusedCand.score.length === options.resamples
      ? [[reusedBase.score], [reusedCand.score]]
      : bootstrapNested([sb, sc], {
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
      noise: deltaNoise(sb, sc, 0),
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
    // The relative delta is about the absolute one over the baseline's
    // mean: the same split between case and repetition noise.
    noise: deltaNoise(b, c, COST),
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
