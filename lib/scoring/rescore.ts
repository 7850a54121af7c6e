import { canonicalize } from "../content/canonicalize.ts";
import { nowIso } from "../content/ids.ts";
import { NotFoundError } from "../errors.ts";
import type { CellStatus } from "../schema/result.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import { getDataset, getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { getRun } from "../store/runs.ts";
import {
  type CellChecksUpdate,
  latestScorecard,
  listReceipts,
  listResults,
  saveScorecard,
  updateCellChecks,
} from "../store/scores.ts";
import { Tracer } from "../trace/tracer.ts";
import {
  computeScorecard,
  type ComputeScorecardOptions,
} from "./compute_scorecard.ts";
import { scoreCell } from "./score_cell.ts";
import { PIPELINE_RUN_FLAG } from "./step_figures.ts";
import { pipelineStepEvents, runCalibration } from "./score_run.ts";

/** Options for {@linkcode rescore}. */
export type RescoreOptions = ComputeScorecardOptions;

/** What {@linkcode rescore} did. */
export interface RescoreResult {
  /** The run. */
  readonly "run_id": string;
  /** Cells re-checked. */
  readonly cells: number;
  /** Cells whose checks changed. */
  readonly changed: number;
  /** Cells whose status moved between `ok` and `invalid_output`. */
  readonly "status_changed": number;
  /** The new scorecard. */
  readonly scorecard: Scorecard;
  /** Its sha256. */
  readonly sha256: string;
  /** The sha256 of the scorecard stored before, if any. */
  readonly "previous_sha256": string | null;
  /** The trace the `rescored` event was written to. */
  readonly "trace_id": string;
}

/**
 * Re-scores a stored run with the current check code, calling no model: the
 * output of every cell is read back from its generation receipt, the task's
 * checks are run again, changed cells are updated (a cell's status moves
 * between `ok` and `invalid_output` with `json_schema_valid`, as the runner
 * decides it), the scorecard is recomputed and stored, and a `rescored`
 * event is appended to the run's trace. Rubric scores are kept as judged.
 *
 * @param store The open store.
 * @param runId The run id (or a unique prefix of at least 8 characters).
 * @param options Bootstrap seed, resamples and confidence.
 * @returns What changed, and the new scorecard.
 * @throws {NotFoundError} If the run, its task version, its dataset or a case of a cell is not stored.
 *
 * @example A run that is not stored
 * ```ts
 * import { NotFoundError, open, rescore } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(rescore(store, "run_missing"), NotFoundError);
 * ```
 */
export async function rescore(
  store: Store,
  runId: string,
  options: RescoreOptions = {},
): Promise<RescoreResult> {
  const run = await getRun(store, runId);
  const task = await getTask(store, run.task, { id: run.task_id });
  const dataset = await getDataset(store, run.dataset_id);
  const cases = new Map(dataset.cases.map((c) => [c.id, c]));
  const [results, receipts, previous] = await Promise.all([
    listResults(store, run.id),
    listReceipts(store, run.id),
    latestScorecard(store, run.id),
  ]);
  const receiptById = new Map(receipts.map((r) => [r.id, r]));
  const pipeline = run.flags.includes(PIPELINE_RUN_FLAG);
  const at = nowIso();

  const updates: CellChecksUpdate[] = [];
  let statusChanged = 0;
  const rescored = results.map((result) => {
    const testCase = cases.get(result.case_key);
    if (!testCase) {
      throw new NotFoundError(
        "case",
        result.case_key,
        `run '${run.id}' has a cell for it but dataset '${run.dataset_id}' does not`,
      );
    }
    // A pipeline's output is what its function returned, not one call's text.
    const generation = result.generation_io_id === null || pipeline
      ? undefined
      : receiptById.get(result.generation_io_id);
    const output = generation ? generation.text : result.output;
    const generated = generation
      ? generation.status === "ok"
      : result.status !== "provider_error";
    const checks = scoreCell(
      task,
      testCase,
      output,
      generated ? "ok" : "provider_error",
    );
    let status: CellStatus = generated ? "ok" : "provider_error";
    if (
      status === "ok" && checks.json_schema_valid &&
      !checks.json_schema_valid.pass
    ) status = "invalid_output";
    const checksChanged = canonicalize(checks) !==
      canonicalize(result.checks);
    if (status !== result.status) statusChanged++;
    if (!checksChanged && status === result.status) return result;
    updates.push({ id: result.id, checks, status, "scored_at": at });
    return { ...result, checks, status, "scored_at": at };
  });

  await updateCellChecks(store, updates);
  // The card carries the judge's calibration as `scoreRun` gives it, so a
  // rescore that changes no check leaves the same scorecard.
  const calibration = await runCalibration(store, run);
  const scorecard = computeScorecard(
    {
      task,
      results: rescored,
      receipts,
      run,
      calibration,
      stepEvents: await pipelineStepEvents(store, run),
    },
    options,
  );
  const sha256 = await saveScorecard(store, run.id, scorecard);

  const data = {
    "run_id": run.id,
    "task_id": task.id,
    cells: results.length,
    changed: updates.length,
    "status_changed": statusChanged,
    checks: task.checks.map((c) => c.id ?? c.name),
    "scorecard_sha256": sha256,
    "previous_scorecard_sha256": previous?.sha256 ?? null,
    "model_calls": 0,
  };
  const tracer = await traceFor(store, run.trace_id, run.id);
  await tracer.emit("rescored", {
    ...(tracer.workflow.steps.some((s) => s.id === "check")
      ? { step: "check" }
      : {}),
    data,
  });

  return {
    "run_id": run.id,
    cells: results.length,
    changed: updates.length,
    "status_changed": statusChanged,
    scorecard,
    sha256,
    "previous_sha256": previous?.sha256 ?? null,
    "trace_id": tracer.traceId,
  };
}

/** The run's own trace, or a new rescore trace when the run's has no workflow snapshot. */
async function traceFor(
  store: Store,
  traceId: string,
  runId: string,
): Promise<Tracer> {
  try {
    return await Tracer.resume(store, traceId);
  } catch {
    return await Tracer.start(store, {
      "schema_version": 1,
      name: `rescore:${runId}`,
      steps: [{
        id: "check",
        description: "re-run the task's checks on stored outputs",
        uses: { run: runId },
      }],
    });
  }
}
