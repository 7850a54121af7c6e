/**
 * Group-sequential critical values: how far a z-statistic must be from its
 * limit at each look so that, over all looks together, a limit is declared
 * breached (or within) wrongly with probability at most alpha, however many
 * looks a settled verdict takes.
 *
 * The alpha of each one-sided test is spent across looks by the Pocock-type
 * spending function of Lan and DeMets (1983), `alpha * ln(1 + (e - 1) * t)`,
 * with `t = look / MAX_LOOKS` (looks, not information, measure time: the
 * information a look adds is chosen from the data before it). Each look's
 * critical value solves `P(no crossing before look k, crossing at look k) =
 * spent(k) - spent(k - 1)` under the joint normal law of the looks'
 * statistics, whose correlations are `sqrt(I_j / I_k)` for information
 * levels `I` (Jennison and Turnbull 2000, chapter 7; the numerical
 * integration of chapter 19, Armitage, McPherson and Rowe 1969).
 *
 * @module
 */
import { normalCdf, normalPdf, normalQuantile } from "./_distributions.ts";

/** Looks a settled verdict may take, the first included (the runs as they are). */
export const MAX_LOOKS = 5;

/**
 * The one-sided alpha spent by look `look` (1-based) of at most
 * `maxLooks`: Pocock-type, `alpha * ln(1 + (e - 1) * look / maxLooks)`.
 */
export function spentAlpha(
  alpha: number,
  look: number,
  maxLooks: number,
): number {
  const t = Math.min(1, look / maxLooks);
  return alpha * Math.log(1 + (Math.E - 1) * t);
}

/** Grid points per look of the numerical integration (odd, for Simpson's rule). */
const GRID = 151;
/** The grid reaches this many standard deviations below zero. */
const REACH = 8;

interface Density {
  /** Grid points on the scale of S = Z * sqrt(t). */
  readonly x: Float64Array;
  /** The sub-density of paths that have not crossed yet, times the integration weight. */
  readonly w: Float64Array;
}

function simpson(a: number, b: number, f: (x: number) => number): Density {
  const x = new Float64Array(GRID);
  const w = new Float64Array(GRID);
  const h = (b - a) / (GRID - 1);
  for (let i = 0; i < GRID; i++) {
    x[i] = a + i * h;
    const weight = i === 0 || i === GRID - 1 ? 1 : i % 2 === 1 ? 4 : 2;
    w[i] = f(x[i]!) * weight * h / 3;
  }
  return { x, w };
}

/**
 * The critical values of a one-sided group-sequential test, one per look,
 * on the z scale: at look `k` the test rejects when `Z_k >= c_k`.
 *
 * @param information Each look's information (the inverse of its
 *   estimate's variance), not decreasing; only ratios matter.
 * @param spent The cumulative alpha spent by each look, increasing.
 * @returns One critical value per look.
 */
export function sequentialBoundaries(
  information: readonly number[],
  spent: readonly number[],
): number[] {
  const last = information.at(-1)!;
  const t = information.map((i) => Math.min(1, i / last));
  const bounds: number[] = [];
  let density: Density | null = null;
  for (let k = 0; k < t.length; k++) {
    const target = spent[k]! - (k === 0 ? 0 : spent[k - 1]!);
    const tk = Math.max(t[k]!, 1e-12);
    const root = Math.sqrt(tk);
    if (density === null) {
      const c = target > 0 ? normalQuantile(1 - target) : Infinity;
      bounds.push(c);
      const sd = root;
      density = simpson(
        -REACH * sd,
        Math.min(c, REACH) * sd,
        (s) => normalPdf(s / sd) / sd,
      );
      continue;
    }
    const previous: Density = density;
    const step = tk - Math.max(t[k - 1]!, 0);
    // The crossing mass for a bar c, and its slope (for Newton's steps).
    const mass = step <= 1e-12
      ? (c: number) => ({ m: integralAbove(previous, c * root), slope: NaN })
      : (c: number) => {
        const sd = Math.sqrt(step);
        let m = 0;
        let slope = 0;
        for (let i = 0; i < GRID; i++) {
          const z = (c * root - previous.x[i]!) / sd;
          m += previous.w[i]! * (1 - normalCdf(z));
          slope -= previous.w[i]! * normalPdf(z) * root / sd;
        }
        return { m, slope };
      };
    let c: number;
    if (!(target > 0)) c = Infinity;
    else {
      // Safeguarded Newton: the mass falls as the bar rises.
      let lo = -REACH;
      let hi = REACH + 4;
      c = Math.min(hi, Math.max(lo, normalQuantile(1 - target)));
      for (let iteration = 0; iteration < 60; iteration++) {
        const { m, slope } = mass(c);
        const gap = m - target;
        if (Math.abs(gap) < 1e-10 * Math.max(target, 1e-6)) break;
        if (gap > 0) lo = c;
        else hi = c;
        const newton = Number.isFinite(slope) && slope < 0
          ? c - gap / slope
          : NaN;
        c = newton > lo && newton < hi ? newton : (lo + hi) / 2;
        if (hi - lo < 1e-9) break;
      }
    }
    bounds.push(c);
    const top = Math.min(c, REACH) * root;
    if (step <= 1e-12) {
      density = simpson(-REACH * root, top, (s) => interpolate(previous, s));
    } else {
      const sd = Math.sqrt(step);
      density = simpson(-REACH * root, top, (s) => {
        let f = 0;
        for (let i = 0; i < GRID; i++) {
          f += previous.w[i]! * normalPdf((s - previous.x[i]!) / sd) / sd;
        }
        return f;
      });
    }
  }
  return bounds;
}

/**
 * The mass of a density above `s`: the trapezoidal integral of its values
 * at the grid points, linearly interpolated in the cell `s` falls in (a
 * look that adds no information moves the bar on the same statistic, so
 * the crossing mass must vary smoothly with the bar).
 */
function integralAbove(d: Density, s: number): number {
  const h = d.x[1]! - d.x[0]!;
  let total = 0;
  for (let i = 0; i + 1 < GRID; i++) {
    const a = d.x[i]!;
    const b = d.x[i + 1]!;
    if (b <= s) continue;
    const fa = densityAt(d, i);
    const fb = densityAt(d, i + 1);
    if (a >= s) total += (fa + fb) / 2 * h;
    else {
      const fs = fa + (s - a) / h * (fb - fa);
      total += (fs + fb) / 2 * (b - s);
    }
  }
  return total;
}

/** The density (not its weight) at grid point `j`. */
function densityAt(d: Density, j: number): number {
  const h = d.x[1]! - d.x[0]!;
  const weight = j === 0 || j === GRID - 1 ? 1 : j % 2 === 1 ? 4 : 2;
  return d.w[j]! / (weight * h / 3);
}

/** The previous look's density (not its weights) at `s`, linearly interpolated. */
function interpolate(d: Density, s: number): number {
  const h = d.x[1]! - d.x[0]!;
  const pos = (s - d.x[0]!) / h;
  if (pos < 0 || pos > GRID - 1) return 0;
  const i = Math.min(GRID - 2, Math.floor(pos));
  return densityAt(d, i) + (pos - i) * (densityAt(d, i + 1) - densityAt(d, i));
}

/**
 * The critical value (z scale) of each look of a settled verdict, for one
 * check: the boundaries of {@linkcode sequentialBoundaries} with
 * Pocock-type spending over {@linkcode MAX_LOOKS} looks; the last is the
 * current look's. A verdict that is not settled has one look and spends
 * all of alpha on it.
 */
export function lookCritical(
  information: readonly number[],
  alpha: number,
  settled: boolean,
): number {
  if (!settled) return normalQuantile(1 - alpha);
  const spent = information.map((_, k) => spentAlpha(alpha, k + 1, MAX_LOOKS));
  return sequentialBoundaries(information, spent).at(-1)!;
}
