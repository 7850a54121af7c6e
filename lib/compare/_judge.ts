import { Decimal } from "decimal.js";
import { MIN_CASES_FOR_INTERVAL } from "../scoring/small_sample.ts";
import { varianceAt } from "./_conditional.ts";
import { normalCdf, normalQuantile, tQuantile } from "./_distributions.ts";
import { type Measured, round6 } from "./_measure.ts";
import type {
  AppliedLimits,
  CheckOutcome,
  CompareMode,
  DeltaCheck,
  LimitStatus,
  Verdict,
} from "./verdict.ts";

/** The verdict part of a comparison body. */
export interface Judgement {
  /** The verdict. */
  readonly verdict: Verdict;
  /** One line saying why. */
  readonly summary: string;
  /** Failing checks' lines. */
  readonly reasons: string[];
  /** Inconclusive checks' lines. */
  readonly inconclusive: string[];
  /** Improvements' lines. */
  readonly improvements: string[];
  /** Repetitions likely to settle the undecided checks. */
  readonly suggested_repetitions: number | null;
  /** One line per limit that rests on fewer than `MIN_CASES_FOR_INTERVAL` cases. */
  readonly small_sample_warnings: string[];
  /** Every check, failing first. */
  readonly checks: DeltaCheck[];
}

/** How {@linkcode judgeDeltas} reads the measured deltas. */
export interface JudgeOptions {
  /** How noise is read. */
  readonly mode: CompareMode;
  /** The one-sided error rate of each of a limit's two tests. */
  readonly alpha: number;
  /** A check's critical value on the z scale at this look (all of alpha at one look: `z_{1 - alpha}`). */
  readonly critical: (m: Measured) => number;
  /**
   * Suggest repetitions per case for undecided checks. Off for samples
   * that cannot be repeated (production inputs, one call each).
   * @default {true}
   */
  readonly suggestRepetitions?: boolean;
}

/** Beyond this many repetitions per case, more repetitions are not suggested. */
const MAX_SUGGESTED_REPETITIONS = 100;

/** The power a suggested number of repetitions aims at (z of 80%). */
const Z_POWER = normalQuantile(0.8);

/** Kinds whose unmeasured cells hold the verdict (they read judge scores). */
const JUDGED_KINDS = new Set(["dimension", "slice"]);

function limitFor(
  kind: Measured["kind"],
  limits: AppliedLimits,
): number | null {
  switch (kind) {
    case "dimension":
      return limits.dimension;
    case "slice":
      return limits.slice;
    case "cost":
      return limits.cost_growth;
    case "latency_p95":
      return limits.latency_p95_growth;
    case "failure_rate":
      return limits.failure_rate;
    case "injection_rate":
      return limits.injection_rate;
  }
}

/** How far a delta of each bounded kind can go either way (a score's range). */
const RANGE: Partial<Record<Measured["kind"], number>> = {
  slice: 1,
  dimension: 4,
  failure_rate: 1,
  injection_rate: 1,
};

/**
 * The interval a check is decided on: the delta plus or minus `c` standard
 * errors, `c` on the t scale for its degrees of freedom, cut to the
 * deltas the measure's range allows.
 */
export function decisionInterval(
  m: Measured,
  critical: number,
): { low: number; high: number } | null {
  if (m.delta === null || !m.conditional) return null;
  const { se, df } = m.conditional;
  const c = se === 0 ? 0 : tQuantile(normalCdf(critical), Math.max(1, df));
  const center = m.exact ? m.exact.toNumber() : m.delta;
  const range = RANGE[m.kind] ?? Infinity;
  return {
    low: round6(Math.max(-range, center - c * se)),
    high: round6(Math.min(range, center + c * se)),
  };
}

/**
 * Where a measured delta stands against its limit, as two one-sided tests
 * on the decision interval: `breached` when even its near end is past the
 * limit, `within` when even its far end is not (a delta equal to the limit
 * is within it), `possibly_breached` (undecided) otherwise;
 * `not_measured` without data, or, for a dimension or slice, when more
 * than `unmeasuredLimit` of a run's cells were not judged. Without an
 * interval (point mode, latency p95) the estimate decides alone.
 */
export function limitStatus(
  m: Measured,
  limit: number | null,
  interval: { low: number; high: number } | null,
  unmeasuredLimit: number,
): LimitStatus {
  if (
    JUDGED_KINDS.has(m.kind) && m.unmeasured &&
    m.unmeasured.share > unmeasuredLimit
  ) return "not_measured";
  if (m.fromZero) return limit === null ? "within" : "breached";
  if (m.delta === null) return "not_measured";
  if (limit === null) return "within";
  const past = (x: number) => m.worse === "drop" ? x < limit : x > limit;
  const pointPast = m.kind === "cost" && m.exact
    ? m.exact.gt(new Decimal(limit))
    : past(m.delta);
  if (!interval) return pointPast ? "breached" : "within";
  const near = m.worse === "drop" ? interval.high : interval.low;
  const far = m.worse === "drop" ? interval.low : interval.high;
  if (m.conditional?.se === 0) return pointPast ? "breached" : "within";
  if (past(near)) return "breached";
  if (!past(far)) return "within";
  return "possibly_breached";
}

function outcomeOf(
  m: Measured,
  limit: number | null,
  status: LimitStatus,
  mode: CompareMode,
): CheckOutcome {
  if (status === "not_measured") {
    if (!JUDGED_KINDS.has(m.kind) || m.delta === null && !m.unmeasured?.of) {
      return "pass";
    }
    return mode === "strict" ? "fail" : "inconclusive";
  }
  if (limit === null) return "pass";
  switch (mode) {
    case "point":
      return status === "breached" ? "fail" : "pass";
    case "strict":
      return status === "within" ? "pass" : "fail";
    case "confident":
      return status === "breached"
        ? "fail"
        : status === "possibly_breached"
        ? "inconclusive"
        : "pass";
  }
}

/**
 * Repetitions per case (in both runs, for every case of the check) at
 * which an undecided check would likely be decided by one more look: the
 * standard error must fall to `|delta - limit| / (c + z_0.8)`, and it
 * falls as the square root of the repetitions. At least one more than
 * now; `null` when the estimate sits on the limit or more than
 * {@linkcode MAX_SUGGESTED_REPETITIONS} would be needed.
 */
export function repetitionsNeeded(
  m: Measured,
  limit: number,
  alpha: number,
): number | null {
  if (!m.conditional || m.delta === null) return null;
  const { se, df, counts } = m.conditional;
  const distance = Math.abs((m.exact?.toNumber() ?? m.delta) - limit);
  if (distance < 1e-9 || se === 0) return null;
  const c = tQuantile(1 - alpha, Math.max(1, df));
  const target = distance / (c + Z_POWER);
  const now = counts.nb.reduce((s, n, i) => s + Math.min(n, counts.nc[i]!), 0) /
    counts.nb.length;
  const n = Math.max(Math.floor(now) + 1, Math.ceil(now * (se / target) ** 2));
  return n > MAX_SUGGESTED_REPETITIONS ? null : n;
}

function signed(x: number, digits: number): string {
  const text = x.toFixed(digits);
  return x > 0 || (x === 0 && !text.startsWith("-")) ? `+${text}` : text;
}

function formatDelta(m: Measured, x: number): string {
  return m.kind === "cost" || m.kind === "latency_p95"
    ? `${signed(x * 100, 1)}%`
    : signed(x, 3);
}

function formatFigure(m: Measured, x: number | null): string {
  if (x === null) return "n/a";
  switch (m.kind) {
    case "cost":
      return new Decimal(x).toFixed(6);
    case "latency_p95":
      return `${Math.round(x)} ms`;
    default:
      return x.toFixed(3);
  }
}

/** `dimension 'accuracy'`, `slice 'edge'`, or the figure's name. */
export function checkLabel(m: { kind: string; name: string }): string {
  return m.kind === "dimension" || m.kind === "slice"
    ? `${m.kind} '${m.name}'`
    : m.name;
}

/** The two-sided coverage of an interval of `c` standard errors, as a percentage for display. */
function coverage(critical: number): string {
  const pct = (1 - 2 * (1 - normalCdf(critical))) * 100;
  const rounded = Math.round(pct * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
}

function describe(
  m: Measured,
  limit: number | null,
  status: LimitStatus,
  interval: { low: number; high: number } | null,
  critical: number,
  needed: number | null,
  unmeasuredLimit: number,
  repeatable: boolean,
): string {
  const name = checkLabel(m);
  if (m.fromZero) {
    return `${name} grew from ${formatFigure(m, m.baseline)} to ${
      formatFigure(m, m.candidate)
    }${limit === null ? "" : ` (limit ${formatDelta(m, limit)})`}`;
  }
  if (status === "not_measured") {
    const u = m.unmeasured;
    if (u && u.share > unmeasuredLimit) {
      return `${name} not measured in ${
        (u.share * 100).toFixed(1)
      }% of the ${u.run}'s cells (${u.cells} of ${u.of}: judge errors or failed quorums; at most ${
        (unmeasuredLimit * 100).toFixed(0)
      }% may go unjudged): it cannot pass`;
    }
    return `${name} not measured: no data in ${
      m.baseline === null ? "the baseline" : "the candidate"
    }`;
  }
  const delta = m.delta!;
  const bad = m.worse === "drop" ? delta < 0 : delta > 0;
  const verb = status === "breached"
    ? m.worse === "drop" ? "regressed" : "grew"
    : status === "possibly_breached"
    ? bad
      ? m.worse === "drop" ? "may have regressed" : "may have grown"
      // Better on average, but the interval reaches past the limit.
      : delta === 0
      ? "unchanged on average"
      : m.worse === "drop"
      ? "rose on average"
      : "fell on average"
    : delta === 0
    ? "unchanged"
    : bad
    ? m.worse === "drop" ? "dropped" : "grew"
    : "improved";
  const parts = [
    ...(interval
      ? [
        `${coverage(critical)}% CI ${formatDelta(m, interval.low)} to ${
          formatDelta(m, interval.high)
        }${
          m.conditional ? `, ${m.cases} case${m.cases === 1 ? "" : "s"}` : ""
        }`,
      ]
      : []),
    ...(limit === null ? [] : [`limit ${formatDelta(m, limit)}`]),
  ];
  let text = `${name} ${verb} ${formatDelta(m, delta)}${
    parts.length ? ` (${parts.join("; ")})` : ""
  }: ${formatFigure(m, m.baseline)} -> ${formatFigure(m, m.candidate)}`;
  if (status === "possibly_breached") {
    text += !repeatable
      ? "; undecided: the interval straddles the limit; more inputs would narrow it"
      : needed === null
      ? "; undecided: the interval straddles the limit and more repetitions alone are unlikely to settle it"
      : `; undecided: about ${needed} repetitions per case would likely settle it`;
  }
  return text;
}

const ORDER: Record<CheckOutcome, number> = {
  fail: 0,
  inconclusive: 1,
  pass: 2,
};

/**
 * Holds every measured delta against its limit under a mode and reaches
 * the verdict: any failing check rejects, whatever the aggregate did; a
 * check left undecided (confident mode) or not measured makes the verdict
 * inconclusive; the verdict approves only when every limited check is
 * decided within its limit (an intersection-union test: no correction for
 * the number of checks is needed for the approval's error rate).
 */
export function judgeDeltas(
  measured: readonly Measured[],
  limits: AppliedLimits,
  options: JudgeOptions,
): Judgement {
  const { mode, alpha } = options;
  const checks: DeltaCheck[] = measured.map((m) => {
    const limit = limitFor(m.kind, limits);
    const critical = options.critical(m);
    const interval = mode === "point" ? null : decisionInterval(m, critical);
    const shownInterval = decisionInterval(m, critical);
    const status = limitStatus(m, limit, interval, limits.unmeasured);
    const outcome = outcomeOf(m, limit, status, mode);
    const needed = status === "possibly_breached" && limit !== null &&
        options.suggestRepetitions !== false
      ? repetitionsNeeded(m, limit, alpha)
      : null;
    const improved = !m.fromZero && m.delta !== null &&
      status !== "not_measured" &&
      (m.worse === "drop" ? m.delta > 0 : m.delta < 0);
    return {
      kind: m.kind,
      name: m.name,
      worse: m.worse,
      baseline: m.baseline,
      candidate: m.candidate,
      delta: m.delta,
      interval: shownInterval,
      limit,
      status,
      outcome,
      improved,
      repetitions_needed: needed,
      text: describe(
        m,
        limit,
        status,
        shownInterval,
        critical,
        needed,
        limits.unmeasured,
        options.suggestRepetitions !== false,
      ),
      cases: m.cases,
      standard_error: m.conditional ? round6(m.conditional.se) : null,
      critical_value: m.conditional && m.delta !== null
        ? round6(tQuantile(normalCdf(critical), Math.max(1, m.conditional.df)))
        : null,
      case_interval: m.case_interval,
      unmeasured_share: m.unmeasured ? round6(m.unmeasured.share) : null,
    };
  });
  // Warnings in the measured order (slices, then dimensions, then figures).
  const limited = checks.filter((c) =>
    c.limit !== null && c.delta !== null && c.cases !== undefined &&
    c.cases > 0 && c.cases < MIN_CASES_FOR_INTERVAL
  );
  checks.sort((a, b) => ORDER[a.outcome] - ORDER[b.outcome]);
  const failing = checks.filter((c) => c.outcome === "fail");
  const open = checks.filter((c) => c.outcome === "inconclusive");
  const verdict: Verdict = failing.length
    ? "REJECTED"
    : open.length
    ? "INCONCLUSIVE"
    : "APPROVED";
  const undecided = open.filter((c) => c.status === "possibly_breached");
  const blind = open.filter((c) => c.status === "not_measured");
  const needs = undecided.map((c) => c.repetitions_needed);
  const suggested = needs.length && needs.every((n) => n !== null)
    ? Math.max(...(needs as number[]))
    : null;
  const names = (list: DeltaCheck[]) => list.map(checkLabel).join(", ");
  const plural = (n: number) => `${n} limit${n === 1 ? "" : "s"}`;
  const inconclusive = [
    ...(blind.length ? [`not measured: ${names(blind)}`] : []),
    ...(undecided.length
      ? [
        `${plural(undecided.length)} undecided (${names(undecided)}); ${
          options.suggestRepetitions === false
            ? "more inputs in the window would narrow it; review the figures"
            : suggested === null
            ? "more repetitions alone are unlikely to settle it; review the figures"
            : `about ${suggested} repetitions per case would likely settle it`
        }`,
      ]
      : []),
  ];
  const summary = verdict === "REJECTED"
    ? `REJECTED: ${plural(failing.length)} ${
      failing.every((c) => c.status === "breached")
        ? "breached"
        : "breached, undecided or not measured"
    } (${names(failing)})`
    : verdict === "INCONCLUSIVE"
    ? `INCONCLUSIVE: ${inconclusive.join("; ")}`
    : `APPROVED: every limit within`;
  return {
    verdict,
    summary,
    reasons: failing.map((c) => c.text),
    inconclusive: open.map((c) => c.text),
    improvements: checks.filter((c) => c.improved && c.outcome === "pass")
      .map((c) => c.text),
    suggested_repetitions: suggested,
    small_sample_warnings: limited.map((c) =>
      `${checkLabel(c)} rests on ${c.cases} case${
        c.cases === 1 ? "" : "s"
      } (fewer than ${MIN_CASES_FOR_INTERVAL}): its interval speaks of these cases only; add cases to speak of the slice`
    ),
    checks,
  };
}

/** The variance a check would have with `add` more repetitions of each of its cases in both runs. */
export function projectedVariance(
  m: Measured,
  add: (caseKey: string) => number,
): number {
  const c = m.conditional!;
  const counts = {
    nb: c.counts.nb.map((n, i) => n + add(c.case_keys[i]!)),
    nc: c.counts.nc.map((n, i) => n + add(c.case_keys[i]!)),
    shared: c.counts.shared.map((n, i) => n + add(c.case_keys[i]!)),
  };
  return varianceAt(c.noise, counts, c.relative);
}
