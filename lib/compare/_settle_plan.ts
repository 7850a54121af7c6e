/**
 * Which cases a settling look repeats, and how often: the cases whose
 * repetitions shrink the variance of the undecided limits most per call
 * (a greedy form of Neyman allocation: each added repetition goes where it
 * buys the largest share of the variance each undecided limit still has
 * to lose, per unit of budget), until every undecided limit is projected
 * to be decided at the next look or the budget is spent.
 *
 * @module
 */
import { normalCdf, normalQuantile, tQuantile } from "./_distributions.ts";
import type { Measured } from "./_measure.ts";

/** An undecided limit, as the planner sees it. */
export interface OpenLimit {
  /** The measured delta (with its conditional inference). */
  readonly measured: Measured;
  /** The limit it straddles. */
  readonly limit: number;
  /** Its critical value (z scale) at the next look. */
  readonly critical: number;
}

/** What a look may spend and on what. */
export interface PlanOptions {
  /** Budget units one more repetition of a case costs, in both runs together. */
  readonly cost: (caseKey: string) => number;
  /** Budget units left. */
  readonly budget: number;
  /** Repetitions each case has now (the smaller of the two runs). */
  readonly repetitions: (caseKey: string) => number;
  /**
   * Deciding any one of the limits is enough (each is a likely breach):
   * plan for the limit that is cheapest to decide, alone.
   * @default {false}
   */
  readonly anyOne?: boolean;
}

/**
 * How far beyond "just decided" a look aims: the next look's standard error
 * is aimed at `distance / (c + Z_AIM)`, so a limit whose estimate holds is
 * decided with about 84% probability.
 */
const Z_AIM = normalQuantile(0.84);

/** The share of a look's budget held back for retries the planner cannot price. */
const RETRY_RESERVE = 0.02;

/** A look repeats a case at most this many times its current repetitions. */
const MAX_GROWTH = 3;

interface Track {
  readonly open: OpenLimit;
  /** Case key -> index in the check's counts. */
  readonly index: Map<string, number>;
  /** Current per-case variance terms (before dividing by K^2 scale). */
  readonly terms: Float64Array;
  readonly denominator: number;
  variance: number;
  readonly target: number;
}

function term(
  open: OpenLimit,
  i: number,
  add: number,
): number {
  const c = open.measured.conditional!;
  const r = c.relative?.ratio ?? 1;
  const nb = c.counts.nb[i]! + add;
  const nc = c.counts.nc[i]! + add;
  const m = c.counts.shared[i]! + add;
  return Math.max(
    0,
    c.noise.candidate / nc + r * r * c.noise.baseline / nb -
      2 * r * c.noise.covariance * m / (nb * nc),
  );
}

/**
 * Plans one settling look: repetitions to add to each case, in both runs.
 * With `anyOne`, the cheapest plan that decides one of the limits. Empty
 * when nothing can be bought (no budget, no undecided limit with an
 * interval).
 */
export function planSettle(
  open: readonly OpenLimit[],
  options: PlanOptions,
): Map<string, number> {
  if (options.anyOne && open.length > 1) {
    let best: { plan: Map<string, number>; cost: number } | null = null;
    for (const limit of open) {
      const plan = planSettle([limit], { ...options, anyOne: false });
      if (plan.size === 0) continue;
      const cost = [...plan].reduce((s, [k, n]) => s + n * options.cost(k), 0);
      if (!best || cost < best.cost) best = { plan, cost };
    }
    return best?.plan ?? new Map();
  }
  const tracks: Track[] = [];
  for (const o of open) {
    const c = o.measured.conditional;
    if (!c || o.measured.delta === null || c.se === 0) continue;
    const k = c.case_keys.length;
    const scale = c.relative ? c.relative.scale * c.relative.scale : 1;
    const terms = Float64Array.from(c.case_keys, (_, i) => term(o, i, 0));
    const denominator = k * k * scale;
    const variance = terms.reduce((s, t) => s + t, 0) / denominator;
    const center = o.measured.exact?.toNumber() ?? o.measured.delta;
    // An estimate sitting on its limit still gets repetitions: the
    // distance is taken as at least a quarter of a standard error.
    const distance = Math.max(Math.abs(center - o.limit), 0.25 * c.se);
    const critical = tQuantile(normalCdf(o.critical), Math.max(1, c.df));
    const target = (distance / (critical + Z_AIM)) ** 2;
    tracks.push({
      open: o,
      index: new Map(c.case_keys.map((key, i) => [key, i])),
      terms,
      denominator,
      variance,
      target,
    });
  }
  const added = new Map<string, number>();
  const keys = [...new Set(tracks.flatMap((t) => [...t.index.keys()]))].sort();
  // A repetition is priced at the runs' average calls per cell; retries an
  // average cannot foresee may cost more: a share is held back for them.
  let budget = options.budget * (1 - RETRY_RESERVE);
  for (;;) {
    let best: string | null = null;
    let bestGain = 0;
    for (const key of keys) {
      const now = added.get(key) ?? 0;
      if (now >= MAX_GROWTH * options.repetitions(key)) continue;
      const cost = options.cost(key);
      if (cost > budget) continue;
      let gain = 0;
      for (const t of tracks) {
        if (t.variance <= t.target) continue;
        const i = t.index.get(key);
        if (i === undefined) continue;
        const drop = (t.terms[i]! - term(t.open, i, now + 1)) / t.denominator;
        gain += Math.min(drop, t.variance - t.target) /
          (t.variance - t.target);
      }
      gain /= cost;
      if (gain > bestGain) {
        bestGain = gain;
        best = key;
      }
    }
    if (best === null) break;
    const now = (added.get(best) ?? 0) + 1;
    added.set(best, now);
    budget -= options.cost(best);
    for (const t of tracks) {
      const i = t.index.get(best);
      if (i === undefined) continue;
      const next = term(t.open, i, now);
      t.variance += (next - t.terms[i]!) / t.denominator;
      t.terms[i] = next;
    }
  }
  return added;
}
