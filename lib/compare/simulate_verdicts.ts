import { ValidationError } from "../errors.ts";
import type { CellResult } from "../schema/result.ts";
import { SLICES } from "../schema/task.ts";
import { mulberry32, quantileSorted } from "../scoring/bootstrap.ts";
import { getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { getRun, type RunRecord } from "../store/runs.ts";
import { listReceipts, listResults } from "../store/scores.ts";
import { openLimits, verdictAtLook } from "./_decide.ts";
import {
  type CellFigures,
  type LoadedCell,
  loadedCells,
  type RunFigures,
} from "./_figures.ts";
import type { LookCounts } from "./_looks.ts";
import { measureDeltas } from "./_measure.ts";
import { MAX_LOOKS } from "./_sequential.ts";
import { planSettle } from "./_settle_plan.ts";
import { DEFAULT_SETTLE_SHARE } from "./compare.ts";
import { resolveLimits } from "./limits.ts";
import type { CompareLimits, CompareMode, Verdict } from "./verdict.ts";

/**
 * What happens to the candidate in a simulated scenario:
 *
 * - `unchanged`: drawn from the baseline's pool (another draw of the same
 *   model and prompt);
 * - `pool`: drawn from another pool run (e.g. the fake's `effect` option
 *   lowering one slice), at the same repetition indices;
 * - `dimension`: the baseline's pool with one rubric dimension lowered:
 *   each judged cell loses one point (not below 1) with probability
 *   `-delta`, its cell score following;
 * - `shift`: the baseline's pool with every cell of one slice (`slice`) or
 *   every score of one dimension (`dimension`) moved by exactly `delta`
 *   (below the scale allowed): a regression that sits exactly on a limit,
 *   to measure how often one is approved;
 * - `judge_failure`: the baseline's pool with each cell's judgement lost
 *   with probability `share` (a judge error: no rubric, scored on its
 *   checks alone).
 */
export type SimulatedScenario =
  & {
    /** The scenario's name in the results. */
    readonly name: string;
    /** The verdict the scenario should get (for the reader; not used). */
    readonly expect?: Verdict | undefined;
  }
  & (
    | { readonly kind: "unchanged" }
    | { readonly kind: "pool"; readonly pool: string }
    | {
      readonly kind: "dimension";
      readonly dimension: string;
      readonly delta: number;
    }
    | {
      readonly kind: "shift";
      readonly slice?: string | undefined;
      readonly dimension?: string | undefined;
      readonly delta: number;
    }
    | { readonly kind: "judge_failure"; readonly share: number }
  );

/** Options for {@linkcode simulateVerdicts}. */
export interface SimulateVerdictsOptions {
  /** A completed run with many repetitions per case: the baseline's pool. */
  pool: string;
  /** The scenarios. @default {[{ name: "unchanged", kind: "unchanged" }]} */
  scenarios?: readonly SimulatedScenario[] | undefined;
  /** Simulated comparisons (seeds) per scenario and repetitions. @default {200} */
  pairs?: number | undefined;
  /** Repetitions per case of each simulated run before settling. @default {[3]} */
  repetitions?: readonly number[] | undefined;
  /** Limits for this call (over the task's, over the defaults). */
  limits?: CompareLimits | undefined;
  /** How noise is read. @default {"confident"} */
  mode?: CompareMode | undefined;
  /** Settle undecided limits by drawing further repetitions from the pools. @default {true} */
  settle?: boolean | undefined;
  /** The settling budget as a multiple of the two simulated runs' calls. @default {DEFAULT_SETTLE_SHARE} */
  budgetShare?: number | undefined;
  /** The seed of the draws. @default {1} */
  seed?: number | undefined;
  /** Called after each scenario and repetitions, e.g. to show progress. */
  onSetting?: ((done: number, total: number) => void) | undefined;
}

/** How often each verdict came out in one scenario. */
export interface SimulationRow {
  /** The scenario's name. */
  readonly scenario: string;
  /** The verdict the scenario should get, when given. */
  readonly expect: Verdict | null;
  /** Repetitions per case of each simulated run before settling. */
  readonly repetitions: number;
  /** The mode. */
  readonly mode: CompareMode;
  /** Simulated comparisons. */
  readonly pairs: number;
  /** Verdict counts. */
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Share of APPROVED verdicts. */
  readonly approved_rate: number;
  /** Share of REJECTED verdicts. */
  readonly rejected_rate: number;
  /** Share of INCONCLUSIVE verdicts. */
  readonly inconclusive_rate: number;
  /** Calls spent settling, as a share of the two simulated runs' calls, one per pair, ascending. */
  readonly extra_calls: readonly number[];
  /** Looks taken, one per pair (1: no settling). */
  readonly looks: readonly number[];
  /** For each check (`slice 'adversarial'`, `dimension 'accuracy'`, ...), in how many pairs it failed or was inconclusive in the end. */
  readonly flagged: Readonly<Record<string, number>>;
}

/** What {@linkcode simulateVerdicts} found. */
export interface SimulateVerdictsResult {
  /** The task. */
  readonly task: string;
  /** Repetitions per case in the pools. */
  readonly pool_repetitions: number;
  /** Cases in the pools. */
  readonly cases: number;
  /** Cases of each slice in the pools, in the slices' order. */
  readonly slice_cases: Readonly<Record<string, number>>;
  /** The task's rubric dimensions. */
  readonly dimensions: readonly string[];
  /** Each `pool` scenario's change, slice by slice: its pool minus the baseline's, on the 0-1 scale. */
  readonly pool_slice_deltas: Readonly<
    Record<string, Readonly<Record<string, number>>>
  >;
  /** One row per scenario x repetitions. */
  readonly rows: readonly SimulationRow[];
}

/** One pool cell, with the parts of its score a transform needs. */
interface PoolCell extends LoadedCell {
  /** The mean check score, or null without checks. */
  readonly checkPart: number | null;
  /** Adapter calls the cell took (generation and judge). */
  readonly calls: number;
}

interface Pool {
  readonly run: RunRecord;
  /** case key -> repetition -> cell */
  readonly cases: Map<string, PoolCell[]>;
}

async function loadPool(store: Store, id: string): Promise<Pool> {
  const run = await getRun(store, id);
  const task = await getTask(store, run.task, { id: run.task_id });
  const [results, receipts] = await Promise.all([
    listResults(store, run.id),
    listReceipts(store, run.id),
  ]);
  const cells = loadedCells(task, results, receipts);
  const cases = new Map<string, PoolCell[]>();
  results.forEach((result: CellResult, i) => {
    const cell = cells[i]!;
    const checks = Object.values(result.checks);
    const pooled: PoolCell = {
      ...cell,
      checkPart: checks.length
        ? checks.reduce((s, c) => s + c.score, 0) / checks.length
        : null,
      calls: (result.generation_io_id === null ? 0 : 1) +
        result.judge_io_ids.length,
    };
    const list = cases.get(cell.figures.case_key) ?? [];
    list[cell.figures.repetition] = pooled;
    cases.set(cell.figures.case_key, list);
  });
  return { run, cases };
}

/** The cell score from its parts, as `cellScore` computes it. */
function scoreOf(
  cell: PoolCell,
  dimensions: readonly number[],
  judged: boolean,
): number {
  if (cell.figures.failed) return 0;
  let parts = 0;
  let sum = 0;
  if (cell.checkPart !== null) {
    sum += cell.checkPart;
    parts++;
  }
  if (judged && dimensions.length) {
    sum += (dimensions.reduce((s, d) => s + d, 0) / dimensions.length - 1) /
      4;
    parts++;
  }
  return parts === 0 ? NaN : sum / parts;
}

function runFigures(cells: PoolCell[], judged: boolean): RunFigures {
  const latencies: number[] = [];
  for (const cell of cells) {
    if (cell.latency_ms !== null) latencies.push(cell.latency_ms);
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    run_id: "simulated",
    repetitions: 0,
    cells: cells.map((c) => c.figures),
    latency_p95_ms: sorted.length ? quantileSorted(sorted, 0.95) : null,
    judged,
  };
}

function sliceMeans(pool: Pool): Map<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const reps of pool.cases.values()) {
    let total = 0;
    let n = 0;
    for (const cell of reps) {
      if (cell && cell.figures.score === cell.figures.score) {
        total += cell.figures.score;
        n++;
      }
    }
    if (!n) continue;
    const slice = reps.find(Boolean)!.figures.slice;
    const s = sums.get(slice) ?? { total: 0, n: 0 };
    s.total += total / n;
    s.n++;
    sums.set(slice, s);
  }
  return new Map([...sums].map(([k, v]) => [k, v.total / v.n]));
}

/** A candidate cell as the scenario changes it (`random` draws its dice). */
function transform(
  scenario: SimulatedScenario,
  cell: PoolCell,
  dimensions: readonly string[],
  random: () => number,
): PoolCell {
  const f = cell.figures;
  switch (scenario.kind) {
    case "unchanged":
    case "pool":
      return cell;
    case "judge_failure": {
      if (!f.judged || random() >= scenario.share) return cell;
      const figures: CellFigures = {
        ...f,
        judged: false,
        dimensions: f.dimensions.map(() => NaN),
        score: scoreOf(cell, [], false),
      };
      return { ...cell, figures };
    }
    case "dimension": {
      const d = dimensions.indexOf(scenario.dimension);
      const value = f.dimensions[d];
      if (!f.judged || value === undefined || !(value === value)) return cell;
      const lowered = random() < -scenario.delta
        ? Math.max(1, value - 1)
        : value;
      const scores = f.dimensions.map((v, i) => i === d ? lowered : v);
      const figures: CellFigures = {
        ...f,
        dimensions: scores,
        score: scoreOf(cell, scores, true),
      };
      return { ...cell, figures };
    }
    case "shift": {
      if (scenario.slice !== undefined) {
        if (f.slice !== scenario.slice) return cell;
        return {
          ...cell,
          figures: { ...f, score: f.score + scenario.delta },
        };
      }
      const d = dimensions.indexOf(scenario.dimension ?? "");
      if (d < 0 || !f.judged) return cell;
      const scores = f.dimensions.map((v, i) =>
        i === d ? v + scenario.delta : v
      );
      return { ...cell, figures: { ...f, dimensions: scores } };
    }
  }
}

function label(check: { kind: string; name: string }): string {
  return check.kind === "dimension" || check.kind === "slice"
    ? `${check.kind} '${check.name}'`
    : check.name;
}

/**
 * Estimates how often the verdict decides rightly, by simulation: from a
 * pool run with many repetitions per case (and, for `pool` scenarios,
 * other pool runs of the same cases, e.g. with the fake provider's
 * `effect` option lowering one slice), it draws pairs of runs with a few
 * repetitions and compares them with the same code `compare` uses,
 * settling undecided limits as `compare(..., { settle })` does: the
 * repetitions a look adds are further draws from the pools. For each pair
 * and case the repetitions are drawn without replacement from one random
 * order of the pool's: the baseline takes them from its front, the
 * candidate from the back half (from its scenario's pool at the same
 * repetition indices, transformed as the scenario says), so the two runs
 * never share a draw.
 *
 * @param store The database holding the pool runs.
 * @param options The pools, scenarios, pairs, repetitions, limits and seed.
 * @returns Verdict counts and settling costs per scenario and repetitions.
 * @throws {ValidationError} If a pool differs from the baseline's in task, dataset or judge, or the pools hold too few repetitions.
 * @throws {NotFoundError} If a pool run does not exist.
 *
 * @example Pools that are not stored
 * ```ts
 * import { NotFoundError, open, simulateVerdicts } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(simulateVerdicts(store, { pool: "run_a" }), NotFoundError);
 * ```
 */
export async function simulateVerdicts(
  store: Store,
  options: SimulateVerdictsOptions,
): Promise<SimulateVerdictsResult> {
  const pairs = options.pairs ?? 200;
  const repetitions = options.repetitions ?? [3];
  const seed = options.seed ?? 1;
  const mode = options.mode ?? "confident";
  const settle = (options.settle ?? true) && mode !== "point";
  const share = options.budgetShare ?? DEFAULT_SETTLE_SHARE;
  const scenarios = options.scenarios ??
    [{ name: "unchanged", kind: "unchanged" as const }];
  const base = await loadPool(store, options.pool);
  const pools = new Map<string, Pool>();
  for (const s of scenarios) {
    if (s.kind !== "pool" || pools.has(s.pool)) continue;
    const pool = await loadPool(store, s.pool);
    for (
      const field of [
        "task",
        "task_id",
        "dataset_id",
        "judge_config_id",
      ] as const
    ) {
      if (pool.run[field] !== base.run[field]) {
        throw new ValidationError([{
          field,
          message: `the pools differ in ${field}: '${base.run[field]}' and '${
            pool.run[field]
          }'; run every pool on the same task, dataset and judge`,
        }]);
      }
    }
    pools.set(s.pool, pool);
  }
  const poolReps = Math.min(
    base.run.repetitions,
    ...[...pools.values()].map((p) => p.run.repetitions),
  );
  const most = Math.max(...repetitions);
  if (poolReps < 2 * most) {
    throw new ValidationError([{
      field: "repetitions",
      message:
        `the pools hold ${poolReps} repetitions per case; simulating ${most} needs at least ${
          2 * most
        } (two disjoint draws)`,
    }]);
  }
  const half = Math.floor(poolReps / 2);
  const task = await getTask(store, base.run.task, { id: base.run.task_id });
  const dimensions = task.rubric.dimensions.map((d) => d.name);
  const limits = resolveLimits(task.limits, options.limits);
  const judged = base.run.judge_config_id !== null;
  const keys = [...base.cases.keys()].filter((k) => {
    for (const pool of [base, ...pools.values()]) {
      const reps = pool.cases.get(k);
      for (let r = 0; r < poolReps; r++) if (!reps?.[r]) return false;
    }
    return true;
  }).sort();

  const rows: SimulationRow[] = [];
  const total = scenarios.length * repetitions.length;
  let done = 0;
  for (const [index, scenario] of scenarios.entries()) {
    const from = scenario.kind === "pool" ? pools.get(scenario.pool)! : base;
    // One more repetition of a case, in both runs, costs the calls its
    // cells took on average in the pools.
    const units = new Map(keys.map((key) => {
      const cells = base.cases.get(key)!;
      const other = from.cases.get(key)!;
      let sum = 0;
      for (let r = 0; r < poolReps; r++) {
        sum += cells[r]!.calls + other[r]!.calls;
      }
      return [key, sum / poolReps];
    }));
    for (const n of repetitions) {
      const counts: Record<Verdict, number> = {
        APPROVED: 0,
        REJECTED: 0,
        INCONCLUSIVE: 0,
      };
      const flagged: Record<string, number> = {};
      const extra: number[] = [];
      const lookCount: number[] = [];
      const random = mulberry32(seed * 1_000_003 + n * 101 + index * 7919);
      for (let p = 0; p < pairs; p++) {
        // One random order of the pool's repetitions per case: the
        // baseline draws from the front half, the candidate from the back.
        const orders = new Map<string, number[]>();
        for (const key of keys) {
          const order = Array.from({ length: poolReps }, (_, i) => i);
          for (let i = poolReps - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          orders.set(key, order);
        }
        const drawn = new Map<string, number>(keys.map((k) => [k, n]));
        const candidateCells = new Map<string, PoolCell[]>();
        const candidateOf = (key: string, r: number): PoolCell => {
          const list = candidateCells.get(key) ?? [];
          if (!list[r]) {
            const raw = from.cases.get(key)![orders.get(key)![half + r]!]!;
            list[r] = transform(scenario, raw, dimensions, random);
            candidateCells.set(key, list);
          }
          return list[r]!;
        };
        const relabel = (cell: PoolCell, repetition: number): PoolCell => ({
          ...cell,
          figures: { ...cell.figures, repetition },
        });
        const history: LookCounts[] = [];
        let baseCalls = 0;
        let spent = 0;
        let verdict: Verdict = "INCONCLUSIVE";
        let checks: readonly { kind: string; name: string; outcome: string }[] =
          [];
        for (;;) {
          const b: PoolCell[] = [];
          const c: PoolCell[] = [];
          for (const key of keys) {
            for (let r = 0; r < drawn.get(key)!; r++) {
              b.push(
                relabel(base.cases.get(key)![orders.get(key)![r]!]!, r),
              );
              c.push(relabel(candidateOf(key, r), r));
            }
          }
          const calls = [...b, ...c].reduce((s, x) => s + x.calls, 0);
          if (history.length === 0) baseCalls = calls;
          else spent = calls - baseCalls;
          const measurement = measureDeltas({
            baseline: runFigures(b, judged),
            candidate: runFigures(c, judged),
            dimensions,
          }, { seed, resamples: 1, confidence: 0.95, caseIntervals: false });
          history.push(measurement.counts);
          const look = verdictAtLook(
            measurement,
            limits,
            mode,
            history,
            settle,
          );
          verdict = look.judgement.verdict;
          checks = look.judgement.checks;
          const open = settle
            ? openLimits(measurement, look)
            : { limits: [], anyOne: false };
          if (!open.limits.length || history.length >= MAX_LOOKS) break;
          const plan = planSettle(open.limits, {
            anyOne: open.anyOne,
            cost: (key) => units.get(key)!,
            budget: share * baseCalls - spent,
            repetitions: (key) => drawn.get(key)!,
          });
          let added = 0;
          for (const [key, more] of plan) {
            const next = Math.min(half, drawn.get(key)! + more);
            added += next - drawn.get(key)!;
            drawn.set(key, next);
          }
          if (added === 0) break;
        }
        counts[verdict]++;
        extra.push(baseCalls > 0 ? spent / baseCalls : 0);
        lookCount.push(history.length);
        for (const check of checks) {
          if (check.outcome === "pass") continue;
          flagged[label(check)] = (flagged[label(check)] ?? 0) + 1;
        }
      }
      rows.push({
        scenario: scenario.name,
        expect: scenario.expect ?? null,
        repetitions: n,
        mode,
        pairs,
        counts,
        approved_rate: counts.APPROVED / pairs,
        rejected_rate: counts.REJECTED / pairs,
        inconclusive_rate: counts.INCONCLUSIVE / pairs,
        extra_calls: extra.sort((x, y) => x - y),
        looks: lookCount,
        flagged,
      });
      options.onSetting?.(++done, total);
    }
  }
  const before = sliceMeans(base);
  const poolDeltas: Record<string, Record<string, number>> = {};
  for (const s of scenarios) {
    if (s.kind !== "pool") continue;
    const after = sliceMeans(pools.get(s.pool)!);
    poolDeltas[s.name] = Object.fromEntries(
      [...before].map(([slice, b]) => [
        slice,
        Math.round(((after.get(slice) ?? NaN) - b) * 1e6) / 1e6,
      ]),
    );
  }
  const sliceCases: Record<string, number> = {};
  for (const slice of SLICES) {
    const n = keys.filter((k) =>
      base.cases.get(k)![0]!.figures.slice === slice
    ).length;
    if (n > 0) sliceCases[slice] = n;
  }
  return {
    task: base.run.task,
    pool_repetitions: poolReps,
    cases: keys.length,
    slice_cases: sliceCases,
    dimensions,
    pool_slice_deltas: poolDeltas,
    rows,
  };
}
