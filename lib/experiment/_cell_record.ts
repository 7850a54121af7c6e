/**
 * What a cell writes once its calls are made: its result row and its trace
 * events (generate, judge, score), committed with its receipts.
 *
 * @module
 */
import { newId, nowIso } from "../content/ids.ts";
import type { CellResult } from "../schema/result.ts";
import type { CellWrite } from "../store/runs.ts";
import type { Tracer } from "../trace/tracer.ts";
import type { CellOutcome } from "./_cell.ts";
import type { Cell } from "./_plan.ts";

/** A cell ready to commit: its rows, and its events (chained at commit time). */
export interface CellRecord {
  readonly write: Omit<CellWrite, "events">;
  readonly events: (tracer: Tracer) => CellWrite["events"];
}

/** What a cell's result row is made of, whether one call or a pipeline made its output. */
type ScoredOutcome = Pick<
  CellOutcome,
  "output" | "status" | "checks" | "rubric" | "judgeError"
>;

/** A cell's result row, stamped now, naming the receipt its output came from and its judges'. */
export function cellResult(
  runId: string,
  { testCase, repetition }: Cell,
  outcome: ScoredOutcome,
  generationId: string | null,
  judgeIds: string[],
): CellResult {
  const at = nowIso();
  return {
    id: newId("res"),
    run_id: runId,
    case_key: testCase.id,
    repetition,
    slice: testCase.slice,
    generation_io_id: generationId,
    judge_io_ids: judgeIds,
    output: outcome.output,
    status: outcome.status,
    checks: outcome.checks,
    rubric: outcome.rubric,
    judge_error: outcome.judgeError,
    created_at: at,
    scored_at: at,
  };
}

/** The result row and trace events of a cell of run `runId`. */
export function cellRecord(
  runId: string,
  { testCase, repetition }: Cell,
  outcome: CellOutcome,
): CellRecord {
  const receipts = outcome.calls.map((c) => c.receipt);
  const generation = receipts[0]!;
  const result = cellResult(
    runId,
    { testCase, repetition },
    outcome,
    generation.id,
    receipts.slice(1).map((r) => r.id),
  );
  const cell = { case: testCase.id, repetition };
  // The attempts that failed before (or as) each call's last, with the
  // waits after them: what receipts alone do not say (`attempts` counts).
  const failuresOf = (calls: typeof outcome.calls) => {
    const failures = calls.flatMap((c) =>
      (c.failures ?? []).map((f) => ({ receipt_id: c.receipt.id, ...f }))
    );
    return failures.length === 0 ? {} : { attempt_failures: failures };
  };
  const generationFailures = failuresOf(outcome.calls.slice(0, 1));
  const judgeFailures = failuresOf(outcome.calls.slice(1));
  const events = (t: Tracer) => {
    const events = [
      generation.status === "ok"
        ? t.next("step_finished", {
          step: "generate",
          data: {
            ...cell,
            receipt_id: generation.id,
            cached: generation.cached_from !== null,
            ...generationFailures,
          },
        })
        : t.next("step_failed", {
          step: "generate",
          data: {
            ...cell,
            receipt_id: generation.id,
            error: generation.error,
            ...generationFailures,
          },
        }),
    ];
    if (receipts.length > 1) {
      events.push(
        outcome.judgeError
          ? t.next("step_failed", {
            step: "judge",
            data: {
              ...cell,
              receipt_ids: result.judge_io_ids,
              error: outcome.judgeError,
              ...judgeFailures,
            },
          })
          : t.next("step_finished", {
            step: "judge",
            data: {
              ...cell,
              receipt_ids: result.judge_io_ids,
              ...judgeFailures,
            },
          }),
      );
    }
    events.push(
      t.next("step_finished", {
        step: "score",
        data: { ...cell, result_id: result.id, status: outcome.status },
      }),
    );
    return events;
  };
  return {
    write: {
      receipts,
      receiptJson: outcome.calls.map((c) => c.json),
      result,
    },
    events,
  };
}
