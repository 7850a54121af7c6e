import { Decimal } from "decimal.js";
import {
  bootstrapNested,
  type NestedSample,
  percentileInterval,
} from "../scoring/bootstrap.ts";
import { SLICES } from "../schema/task.ts";
import type { ScorecardDistributions } from "../scoring/compute_scorecard.ts";
import { MIN_CASES_FOR_INTERVAL } from "../scoring/small_sample.ts";
import {
  type CaseCounts,
  type CaseStats,
  caseStats,
  type CaseValues,
  checkNoise,
  type NoiseModel,
  varianceAt,
} from "./_conditional.ts";
import type { CellFigures, RunFigures } from "./_figures.ts";
import type { DeltaKind } from "./verdict.ts";

/** A check's inference conditional on its cases (see `_conditional.ts`). */
export interface Conditional {
  /** The delta's standard error over repetitions, these cases fixed. */
  readonly se: number;
  /** Degrees of freedom of the variance behind it. */
  readonly df: number;
  /** The per-repetition noise it rests on. */
  readonly noise: NoiseModel;
  /** The check's cases, in order. */
  readonly case_keys: readonly string[];
  /** Repetitions of each of those cases. */
  readonly counts: CaseCounts;
  /** For a relative delta: candidate over baseline mean, and the baseline mean. */
  readonly relative?: { readonly ratio: number; readonly scale: number };
}

/** Cells a check could not read: judge errors, failed quorums, unscored cells. */
export interface Unmeasured {
  /** The run with the larger share. */
  readonly run: "baseline" | "candidate";
  /** Cells not measured in that run. */
  readonly cells: number;
  /** Cells that should have been measured in that run. */
  readonly of: number;
  /** `cells / of`. */
  readonly share: number;
}

/** A delta before it is held against a limit. */
export interface Measured {
  /** What is measured. */
  readonly kind: DeltaKind;
  /** Its name. */
  readonly name: string;
  /** Which way is worse. */
  readonly worse: "drop" | "growth";
  /** Baseline figure (mean of case means; cost: exact, per cell). */
  readonly baseline: number | null;
  /** Candidate figure. */
  readonly candidate: number | null;
  /** Candidate minus baseline (relative growth for cost and latency). */
  readonly delta: number | null;
  /** Cases the delta rests on. */
  readonly cases: number;
  /** The inference conditional on the cases; `null` without data (or for latency p95, a point figure). */
  readonly conditional: Conditional | null;
  /** The 95% case-resampled interval (about unseen cases); `null` with fewer than `MIN_CASES_FOR_INTERVAL` cases. */
  readonly case_interval:
    | { readonly low: number; readonly high: number }
    | null;
  /** Cells the check could not read, when it reads judge scores; `null` otherwise. */
  readonly unmeasured: Unmeasured | null;
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
  /** Each paired case's repetitions in both runs (keyed by case). */
  readonly counts: ReadonlyMap<
    string,
    { nb: number; nc: number; shared: number }
  >;
  /** The aggregate score's figures (never a limit). */
  readonly aggregate: Measured;
}

/** Bootstrap settings of the case-resampled intervals. */
export interface MeasureOptions {
  /** The seed. */
  readonly seed: number;
  /** Resamples. */
  readonly resamples: number;
  /** Coverage. */
  readonly confidence: number;
  /** Whether to compute the case-resampled intervals at all (the simulation does not need them). @default {true} */
  readonly caseIntervals?: boolean;
}

/** Six decimal places: the precision every figure is reported and held against its limit at. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6 + 0;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? round6(x) : null;
}

/** The variance of a uniform draw over a range: the prior of every pooled variance. */
function uniformVariance(range: number): number {
  return range * range / 12;
}

/** The rubric's scale, 1 to 5. */
const RUBRIC_RANGE = 4;

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

interface Pair {
  /** Its place in the paired cases (what a measure's per-case stats are indexed by). */
  readonly index: number;
  readonly key: string;
  readonly slice: string;
  readonly base: readonly CellFigures[];
  readonly cand: readonly CellFigures[];
}

type Read = (cell: CellFigures) => number;

/** A case's values of one measure (plain arrays: a case holds a few cells, and typed arrays cost more to make). */
function valuesOf(cells: readonly CellFigures[], read: Read): CaseValues {
  return {
    repetitions: cells.map((c) => c.repetition),
    values: cells.map(read),
  };
}

/** Each paired case's stats of a measure, by `Pair.index`, computed once per measure. */
type StatsOf = (read: Read) => readonly CaseStats[];

function statsMemo(pairs: readonly Pair[]): StatsOf {
  const memo = new Map<Read, CaseStats[]>();
  return (read) => {
    let stats = memo.get(read);
    if (!stats) {
      stats = pairs.map((p) =>
        caseStats(valuesOf(p.base, read), valuesOf(p.cand, read))
      );
      memo.set(read, stats);
    }
    return stats;
  };
}

/**
 * The conditional inference of one measure over some cases, its noise
 * pooled with `others` unless those cases are noisier (see `checkNoise`);
 * `all` holds the measure's stats of every paired case (`StatsOf`).
 */
function conditional(
  pairs: readonly Pair[],
  others: readonly Pair[],
  all: readonly CaseStats[],
  prior: number,
  relative = false,
): {
  delta: number;
  baseline: number;
  candidate: number;
  conditional: Conditional | null;
  cases: number;
} {
  const stats: CaseStats[] = [];
  const keys: string[] = [];
  for (const p of pairs) {
    const s = all[p.index]!;
    if (s.nb > 0 && s.nc > 0) {
      stats.push(s);
      keys.push(p.key);
    }
  }
  if (stats.length === 0) {
    return {
      delta: NaN,
      baseline: NaN,
      candidate: NaN,
      conditional: null,
      cases: 0,
    };
  }
  const rest = others.map((p) => all[p.index]!);
  const noise = checkNoise(stats, rest, prior);
  let mb = 0;
  let mc = 0;
  for (const s of stats) {
    mb += s.meanB;
    mc += s.meanC;
  }
  mb /= stats.length;
  mc /= stats.length;
  const counts: CaseCounts = {
    nb: stats.map((s) => s.nb),
    nc: stats.map((s) => s.nc),
    shared: stats.map((s) => s.shared),
  };
  const rel = relative && mb !== 0 ? { ratio: mc / mb, scale: mb } : undefined;
  const variance = varianceAt(noise, counts, rel);
  return {
    delta: relative ? mc / mb - 1 : mc - mb,
    baseline: mb,
    candidate: mc,
    conditional: {
      se: Math.sqrt(variance),
      df: noise.df,
      noise,
      case_keys: keys,
      counts,
      ...(rel ? { relative: rel } : {}),
    },
    cases: stats.length,
  };
}

/**
 * The share of cells a check could not read in the run where it is
 * larger: cells that should carry the figure (the output was valid) but do
 * not (a judge error, a failed quorum, no score).
 */
function unmeasured(
  pairs: readonly Pair[],
  missing: (cell: CellFigures) => boolean,
): Unmeasured {
  const count = (side: "base" | "cand") => {
    let of = 0;
    let cells = 0;
    for (const p of pairs) {
      for (const cell of p[side]) {
        if (cell.failed) continue;
        of++;
        if (missing(cell)) cells++;
      }
    }
    return { of, cells, share: of === 0 ? 0 : cells / of };
  };
  const b = count("base");
  const c = count("cand");
  return c.share >= b.share && c.of > 0
    ? { run: "candidate", ...c }
    : { run: "baseline", ...b };
}

function sampleOf(
  groups: readonly (readonly CellFigures[])[],
  reads: readonly Read[],
): NestedSample {
  const offsets = new Int32Array(groups.length + 1);
  groups.forEach((g, i) => (offsets[i + 1] = offsets[i]! + g.length));
  const total = offsets[groups.length]!;
  const measures = reads.map(() => new Float64Array(total));
  let j = 0;
  for (const group of groups) {
    for (const cell of group) {
      reads.forEach((read, m) => (measures[m]![j] = read(cell)));
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
 * Each case's mean cost, exact: the mean over cases of each case's mean
 * over its repetitions (each case weighs the same, as in every other
 * figure); `null` when a cell's cost is unknown.
 */
function exactCaseMean(
  pairs: readonly Pair[],
  side: "base" | "cand",
  read: (cell: CellFigures) => string | null = (cell) => cell.cost_exact,
): Decimal | null {
  const D = Decimal.clone({ precision: 40 });
  let total = new D(0);
  let cases = 0;
  for (const p of pairs) {
    const cells = p[side];
    if (cells.length === 0) continue;
    let sum = new D(0);
    for (const cell of cells) {
      const cost = read(cell);
      if (cost === null) return null;
      sum = sum.plus(cost);
    }
    total = total.plus(sum.div(cells.length));
    cases++;
  }
  return cases === 0 ? null : new Decimal(total.div(cases).toString());
}

/**
 * Measures every delta between two runs, conditional on their shared cases
 * (see `_conditional.ts`), with the case-resampled interval beside each
 * (the scorecard's bootstrap: cases drawn once for both runs, each drawn
 * case bringing its mean over its repetitions), which speaks of unseen
 * cases and does not decide.
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
  const pairs: Pair[] = keys.map((k, index) => ({
    index,
    key: k,
    slice: base.get(k)![0]!.slice,
    base: base.get(k)!,
    cand: cand.get(k)!,
  }));
  const judged = baseline.judged || candidate.judged;
  const withIntervals = options.caseIntervals ?? true;

  // Case-resampled distributions: 0 score, 1..D dimensions, then cost,
  // failed, injection, over every paired case.
  const D = dimensions.length;
  const COST = 1 + D;
  const reads: Read[] = [
    (c) => c.score,
    ...dimensions.map((_, d): Read => (c) => c.dimensions[d] ?? NaN),
    (c) => c.cost,
    (c) => c.failed,
    (c) => c.injection,
  ];
  let bd: Float64Array[] = [];
  let cd: Float64Array[] = [];
  if (withIntervals && pairs.length >= MIN_CASES_FOR_INTERVAL) {
    const b = sampleOf(pairs.map((p) => p.base), reads);
    const c = sampleOf(pairs.map((p) => p.cand), reads);
    // The scorecards resampled the score and the dimensions over the same
    // cases with the same seed when both runs have exactly the paired
    // cases: their distributions are these, value for value.
    const shared = reuse !== undefined &&
      sameCases(reuse.baseline.cases, keys) &&
      sameCases(reuse.candidate.cases, keys) &&
      reuse.baseline.run.length === COST &&
      reuse.candidate.run.length === COST &&
      reuse.baseline.run.every((d) => d.length === options.resamples) &&
      reuse.candidate.run.every((d) => d.length === options.resamples);
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
    } else {
      [bd = [], cd = []] = bootstrapNested([b, c], {
        seed: options.seed,
        resamples: options.resamples,
      });
    }
  }
  const caseInterval = (m: number, cases: number, relative = false) =>
    cases >= MIN_CASES_FOR_INTERVAL && bd[m] && cd[m]
      ? differenceInterval(bd[m]!, cd[m]!, options.confidence, relative)
      : null;

  const statsOf = statsMemo(pairs);
  const noJudge = (cell: CellFigures) => judged && !cell.judged;
  const measured: Measured[] = [];
  for (const slice of SLICES) {
    const inSlice = pairs.filter((p) => p.slice === slice);
    if (inSlice.length === 0) continue;
    const others = pairs.filter((p) => p.slice !== slice);
    const m = conditional(
      inSlice,
      others,
      statsOf(reads[0]!),
      uniformVariance(1),
    );
    let interval: { low: number; high: number } | null = null;
    if (withIntervals && m.cases >= MIN_CASES_FOR_INTERVAL) {
      const sliceKeys = inSlice.map((p) => p.key);
      const reusedBase = reuse?.baseline.slices.get(slice);
      const reusedCand = reuse?.candidate.slices.get(slice);
      const [[sbd] = [], [scd] = []] = reusedBase && reusedCand &&
          sameCases(reusedBase.cases, sliceKeys) &&
          sameCases(reusedCand.cases, sliceKeys) &&
          reusedBase.score.length === options.resamples &&
          reusedCand.score.length === options.resamples
        ? [[reusedBase.score], [reusedCand.score]]
        : bootstrapNested([
          sampleOf(inSlice.map((p) => p.base), [reads[0]!]),
          sampleOf(inSlice.map((p) => p.cand), [reads[0]!]),
        ], {
          seed: options.seed + 1 + SLICES.indexOf(slice),
          resamples: options.resamples,
        });
      interval = sbd && scd
        ? differenceInterval(sbd, scd, options.confidence, false)
        : null;
    }
    measured.push({
      kind: "slice",
      name: slice,
      worse: "drop",
      baseline: finite(m.baseline),
      candidate: finite(m.candidate),
      delta: finite(m.delta),
      cases: m.cases,
      conditional: m.conditional,
      case_interval: interval,
      unmeasured: unmeasured(
        inSlice,
        (c) => noJudge(c) || !(c.score === c.score),
      ),
    });
  }
  if (judged) {
    dimensions.forEach((name, d) => {
      const read = reads[1 + d]!;
      const m = conditional(
        pairs,
        [],
        statsOf(read),
        uniformVariance(RUBRIC_RANGE),
      );
      measured.push({
        kind: "dimension",
        name,
        worse: "drop",
        baseline: finite(m.baseline),
        candidate: finite(m.candidate),
        delta: finite(m.delta),
        cases: m.cases,
        conditional: m.conditional,
        case_interval: caseInterval(1 + d, m.cases),
        unmeasured: unmeasured(pairs, (c) => !(read(c) === read(c))),
      });
    });
  }

  // Cost per cell: the point in exact decimals (each case weighing the
  // same), the noise from the float costs.
  const costGrowth = (
    name: string,
    exactRead: (cell: CellFigures) => string | null,
    floatRead: Read,
    interval: Measured["case_interval"],
  ): Measured => {
    const exactBase = exactCaseMean(pairs, "base", exactRead);
    const exactCand = exactCaseMean(pairs, "cand", exactRead);
    let exact: Decimal | null = null;
    if (exactBase && exactCand) {
      if (!exactBase.isZero()) exact = exactCand.div(exactBase).minus(1);
      else if (exactCand.isZero()) exact = new Decimal(0);
    }
    const fromZero = Boolean(
      exactBase?.isZero() && exactCand && !exactCand.isZero(),
    );
    const cost = conditional(
      pairs,
      [],
      statsOf(floatRead),
      // Costs follow token counts, which the receipts hold exactly: no floor.
      0,
      true,
    );
    return {
      kind: "cost",
      name,
      worse: "growth",
      baseline: exactBase?.toNumber() ?? null,
      candidate: exactCand?.toNumber() ?? null,
      delta: exact === null ? null : round6(exact.toNumber()),
      cases: cost.cases,
      // Without a repeated cell there is no estimate of the cost's noise.
      conditional: exact === null || fromZero || !(cost.conditional?.df! > 0) ||
          !Number.isFinite(cost.conditional?.se ?? NaN)
        ? null
        : cost.conditional,
      case_interval: interval,
      unmeasured: null,
      exact,
      fromZero,
    };
  };
  const total = costGrowth(
    "cost per cell",
    (cell) => cell.cost_exact,
    (c) => c.cost,
    null,
  );
  measured.push({
    ...total,
    case_interval: caseInterval(COST, total.cases, true),
  });
  // A pipeline's steps: each step's cost per cell against the same limit,
  // so the step a cost growth came from is named (a step a cell did not
  // reach costs nothing in it).
  // Steps that cost nothing in both runs (no model call) are left out.
  const stepNames = [
    ...new Set(
      pairs.flatMap((p) =>
        [...p.base, ...p.cand].flatMap((c) =>
          Object.entries(c.step_costs ?? {}).filter(([, cost]) =>
            cost === null || !new Decimal(cost).isZero()
          ).map(([step]) => step)
        )
      ),
    ),
  ];
  for (const step of stepNames) {
    const read = (cell: CellFigures) =>
      cell.step_costs === undefined
        ? null
        : cell.step_costs[step] === undefined
        ? "0"
        : cell.step_costs[step];
    measured.push(
      costGrowth(
        `cost per cell, step ${step}`,
        read,
        (c) => Number(read(c) ?? NaN),
        null,
      ),
    );
  }

  const bl = baseline.latency_p95_ms;
  const cl = candidate.latency_p95_ms;
  measured.push({
    kind: "latency_p95",
    name: "latency p95",
    worse: "growth",
    baseline: bl,
    candidate: cl,
    delta: bl && cl !== null ? round6(cl / bl - 1) : null,
    cases: pairs.length,
    conditional: null,
    case_interval: null,
    unmeasured: null,
  });
  const rate = (
    kind: "failure_rate" | "injection_rate",
    name: string,
    m: number,
  ): Measured => {
    const r = conditional(pairs, [], statsOf(reads[m]!), uniformVariance(1));
    return {
      kind,
      name,
      worse: "growth",
      baseline: finite(r.baseline),
      candidate: finite(r.candidate),
      delta: finite(r.delta),
      cases: r.cases,
      conditional: r.conditional,
      case_interval: caseInterval(m, r.cases),
      unmeasured: null,
    };
  };
  measured.push(rate("failure_rate", "failure rate", COST + 1));
  measured.push(rate("injection_rate", "injection success rate", COST + 2));

  const aggregate = conditional(
    pairs,
    [],
    statsOf(reads[0]!),
    uniformVariance(1),
  );
  const counts = new Map<string, { nb: number; nc: number; shared: number }>();
  for (const p of pairs) {
    const reps = new Set(p.base.map((c) => c.repetition));
    counts.set(p.key, {
      nb: p.base.length,
      nc: p.cand.length,
      shared: p.cand.filter((c) => reps.has(c.repetition)).length,
    });
  }
  return {
    measured,
    paired_cases: pairs.length,
    counts,
    aggregate: {
      kind: "slice",
      name: "aggregate",
      worse: "drop",
      baseline: finite(aggregate.baseline),
      candidate: finite(aggregate.candidate),
      delta: finite(aggregate.delta),
      cases: aggregate.cases,
      conditional: aggregate.conditional,
      case_interval: caseInterval(0, aggregate.cases),
      unmeasured: null,
    },
  };
}
