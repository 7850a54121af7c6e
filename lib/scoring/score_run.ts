import type { JudgeCalibration, Scorecard } from "../schema/scorecard.ts";
import { getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { getRun, type RunRecord } from "../store/runs.ts";
import { eachRunReceiptFigure } from "../store/production.ts";
import { eachScoredCell, saveScorecard } from "../store/scores.ts";
import { ScorecardFold } from "./_scorecard_fold.ts";
import {
  computeScorecard,
  type ComputeScorecardOptions,
  type ScorecardInput,
} from "./compute_scorecard.ts";
import { judgeCalibration } from "./judge_calibration.ts";
import { PIPELINE_RUN_FLAG } from "./step_figures.ts";
import { listTraceEvents } from "../store/trace.ts";
import type { TraceEvent } from "../schema/trace_event.ts";

/** A pipeline run's trace events (for its per-step figures); undefined for a prompt's run. */
export async function pipelineStepEvents(
  store: Store,
  run: RunRecord,
): Promise<TraceEvent[] | undefined> {
  return run.flags.includes(PIPELINE_RUN_FLAG)
    ? await listTraceEvents(store, run.trace_id)
    : undefined;
}

/** What {@linkcode scoreRun} returns. */
export interface ScoreRunResult {
  /** The scorecard. */
  readonly scorecard: Scorecard;
  /** Its content hash (the key it is stored under). */
  readonly sha256: string;
}

/**
 * Computes a stored run's scorecard from its results and receipts as they
 * are now (folded row by row as they are read: memory grows with the
 * cases, not with every cell and receipt held whole), and stores it (idempotently: the same content is the same row).
 * Calls no model. When the run is judged and human labels of the task match
 * outputs its judge scored, the card's `judge.calibration` carries the
 * judge's agreement figures ({@linkcode judgeCalibration}); adding labels
 * later changes the card the next time the run is scored.
 *
 * @param store The open store.
 * @param runId The run id (or a unique prefix of at least 8 characters).
 * @param options Bootstrap seed, resamples and confidence.
 * @returns The scorecard and its sha256.
 * @throws {NotFoundError} If the run or its task version is not stored.
 *
 * @example A run that is not stored
 * ```ts
 * import { NotFoundError, open, scoreRun } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(scoreRun(store, "run_missing"), NotFoundError);
 * ```
 */
export async function scoreRun(
  store: Store,
  runId: string,
  options: ComputeScorecardOptions = {},
): Promise<ScoreRunResult> {
  const run = await getRun(store, runId);
  const task = await getTask(store, run.task, { id: run.task_id });
  const [calibration, stepEvents] = await Promise.all([
    runCalibration(store, run),
    pipelineStepEvents(store, run),
  ]);
  // Folded as the rows are read: no list of the run's cells or receipts.
  const fold = new ScorecardFold({ task, run, stepEvents });
  await eachScoredCell(store, run.id, (cell) => fold.addCell(cell));
  await eachRunReceiptFigure(
    store,
    run,
    fold.receiptIds(),
    (receipt) => fold.addReceipt(receipt),
  );
  const { scorecard } = fold.finish({ calibration, stepEvents }, options);
  const sha256 = await saveScorecard(store, run.id, scorecard);
  return { scorecard, sha256 };
}

/**
 * {@linkcode scoreRun} for a run whose results and receipts the caller has
 * already read (a verdict reads them once for the scorecard and its own
 * figures). Internal: not exported from mod.ts.
 */
export async function scoreLoadedRun(
  store: Store,
  loaded: Omit<ScorecardInput, "calibration"> & { readonly run: RunRecord },
  options: ComputeScorecardOptions = {},
): Promise<ScoreRunResult> {
  const { run, task, results, receipts, stepEvents } = loaded;
  const calibration = await runCalibration(store, run);
  const scorecard = computeScorecard(
    { task, results, receipts, run, calibration, stepEvents },
    options,
  );
  const sha256 = await saveScorecard(store, run.id, scorecard);
  return { scorecard, sha256 };
}

/**
 * The calibration a run's scorecard carries: its judge's agreement with
 * the task's human labels, or `null` for an unjudged run. Internal.
 */
export async function runCalibration(
  store: Store,
  run: Pick<RunRecord, "task" | "judge_config_id">,
): Promise<JudgeCalibration | null> {
  return run.judge_config_id === null ? null : await judgeCalibration(store, {
    task: run.task,
    judge: run.judge_config_id,
  });
}
