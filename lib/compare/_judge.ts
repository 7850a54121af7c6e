import { Decimal } from "decimal.js";
import type { Measured } from "./_measure.ts";
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
  /** Repetitions likely to settle the inconclusive checks. */
  readonly suggested_repetitions: number | null;
  /** Every check, failing first. */
  readonly checks: DeltaCheck[];
}

/** Beyond this many repetitions per case, more repetitions are not suggested. */
const MAX_SUGGESTED_REPETITIONS = 100;

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

/** Where a measured delta stands against its limit, whatever the mode. */
export function limitStatus(m: Measured, limit: number | null): LimitStatus {
  if (m.fromZero) return limit === null ? "within" : "breached";
  if (m.delta === null) return "not_measured";
  if (limit === null) return "within";
  const past = (x: number) => m.worse === "drop" ? x < limit : x > limit;
  const pointPast = m.kind === "cost" && m.exact
    ? m.exact.gt(new Decimal(limit))
    : past(m.delta);
  if (!m.interval) return pointPast ? "breached" : "within";
  const near = m.worse === "drop" ? m.interval.high : m.interval.low;
  const far = m.worse === "drop" ? m.interval.low : m.interval.high;
  if (past(near) && pointPast) return "breached";
  if (past(far) || pointPast) return "possibly_breached";
  return "within";
}

function outcomeOf(
  m: Measured,
  limit: number | null,
  status: LimitStatus,
  mode: CompareMode,
): CheckOutcome {
  if (limit === null || status === "not_measured") return "pass";
  switch (mode) {
    case "point":
      return limitStatus({ ...m, interval: null }, limit) === "breached"
        ? "fail"
        : "pass";
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
 * The share of the distance to the limit the half-width must shrink to for
 * a re-run to settle the question with about 80% probability, if the
 * estimate holds: 1.96 / (1.96 + 0.84), the usual power calculation.
 */
const SETTLE_SHARE = 1.96 / (1.96 + 0.84);

/**
 * Repetitions per case likely to settle a possible breach. The half-width
 * must shrink to {@linkcode SETTLE_SHARE} of the distance between the
 * estimate and the limit, so the variance of the mean delta must shrink by
 * `(SETTLE_SHARE * distance / half-width)^2`. That variance is about
 * `(between + within / n) / cases` at `n` repetitions per case (see
 * `DeltaNoise`): only the repetition part shrinks with `n`, the
 * between-case part does not, so the target is reached at
 * `n = within / (observed * shrink - between)`, and never when
 * `observed * shrink <= between`. Without a noise split (one repetition
 * per case, or one case) all the noise is taken for repetition noise:
 * `n = repetitions / shrink`. At least `repetitions + 1`; `null` when the
 * estimate sits on the limit, repetitions alone cannot get there, or the
 * answer is more than {@linkcode MAX_SUGGESTED_REPETITIONS}.
 */
export function repetitionsNeeded(
  m: Measured,
  limit: number,
  repetitions: number,
): number | null {
  if (!m.interval || m.delta === null) return null;
  const half = (m.interval.high - m.interval.low) / 2;
  const distance = Math.abs(m.delta - limit);
  if (distance < 1e-9) return null;
  const shrink = (SETTLE_SHARE * distance / half) ** 2;
  let needed: number;
  if (m.noise && m.noise.observed > 0) {
    const target = m.noise.observed * shrink;
    if (target <= m.noise.between) return null;
    needed = m.noise.within / (target - m.noise.between);
  } else {
    needed = repetitions / shrink;
  }
  const n = Math.max(repetitions + 1, Math.ceil(needed));
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

function label(m: Measured): string {
  return m.kind === "dimension" || m.kind === "slice"
    ? `${m.kind} '${m.name}'`
    : m.name;
}

function describe(
  m: Measured,
  limit: number | null,
  status: LimitStatus,
  needed: number | null,
): string {
  const name = label(m);
  if (m.fromZero) {
    return `${name} grew from ${formatFigure(m, m.baseline)} to ${
      formatFigure(m, m.candidate)
    }${limit === null ? "" : ` (limit ${formatDelta(m, limit)})`}`;
  }
  if (status === "not_measured" || m.delta === null) {
    return `${name} not measured: no data in ${
      m.baseline === null ? "the baseline" : "the candidate"
    }`;
  }
  const bad = m.worse === "drop" ? m.delta < 0 : m.delta > 0;
  const verb = status === "breached"
    ? m.worse === "drop" ? "regressed" : "grew"
    : status === "possibly_breached"
    ? bad
      ? m.worse === "drop" ? "may have regressed" : "may have grown"
      // Better on average, but the interval reaches past the limit.
      : m.delta === 0
      ? "unchanged on average"
      : m.worse === "drop"
      ? "rose on average"
      : "fell on average"
    : m.delta === 0
    ? "unchanged"
    : bad
    ? m.worse === "drop" ? "dropped" : "grew"
    : "improved";
  const parts = [
    ...(m.interval
      ? [
        `95% CI ${formatDelta(m, m.interval.low)} to ${
          formatDelta(m, m.interval.high)
        }`,
      ]
      : []),
    ...(limit === null ? [] : [`limit ${formatDelta(m, limit)}`]),
  ];
  let text = `${name} ${verb} ${formatDelta(m, m.delta)}${
    parts.length ? ` (${parts.join("; ")})` : ""
  }: ${formatFigure(m, m.baseline)} -> ${formatFigure(m, m.candidate)}`;
  if (status === "possibly_breached") {
    text += needed === null
      ? "; the interval straddles the limit and more repetitions alone are unlikely to settle it"
      : `; the interval straddles the limit: about ${needed} repetitions per case would likely settle it`;
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
 * the verdict: any failing check rejects, whatever the aggregate did; in
 * `confident` mode a possible breach without a certain one is inconclusive.
 */
export function judgeDeltas(
  measured: readonly Measured[],
  limits: AppliedLimits,
  mode: CompareMode,
  repetitions: number,
): Judgement {
  const checks: DeltaCheck[] = measured.map((m) => {
    const limit = limitFor(m.kind, limits);
    const status = limitStatus(m, limit);
    const outcome = outcomeOf(m, limit, status, mode);
    const needed = status === "possibly_breached" && limit !== null
      ? repetitionsNeeded(m, limit, repetitions)
      : null;
    // In point mode the text reads the means only, as the verdict does.
    const shown = mode === "point" && status !== "not_measured"
      ? limitStatus({ ...m, interval: null }, limit)
      : status;
    const improved = !m.fromZero && m.delta !== null &&
      (m.worse === "drop" ? m.delta > 0 : m.delta < 0);
    return {
      kind: m.kind,
      name: m.name,
      worse: m.worse,
      baseline: m.baseline,
      candidate: m.candidate,
      delta: m.delta,
      interval: m.interval,
      limit,
      status,
      outcome,
      improved,
      repetitions_needed: needed,
      text: describe(m, limit, shown, needed),
    };
  });
  checks.sort((a, b) => ORDER[a.outcome] - ORDER[b.outcome]);
  const failing = checks.filter((c) => c.outcome === "fail");
  const open = checks.filter((c) => c.outcome === "inconclusive");
  const verdict: Verdict = failing.length
    ? "REJECTED"
    : open.length
    ? "INCONCLUSIVE"
    : "APPROVED";
  const needs = open.map((c) => c.repetitions_needed);
  const suggested = needs.length && needs.every((n) => n !== null)
    ? Math.max(...(needs as number[]))
    : null;
  const names = (list: DeltaCheck[]) =>
    list.map((c) =>
      c.kind === "dimension" || c.kind === "slice"
        ? `${c.kind} '${c.name}'`
        : c.name
    ).join(", ");
  const plural = (n: number) => `${n} limit${n === 1 ? "" : "s"}`;
  const summary = verdict === "REJECTED"
    ? `REJECTED: ${plural(failing.length)} ${
      mode === "strict" && failing.some((c) => c.status !== "breached")
        ? "breached or possibly breached"
        : "breached"
    } (${names(failing)})`
    : verdict === "INCONCLUSIVE"
    ? `INCONCLUSIVE: ${plural(open.length)} possibly breached (${
      names(open)
    }); ${
      suggested === null
        ? "more repetitions alone are unlikely to settle it; review the figures"
        : `run about ${suggested} repetitions per case to settle it`
    }`
    : `APPROVED: no limit breached`;
  return {
    verdict,
    summary,
    reasons: failing.map((c) => c.text),
    inconclusive: open.map((c) => c.text),
    improvements: checks.filter((c) => c.improved && c.outcome === "pass")
      .map((c) => c.text),
    suggested_repetitions: suggested,
    checks,
  };
}
