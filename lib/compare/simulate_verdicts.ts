import { Decimal } from "decimal.js";
import { ValidationError } from "../errors.ts";
import { mulberry32, quantileSorted } from "../scoring/bootstrap.ts";
import { getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { getRun, type RunRecord } from "../store/runs.ts";
import { listReceipts, listResults } from "../store/scores.ts";
import {
  type CellFigures,
  type LoadedCell,
  loadedCells,
  moneyPerCell,
  type RunFigures,
} from "./_figures.ts";
import { judgeDeltas } from "./_judge.ts";
import { measureDeltas } from "./_measure.ts";
import { resolveLimits } from "./limits.ts";
import {
  COMPARE_MODES,
  type CompareLimits,
  type CompareMode,
  type Verdict,
} from "./verdict.ts";

/** Options for {@linkcode simulateVerdicts}. */
export interface SimulateVerdictsOptions {
  /** A completed run with many repetitions per case: the unchanged model. */
  pool: string;
  /** A completed run of the same task, dataset and judge with the regression injected, as many repetitions. */
  regressedPool: string;
  /** Simulated comparisons per setting. @default {200} */
  pairs?: number | undefined;
  /** Repetitions per case of each simulated run. @default {[3, 5, 10]} */
  repetitions?: readonly number[] | undefined;
  /** Limits for this call (over the task's, over the defaults). */
  limits?: CompareLimits | undefined;
  /** The seed of the draws and of every bootstrap. @default {1} */
  seed?: number | undefined;
  /** Bootstrap resamples per comparison. @default {1000} */
  resamples?: number | undefined;
  /** Called after each setting, e.g. to show progress. */
  onSetting?: ((done: number, total: number) => void) | undefined;
}

/** How often each verdict came out in one setting. */
export interface SimulationRow {
  /** `unchanged`: candidate from the same pool; `regressed`: candidate from the regressed pool. */
  readonly scenario: "unchanged" | "regressed";
  /** Repetitions per case of each simulated run. */
  readonly repetitions: number;
  /** The mode. */
  readonly mode: CompareMode;
  /** Simulated comparisons. */
  readonly pairs: number;
  /** Verdict counts. */
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Share of REJECTED verdicts. */
  readonly rejected_rate: number;
  /** Share of verdicts other than APPROVED (a regression caught, or a false alarm). */
  readonly not_approved_rate: number;
  /** For each check (`slice 'adversarial'`, `dimension 'accuracy'`, `cost per cell`...), in how many pairs it failed or was inconclusive. */
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
  /** The regression in the pools, slice by slice: regressed pool minus pool, on the 0-1 scale. */
  readonly pool_slice_deltas: Readonly<Record<string, number>>;
  /** One row per scenario x repetitions x mode. */
  readonly rows: readonly SimulationRow[];
}

interface Pool {
  readonly run: RunRecord;
  /** case key -> repetition -> cell */
  readonly cases: Map<string, LoadedCell[]>;
}

async function loadPool(store: Store, id: string): Promise<Pool> {
  const run = await getRun(store, id);
  const task = await getTask(store, run.task, { id: run.task_id });
  const [results, receipts] = await Promise.all([
    listResults(store, run.id),
    listReceipts(store, run.id),
  ]);
  const cases = new Map<string, LoadedCell[]>();
  for (const cell of loadedCells(task, results, receipts)) {
    const list = cases.get(cell.figures.case_key) ?? [];
    list[cell.figures.repetition] = cell;
    cases.set(cell.figures.case_key, list);
  }
  return { run, cases };
}

function runFigures(id: string, cells: LoadedCell[], reps: number): RunFigures {
  let total = new Decimal(0);
  let known = true;
  const latencies: number[] = [];
  for (const cell of cells) {
    if (cell.cost === null) known = false;
    else total = total.plus(cell.cost);
    if (cell.latency_ms !== null) latencies.push(cell.latency_ms);
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    run_id: id,
    repetitions: reps,
    cells: cells.map((c) => c.figures),
    cost_per_cell: known && cells.length
      ? moneyPerCell(total, cells.length)
      : null,
    latency_p95_ms: sorted.length ? quantileSorted(sorted, 0.95) : null,
  };
}

function relabel(cell: LoadedCell, repetition: number): LoadedCell {
  const figures: CellFigures = { ...cell.figures, repetition };
  return { ...cell, figures };
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

/**
 * Estimates how often the verdict errs, by simulation: from two pool runs
 * with many repetitions (an unchanged model, and the same model with a
 * regression injected, e.g. the fake provider's `effect` option), it draws
 * pairs of runs with fewer repetitions and compares them with the same code
 * `compare` uses. For each pair and case, `2n` distinct repetitions are
 * drawn from the pool: the first `n` form the baseline, the other `n` the
 * candidate, taken from the pool (`unchanged`) or from the regressed pool
 * (`regressed`). Every mode judges the same pairs.
 *
 * @param store The database holding the two pool runs.
 * @param options The pools, pairs, repetitions, limits and seed.
 * @returns Verdict counts per scenario, repetitions and mode.
 * @throws {ValidationError} If the pools differ in task, dataset or judge, or hold too few repetitions.
 * @throws {NotFoundError} If a pool run does not exist.
 *
 * @example Pools that are not stored
 * ```ts
 * import { NotFoundError, open, simulateVerdicts } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(
 *   simulateVerdicts(store, { pool: "run_a", regressedPool: "run_b" }),
 *   NotFoundError,
 * );
 * ```
 */
export async function simulateVerdicts(
  store: Store,
  options: SimulateVerdictsOptions,
): Promise<SimulateVerdictsResult> {
  const pairs = options.pairs ?? 200;
  const repetitions = options.repetitions ?? [3, 5, 10];
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 1000;
  const pool = await loadPool(store, options.pool);
  const regressed = await loadPool(store, options.regressedPool);
  for (
    const field of ["task", "task_id", "dataset_id", "judge_config_id"] as const
  ) {
    if (pool.run[field] !== regressed.run[field]) {
      throw new ValidationError([{
        field,
        message: `the pools differ in ${field}: '${pool.run[field]}' and '${
          regressed.run[field]
        }'; run both on the same task, dataset and judge`,
      }]);
    }
  }
  const poolReps = Math.min(pool.run.repetitions, regressed.run.repetitions);
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
  const task = await getTask(store, pool.run.task, { id: pool.run.task_id });
  const dimensions = task.rubric.dimensions.map((d) => d.name);
  const limits = resolveLimits(task.limits, options.limits);
  const keys = [...pool.cases.keys()].filter((k) => {
    const a = pool.cases.get(k)!;
    const b = regressed.cases.get(k);
    for (let r = 0; r < poolReps; r++) if (!a[r] || !b?.[r]) return false;
    return true;
  }).sort();

  const rows: SimulationRow[] = [];
  const scenarios = ["unchanged", "regressed"] as const;
  const total = scenarios.length * repetitions.length;
  let done = 0;
  for (const scenario of scenarios) {
    for (const n of repetitions) {
      const counts = new Map<CompareMode, Record<Verdict, number>>(
        COMPARE_MODES.map((
          m,
        ) => [m, { APPROVED: 0, REJECTED: 0, INCONCLUSIVE: 0 }]),
      );
      const flagged = new Map<CompareMode, Record<string, number>>(
        COMPARE_MODES.map((m) => [m, {}]),
      );
      const random = mulberry32(
        seed * 1_000_003 + n * 101 + (scenario === "regressed" ? 7 : 0),
      );
      const order = Array.from({ length: poolReps }, (_, i) => i);
      for (let p = 0; p < pairs; p++) {
        const base: LoadedCell[] = [];
        const cand: LoadedCell[] = [];
        for (const key of keys) {
          // A partial Fisher-Yates shuffle: 2n distinct repetitions.
          for (let i = 0; i < 2 * n; i++) {
            const j = i + Math.floor(random() * (poolReps - i));
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const from = scenario === "unchanged" ? pool : regressed;
          for (let r = 0; r < n; r++) {
            base.push(relabel(pool.cases.get(key)![order[r]!]!, r));
            cand.push(relabel(from.cases.get(key)![order[n + r]!]!, r));
          }
        }
        const measurement = measureDeltas({
          baseline: runFigures("baseline", base, n),
          candidate: runFigures("candidate", cand, n),
          dimensions,
        }, { seed, resamples, confidence: 0.95 });
        for (const mode of COMPARE_MODES) {
          const { verdict, checks } = judgeDeltas(
            measurement.measured,
            limits,
            mode,
            n,
          );
          counts.get(mode)![verdict]++;
          const tally = flagged.get(mode)!;
          for (const check of checks) {
            if (check.outcome === "pass") continue;
            const name = check.kind === "dimension" || check.kind === "slice"
              ? `${check.kind} '${check.name}'`
              : check.name;
            tally[name] = (tally[name] ?? 0) + 1;
          }
        }
      }
      for (const mode of COMPARE_MODES) {
        const c = counts.get(mode)!;
        rows.push({
          scenario,
          repetitions: n,
          mode,
          pairs,
          counts: c,
          rejected_rate: c.REJECTED / pairs,
          not_approved_rate: (pairs - c.APPROVED) / pairs,
          flagged: flagged.get(mode)!,
        });
      }
      options.onSetting?.(++done, total);
    }
  }
  const before = sliceMeans(pool);
  const after = sliceMeans(regressed);
  return {
    task: pool.run.task,
    pool_repetitions: poolReps,
    cases: keys.length,
    pool_slice_deltas: Object.fromEntries(
      [...before].map(([slice, b]) => [
        slice,
        Math.round(((after.get(slice) ?? NaN) - b) * 1e6) / 1e6,
      ]),
    ),
    rows,
  };
}
