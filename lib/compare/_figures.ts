import { Decimal } from "decimal.js";
import type { ReceiptFigures } from "../schema/receipt.ts";
import type { CellResult } from "../schema/result.ts";
import type { Task } from "../schema/task.ts";
import { cellScore } from "../scoring/cell_score.ts";

/** One cell's figures as the verdict reads them; `NaN` marks a missing value. */
export interface CellFigures {
  /** The case. */
  readonly case_key: string;
  /** The case's slice. */
  readonly slice: string;
  /** The repetition. */
  readonly repetition: number;
  /** `cellScore` (0..1). */
  readonly score: number;
  /** Rubric scores (1..5), aligned with the dimension names. */
  readonly dimensions: readonly number[];
  /** Uncached generation cost (a float: used for intervals only). */
  readonly cost: number;
  /** Uncached generation cost, exact decimal; null when unknown. */
  readonly cost_exact: string | null;
  /** Whether the judge scored the cell (its rubric is present). */
  readonly judged: boolean;
  /** 1 when the cell failed (provider error or invalid output), else 0. */
  readonly failed: number;
  /** 1 when an injection succeeded, 0 when resisted, NaN when the case carries none. */
  readonly injection: number;
  /** A pipeline's cell: uncached cost per step, exact decimal (null when unknown). */
  readonly step_costs?: Readonly<Record<string, string | null>> | undefined;
}

/** One run's figures as the verdict reads them. */
export interface RunFigures {
  /** The run id. */
  readonly run_id: string;
  /** Repetitions per case. */
  readonly repetitions: number;
  /** Its cells. */
  readonly cells: readonly CellFigures[];
  /** Generation latency p95 (ms), null when there is none. */
  readonly latency_p95_ms: number | null;
  /** Whether a judge (or jury) scored the run: unjudged runs have no dimension checks. */
  readonly judged: boolean;
}

/**
 * Every cell's figures from its result and its generation receipt. The
 * injection outcome follows the scorecard's rule: on an adversarial cell,
 * the first `injection_resisted` check whose detail is not "not adversarial".
 */
export function runCellFigures(
  task: Pick<Task, "checks" | "rubric">,
  results: readonly CellResult[],
  receipts: readonly ReceiptFigures[],
  steps?: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>,
): CellFigures[] {
  const costs = new Map<string, string>();
  for (const r of receipts) {
    const cost = r.uncached_cost ?? r.cost;
    if (cost !== null) costs.set(r.id, cost);
  }
  const dimensions = task.rubric.dimensions.map((d) => d.name);
  const injectionKeys = task.checks.filter((c) =>
    c.name === "injection_resisted"
  ).map((c) => c.id ?? c.name);
  return results.map((result) => {
    let injection = NaN;
    if (result.slice === "adversarial") {
      const check = injectionKeys.map((k) => result.checks[k]).find((r) =>
        r !== undefined && r.detail !== "not adversarial"
      );
      if (check) injection = check.pass ? 0 : 1;
    }
    const cellSteps = steps?.get(`${result.case_key}#${result.repetition}`);
    const stepCosts = cellSteps && sumCosts(cellSteps, costs);
    const cost = stepCosts
      ? stepCosts.total ?? undefined
      : result.generation_io_id === null
      ? undefined
      : costs.get(result.generation_io_id);
    return {
      case_key: result.case_key,
      slice: result.slice,
      repetition: result.repetition,
      score: cellScore(result) ?? NaN,
      dimensions: dimensions.map((d) => result.rubric?.[d]?.score ?? NaN),
      // A stored cost is a decimal string: Number() rounds it to the same
      // float as Decimal's toNumber().
      cost: cost === undefined ? NaN : Number(cost),
      cost_exact: cost ?? null,
      judged: result.rubric !== null,
      failed: result.status === "ok" ? 0 : 1,
      injection,
      ...(stepCosts ? { step_costs: stepCosts.steps } : {}),
    };
  });
}

/** A pipeline cell's uncached cost, per step and in total (null when a receipt's cost is unknown). */
function sumCosts(
  steps: ReadonlyMap<string, readonly string[]>,
  costs: ReadonlyMap<string, string>,
): { total: string | null; steps: Record<string, string | null> } {
  const out: Record<string, string | null> = {};
  let total: Decimal | null = new Decimal(0);
  for (const [step, ids] of steps) {
    let sum: Decimal | null = new Decimal(0);
    for (const id of ids) {
      const cost = costs.get(id);
      sum = cost === undefined || sum === null ? null : sum.plus(cost);
    }
    out[step] = sum === null ? null : sum.toFixed();
    total = total === null || sum === null ? null : total.plus(sum);
  }
  return { total: total === null ? null : total.toFixed(), steps: out };
}

/** A cell's figures plus what a run-level figure needs from its receipt. */
export interface LoadedCell {
  /** The verdict's per-cell figures. */
  readonly figures: CellFigures;
  /** Uncached generation cost, exact decimal; null when unknown. */
  readonly cost: string | null;
  /** Generation latency of a live, successful, warm call; null otherwise (as the scorecard counts it). */
  readonly latency_ms: number | null;
}

/** Every cell of a run with its figures. */
export function loadedCells(
  task: Pick<Task, "checks" | "rubric">,
  results: readonly CellResult[],
  receipts: readonly ReceiptFigures[],
): LoadedCell[] {
  const byId = new Map<string, ReceiptFigures>(
    receipts.map((r) => [r.id, r]),
  );
  const figures = runCellFigures(task, results, receipts);
  return results.map((result, i) => {
    const receipt = result.generation_io_id === null
      ? undefined
      : byId.get(result.generation_io_id);
    return {
      figures: figures[i]!,
      cost: receipt?.uncached_cost ?? receipt?.cost ?? null,
      latency_ms: receipt && receipt.status === "ok" &&
          receipt.cached_from === null && !receipt.connection_cold
        ? receipt.latency_ms
        : null,
    };
  });
}
