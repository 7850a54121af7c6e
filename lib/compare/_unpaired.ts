/**
 * Deltas between two independent samples of inputs (a production window
 * against an earlier window or a suite run), for the verdict's limits:
 * each input is one unit (a suite case's repetitions are averaged into
 * one value), and each delta's standard error is Welch's, with
 * Welch-Satterthwaite degrees of freedom. Unlike `_measure.ts`, nothing
 * is paired: the inference speaks of the traffic each side was drawn
 * from, not of fixed cases.
 *
 * @module
 */
import { Decimal } from "decimal.js";
import { SLICES } from "../schema/task.ts";
import type { CellFigures, RunFigures } from "./_figures.ts";
import { type Measured, round6, type Unmeasured } from "./_measure.ts";

type Read = (cell: CellFigures) => number;

interface Sample {
  readonly keys: string[];
  readonly values: number[];
}

/** Each case's mean of a measure over its cells (cells without the measure left out). */
function caseMeans(cells: readonly CellFigures[], read: Read): Sample {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const cell of cells) {
    const x = read(cell);
    if (!Number.isFinite(x)) continue;
    const s = sums.get(cell.case_key) ?? { sum: 0, n: 0 };
    s.sum += x;
    s.n++;
    sums.set(cell.case_key, s);
  }
  const keys = [...sums.keys()].sort();
  return { keys, values: keys.map((k) => sums.get(k)!.sum / sums.get(k)!.n) };
}

function meanVar(
  values: readonly number[],
): { mean: number; variance: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2
    ? NaN
    : values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, variance };
}

/** Welch's standard error and degrees of freedom of a difference of means. */
function welch(
  vb: number,
  nb: number,
  vc: number,
  nc: number,
): { se: number; df: number } {
  const a = vb / nb;
  const c = vc / nc;
  const se = Math.sqrt(a + c);
  const df = a + c === 0
    ? nb + nc - 2
    : (a + c) ** 2 / (a * a / (nb - 1) + c * c / (nc - 1));
  return { se, df };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? round6(x) : null;
}

function unmeasured(
  base: readonly CellFigures[],
  cand: readonly CellFigures[],
  missing: (cell: CellFigures) => boolean,
): Unmeasured {
  const count = (cells: readonly CellFigures[]) => {
    let of = 0;
    let n = 0;
    for (const cell of cells) {
      if (cell.failed) continue;
      of++;
      if (missing(cell)) n++;
    }
    return { of, cells: n, share: of === 0 ? 0 : n / of };
  };
  const b = count(base);
  const c = count(cand);
  return c.share >= b.share && c.of > 0
    ? { run: "candidate", ...c }
    : { run: "baseline", ...b };
}

/** A difference of means of independent samples, as a verdict check reads it. */
function difference(
  kind: Measured["kind"],
  name: string,
  worse: Measured["worse"],
  base: readonly CellFigures[],
  cand: readonly CellFigures[],
  read: Read,
  missing: Unmeasured | null,
): Measured {
  const b = caseMeans(base, read);
  const c = caseMeans(cand, read);
  const nb = b.values.length;
  const nc = c.values.length;
  const empty = {
    kind,
    name,
    worse,
    baseline: nb ? finite(meanVar(b.values).mean) : null,
    candidate: nc ? finite(meanVar(c.values).mean) : null,
    delta: null,
    cases: Math.min(nb, nc),
    conditional: null,
    case_interval: null,
    unmeasured: missing,
  };
  if (nb < 2 || nc < 2) return empty;
  const mb = meanVar(b.values);
  const mc = meanVar(c.values);
  const { se, df } = welch(mb.variance, nb, mc.variance, nc);
  return {
    ...empty,
    baseline: finite(mb.mean),
    candidate: finite(mc.mean),
    delta: finite(mc.mean - mb.mean),
    cases: Math.min(nb, nc),
    conditional: twoSamples(se, df, mb.variance, mc.variance),
  };
}

/**
 * The interval's basis for two independent samples of inputs: no pairing
 * (no covariance, no shared cases), Welch's degrees of freedom (at least 1).
 */
function twoSamples(
  se: number,
  df: number,
  baseline: number,
  candidate: number,
): NonNullable<Measured["conditional"]> {
  return {
    se,
    df: Math.max(1, df),
    noise: {
      baseline,
      candidate,
      covariance: 0,
      df: Math.max(1, df),
      pooled: "check",
    },
    case_keys: [],
    counts: { nb: [], nc: [], shared: [] },
  };
}

/** Cost per input: the relative growth of the mean, exact; its standard error by the delta method. */
function costGrowth(
  base: readonly CellFigures[],
  cand: readonly CellFigures[],
): Measured {
  const exactMean = (cells: readonly CellFigures[]): Decimal | null => {
    const D = Decimal.clone({ precision: 40 });
    const byCase = new Map<string, { sum: Decimal; n: number }>();
    for (const cell of cells) {
      if (cell.cost_exact === null) return null;
      const s = byCase.get(cell.case_key) ?? { sum: new D(0), n: 0 };
      s.sum = s.sum.plus(cell.cost_exact);
      s.n++;
      byCase.set(cell.case_key, s);
    }
    if (byCase.size === 0) return null;
    let total = new D(0);
    for (const s of byCase.values()) total = total.plus(s.sum.div(s.n));
    return new Decimal(total.div(byCase.size).toString());
  };
  const eb = exactMean(base);
  const ec = exactMean(cand);
  let exact: Decimal | null = null;
  if (eb && ec) {
    if (!eb.isZero()) exact = ec.div(eb).minus(1);
    else if (ec.isZero()) exact = new Decimal(0);
  }
  const fromZero = Boolean(eb?.isZero() && ec && !ec.isZero());
  const b = caseMeans(base, (c) => c.cost);
  const c = caseMeans(cand, (x) => x.cost);
  let conditional: Measured["conditional"] = null;
  if (
    exact !== null && !fromZero && b.values.length > 1 && c.values.length > 1
  ) {
    const mb = meanVar(b.values);
    const mc = meanVar(c.values);
    if (mb.mean > 0) {
      const a = mc.variance / c.values.length / (mb.mean ** 2);
      const d = (mc.mean ** 2) * mb.variance / b.values.length / (mb.mean ** 4);
      const se = Math.sqrt(a + d);
      const df = a + d === 0
        ? b.values.length + c.values.length - 2
        : (a + d) ** 2 /
          (a * a / (c.values.length - 1) + d * d / (b.values.length - 1));
      conditional = {
        ...twoSamples(se, df, mb.variance, mc.variance),
        relative: { ratio: mc.mean / mb.mean, scale: mb.mean },
      };
    }
  }
  return {
    kind: "cost",
    name: "cost per cell",
    worse: "growth",
    baseline: eb?.toNumber() ?? null,
    candidate: ec?.toNumber() ?? null,
    delta: exact === null ? null : round6(exact.toNumber()),
    cases: Math.min(b.values.length, c.values.length),
    conditional,
    case_interval: null,
    unmeasured: null,
    exact,
    fromZero,
  };
}

/** What {@linkcode measureUnpaired} returns. */
export interface UnpairedMeasurement {
  /** Every delta, as the verdict's checks read them. */
  readonly measured: readonly Measured[];
  /** The aggregate score's delta (never a limit). */
  readonly aggregate: Measured;
  /** Inputs on each side. */
  readonly inputs: { readonly baseline: number; readonly candidate: number };
}

/**
 * Measures every delta the verdict holds against a limit (each slice's
 * score, each rubric dimension when judged, cost per input, latency p95,
 * failure and injection rates) between two independent samples.
 */
export function measureUnpaired(input: {
  baseline: RunFigures;
  candidate: RunFigures;
  dimensions: readonly string[];
}): UnpairedMeasurement {
  const base = input.baseline.cells;
  const cand = input.candidate.cells;
  const judged = input.baseline.judged || input.candidate.judged;
  const noJudge = (c: CellFigures) => judged && !c.judged;
  const measured: Measured[] = [];
  for (const slice of SLICES) {
    const b = base.filter((c) => c.slice === slice);
    const c = cand.filter((x) => x.slice === slice);
    if (b.length === 0 && c.length === 0) continue;
    measured.push(difference(
      "slice",
      slice,
      "drop",
      b,
      c,
      (x) => x.score,
      unmeasured(b, c, (x) => noJudge(x) || !(x.score === x.score)),
    ));
  }
  if (judged) {
    input.dimensions.forEach((name, d) => {
      const read: Read = (x) => x.dimensions[d] ?? NaN;
      measured.push(difference(
        "dimension",
        name,
        "drop",
        base,
        cand,
        read,
        unmeasured(base, cand, (x) => !(read(x) === read(x))),
      ));
    });
  }
  measured.push(costGrowth(base, cand));
  const bl = input.baseline.latency_p95_ms;
  const cl = input.candidate.latency_p95_ms;
  measured.push({
    kind: "latency_p95",
    name: "latency p95",
    worse: "growth",
    baseline: bl,
    candidate: cl,
    delta: bl && cl !== null ? round6(cl / bl - 1) : null,
    cases: Math.min(
      new Set(base.map((c) => c.case_key)).size,
      new Set(cand.map((c) => c.case_key)).size,
    ),
    conditional: null,
    case_interval: null,
    unmeasured: null,
  });
  measured.push(
    difference(
      "failure_rate",
      "failure rate",
      "growth",
      base,
      cand,
      (x) => x.failed,
      null,
    ),
  );
  measured.push(
    difference(
      "injection_rate",
      "injection success rate",
      "growth",
      base,
      cand,
      (x) => x.injection,
      null,
    ),
  );
  return {
    measured,
    aggregate: difference(
      "slice",
      "aggregate",
      "drop",
      base,
      cand,
      (x) => x.score,
      null,
    ),
    inputs: {
      baseline: new Set(base.map((c) => c.case_key)).size,
      candidate: new Set(cand.map((c) => c.case_key)).size,
    },
  };
}
