/**
 * Per-step figures of a pipeline run, for its scorecard: from the run's
 * trace events (which receipts each step of each cell made, how long it
 * took, whether it failed, was refused by a gate, or owns the cell's
 * failure) and the receipts themselves (cost: receipts are the truth).
 *
 * @module
 */
import { Decimal } from "decimal.js";
import type { ReceiptFigures } from "../schema/receipt.ts";
import type { StepSummary } from "../schema/scorecard.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { quantileSorted } from "./bootstrap.ts";

/** The flag a pipeline's run carries; its scorecard has per-step figures. */
export const PIPELINE_RUN_FLAG = "pipeline";

/** The runner's own steps of a pipeline run, left out of the step figures. */
const RUNNER_STEPS = new Set(["judge", "score"]);

interface Tally {
  cells: number;
  failures: number;
  refused: number;
  owned: number;
  receipts: string[];
  latencies: number[];
  gate?: { approved: number; rejected: number; pending: number };
}

/**
 * Per-step figures, in the order steps first appear in the trace: cells the
 * step ran in, its failures, gate refusals, the failing cells it owns, its
 * calls and their failures, exact cost, and its latency per cell (wall time
 * of the step, calls included). Gate steps count their decisions instead.
 *
 * @param events The run's trace events (all cells).
 * @param receipts The run's receipts.
 * @returns Step id -> figures.
 */
export function stepFigures(
  events: readonly TraceEvent[],
  receipts: readonly ReceiptFigures[],
): Record<string, StepSummary> {
  const tallies = new Map<string, Tally>();
  const tally = (step: string) => {
    let t = tallies.get(step);
    if (!t) {
      t = {
        cells: 0,
        failures: 0,
        refused: 0,
        owned: 0,
        receipts: [],
        latencies: [],
      };
      tallies.set(step, t);
    }
    return t;
  };
  for (const e of events) {
    if (e.step === null) continue;
    if (e.type === "step_finished" && e.step === "score") {
      const owner = e.data.owner_step;
      if (typeof owner === "string") tally(owner).owned++;
      continue;
    }
    if (RUNNER_STEPS.has(e.step)) continue;
    if (e.type === "step_finished" || e.type === "step_failed") {
      const t = tally(e.step);
      t.cells++;
      if (e.type === "step_failed") t.failures++;
      if (Array.isArray(e.data.receipt_ids)) {
        t.receipts.push(...e.data.receipt_ids.map(String));
      }
      if (typeof e.data.latency_ms === "number") {
        t.latencies.push(e.data.latency_ms);
      }
    } else if (e.type === "step_refused") {
      tally(e.step).refused++;
    } else if (e.type === "gate_requested") {
      tally(e.step).gate ??= { approved: 0, rejected: 0, pending: 0 };
    } else if (e.type === "policy_gate_evaluated") {
      const gate = tally(e.step).gate ??= {
        approved: 0,
        rejected: 0,
        pending: 0,
      };
      const status = e.data.status;
      if (status === "approved") gate.approved++;
      else if (status === "rejected") gate.rejected++;
      else gate.pending++;
    }
  }
  const byId = new Map(receipts.map((r) => [r.id, r]));
  const out: Record<string, StepSummary> = {};
  for (const [step, t] of tallies) {
    let cost = new Decimal(0);
    let uncached = new Decimal(0);
    let failedCalls = 0;
    let missing = 0;
    for (const id of t.receipts) {
      const r = byId.get(id);
      if (!r) continue;
      if (r.status !== "ok") failedCalls++;
      if (r.cost === null) {
        if (r.status === "ok") missing++;
      } else {
        cost = cost.plus(r.cost);
        uncached = uncached.plus(r.uncached_cost ?? r.cost);
      }
    }
    const sorted = Float64Array.from(t.latencies).sort();
    out[step] = {
      cells: t.cells,
      failures: t.failures,
      refused: t.refused,
      owned: t.owned,
      calls: t.receipts.length,
      "failed_calls": failedCalls,
      cost: money(cost),
      "uncached_cost": money(uncached),
      "missing_cost": missing,
      "latency_ms": sorted.length === 0 ? null : {
        mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
        p50: round(quantileSorted(sorted, 0.5)),
        p95: round(quantileSorted(sorted, 0.95)),
        n: sorted.length,
      },
      ...(t.gate ? { gate: t.gate } : {}),
    };
  }
  return out;
}

function money(value: Decimal): string {
  return value.toFixed(Math.max(6, value.decimalPlaces()));
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Each cell's receipts per step (`case#repetition` -> step -> receipt ids),
 * from a pipeline run's trace events, so a cell's cost is the sum of all its
 * steps' calls.
 */
export function cellStepReceipts(
  events: readonly TraceEvent[],
): Map<string, Map<string, string[]>> {
  const cells = new Map<string, Map<string, string[]>>();
  for (const e of events) {
    if (
      e.step === null || RUNNER_STEPS.has(e.step) ||
      (e.type !== "step_finished" && e.type !== "step_failed") ||
      !Array.isArray(e.data.receipt_ids)
    ) continue;
    const key = `${e.data.case}#${e.data.repetition}`;
    const steps = cells.get(key) ?? new Map<string, string[]>();
    steps.set(e.step, [
      ...steps.get(e.step) ?? [],
      ...e.data.receipt_ids.map(String),
    ]);
    cells.set(key, steps);
  }
  return cells;
}

/** One step or gate of a pipeline cell, in the order it ran. */
export interface TimelineEntry {
  readonly step: string;
  readonly kind: "step" | "gate";
  /** `ok`, `failed` or `refused` (a step); `approved`, `held` or `rejected` (a gate). */
  readonly outcome: string;
  /** Model calls the step made (receipts); 0 for a gate. */
  readonly calls: number;
  /** The step's wall time, calls included; `null` for a gate or a refused step. */
  readonly latencyMs: number | null;
  /** The step's own check on its output, where the pipeline defines one. */
  readonly check: boolean | null;
  /** The step's error, or the gate's reason (untrusted text). */
  readonly detail: string;
}

/** A pipeline cell's steps and gates in order, with how the cell ended. */
export interface CellTimeline {
  readonly case: string;
  readonly repetition: number;
  readonly entries: readonly TimelineEntry[];
  /** The cell's status once scored (`null` when not scored). */
  readonly status: string | null;
  /** The step that owns a failing cell: the first whose output went wrong. */
  readonly owner: string | null;
  /** What the pipeline's own code threw outside its steps, if it did. */
  readonly error: string | null;
}

/**
 * Each cell's timeline (`case#repetition` -> steps and gates in the order
 * they ran, with calls, latency and outcome; the gate's decision beside its
 * step), from a pipeline run's trace events; cells in first-seen order.
 */
export function cellTimelines(
  events: readonly TraceEvent[],
): Map<string, CellTimeline> {
  interface Building {
    case: string;
    repetition: number;
    entries: TimelineEntry[];
    status: string | null;
    owner: string | null;
    error: string | null;
  }
  const cells = new Map<string, Building>();
  const cellOf = (c: unknown, repetition: unknown) => {
    const key = `${c}#${repetition}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = {
        case: String(c),
        repetition: Number(repetition),
        entries: [],
        status: null,
        owner: null,
        error: null,
      };
      cells.set(key, cell);
    }
    return cell;
  };
  // A gate's events name its cell only in the request (its context).
  const gates = new Map<string, { cell: Building; at: number }>();
  const ordered = [...events].sort((a, b) => a.index - b.index);
  for (const e of ordered) {
    const d = e.data;
    if (e.type === "pipeline_failed") {
      cellOf(d.case, d.repetition).error = String(d.error ?? "");
      continue;
    }
    if (e.step === null) continue;
    if (e.step === "score" && e.type === "step_finished") {
      const cell = cellOf(d.case, d.repetition);
      cell.status = typeof d.status === "string" ? d.status : null;
      cell.owner = typeof d.owner_step === "string" ? d.owner_step : null;
      continue;
    }
    if (RUNNER_STEPS.has(e.step)) continue;
    if (
      e.type === "step_finished" || e.type === "step_failed" ||
      e.type === "step_refused"
    ) {
      cellOf(d.case, d.repetition).entries.push({
        step: e.step,
        kind: "step",
        outcome: e.type === "step_finished"
          ? "ok"
          : e.type === "step_failed"
          ? "failed"
          : "refused",
        calls: Array.isArray(d.receipt_ids) ? d.receipt_ids.length : 0,
        latencyMs: e.type !== "step_refused" && typeof d.latency_ms === "number"
          ? d.latency_ms
          : null,
        check: typeof d.check === "boolean" ? d.check : null,
        detail: d.error === undefined ? "" : String(d.error),
      });
    } else if (e.type === "gate_requested") {
      const context = d.context as Record<string, unknown> | undefined;
      if (!context || context.case === undefined) continue;
      const cell = cellOf(context.case, context.repetition);
      gates.set(String(d.gate_id), { cell, at: cell.entries.length });
      cell.entries.push({
        step: e.step,
        kind: "gate",
        outcome: "held",
        calls: 0,
        latencyMs: null,
        check: null,
        detail: "",
      });
    } else if (
      e.type === "policy_gate_evaluated" || e.type === "human_gate_resolved"
    ) {
      const gate = gates.get(String(d.gate_id));
      if (!gate) continue;
      const status = d.status === "approved"
        ? "approved"
        : d.status === "rejected"
        ? "rejected"
        : d.decision === "approve"
        ? "approved"
        : d.decision === "reject"
        ? "rejected"
        : "held";
      const entry = gate.cell.entries[gate.at]!;
      gate.cell.entries[gate.at] = {
        ...entry,
        outcome: status,
        detail: d.reason === undefined ? "" : String(d.reason),
      };
    }
  }
  return cells;
}
