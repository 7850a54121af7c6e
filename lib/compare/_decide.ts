/**
 * One look of a verdict, the same for `compare` and for the simulation:
 * the measured deltas read at each check's critical value for this look,
 * and, when settling, the undecided limits the next look should decide.
 *
 * @module
 */
import { judgeDeltas, type Judgement } from "./_judge.ts";
import { checkCritical, type LookCounts } from "./_looks.ts";
import type { Measured, Measurement } from "./_measure.ts";
import type { OpenLimit } from "./_settle_plan.ts";
import type { AppliedLimits, CompareMode } from "./verdict.ts";

/** The one-sided error rate of each of a limit's two tests, over all looks. */
export const ALPHA = 0.05;

/** The limits a settling look should decide, and whether deciding any one of them is enough. */
export interface OpenLimits {
  /** The undecided limits to buy repetitions for. */
  readonly limits: OpenLimit[];
  /** Each is past its limit: a breach of any one decides the verdict. */
  readonly anyOne: boolean;
}

/** A look's judgement and the critical value each check was read at. */
export interface LookVerdict {
  /** The verdict and its checks. */
  readonly judgement: Judgement;
  /** Check label (`kind:name`) -> its critical value (z scale) at this look. */
  readonly critical: ReadonlyMap<string, number>;
}

function key(m: { kind: string; name: string }): string {
  return `${m.kind}:${m.name}`;
}

/**
 * Reads a measurement at the latest look of `history` (which must end with
 * this measurement's counts).
 */
export function verdictAtLook(
  measurement: Measurement,
  limits: AppliedLimits,
  mode: CompareMode,
  history: readonly LookCounts[],
  settled: boolean,
): LookVerdict {
  const critical = new Map<string, number>();
  for (const m of measurement.measured) {
    critical.set(key(m), checkCritical(m, history, ALPHA, settled));
  }
  const judgement = judgeDeltas(measurement.measured, limits, {
    mode,
    alpha: ALPHA,
    critical: (m: Measured) => critical.get(key(m))!,
  });
  return { judgement, critical };
}

/**
 * The limits a settling look should decide: the undecided checks with an
 * interval whose estimate is past the limit when there are any (one breach
 * decides the verdict: `anyOne`), else every undecided check, each read at its
 * current critical value (the next look's is not known before its
 * repetitions are). Empty when the verdict is reached, or a dimension or
 * slice was not measured (more repetitions cannot make the verdict pass,
 * so none are bought).
 */
export function openLimits(
  measurement: Measurement,
  look: LookVerdict,
): OpenLimits {
  const none = { limits: [], anyOne: false };
  if (look.judgement.verdict !== "INCONCLUSIVE") return none;
  if (
    look.judgement.checks.some((c) =>
      c.status === "not_measured" && c.outcome !== "pass"
    )
  ) return none;
  const open: OpenLimit[] = [];
  for (const check of look.judgement.checks) {
    if (check.status !== "possibly_breached" || check.limit === null) continue;
    const measured = measurement.measured.find((m) =>
      m.kind === check.kind && m.name === check.name
    );
    if (!measured?.conditional) continue;
    open.push({
      measured,
      limit: check.limit,
      critical: look.critical.get(key(check))!,
    });
  }
  // One breach decides the verdict: while an estimate is past its limit,
  // the next look buys repetitions for those limits only.
  const past = open.filter(({ measured: m, limit }) => {
    const x = m.exact?.toNumber() ?? m.delta!;
    return m.worse === "drop" ? x < limit : x > limit;
  });
  return past.length
    ? { limits: past, anyOne: true }
    : { limits: open, anyOne: false };
}
