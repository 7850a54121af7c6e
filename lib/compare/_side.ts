/**
 * One side of a comparison: a run's scorecard and its cells' figures,
 * computed from its rows, on this thread or on a worker thread of its own
 * (so the two runs of a large comparison are read and scored at once).
 *
 * @module
 */
import type { ReceiptFigures } from "../schema/receipt.ts";
import type { CellResult } from "../schema/result.ts";
import type { JudgeCalibration, Scorecard } from "../schema/scorecard.ts";
import type { Task } from "../schema/task.ts";
import {
  type ComputeScorecardOptions,
  type ScorecardDistributions,
  scorecardWithDistributions,
} from "../scoring/compute_scorecard.ts";
import type { RunRecord } from "../store/runs.ts";
import { cellStepReceipts } from "../scoring/step_figures.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { type CellFigures, runCellFigures } from "./_figures.ts";

/** What scoring a side needs besides the run's rows. */
export interface SideJob {
  /** The run. */
  readonly run: RunRecord;
  /** Its task version. */
  readonly task: Task;
  /** The judge's calibration the scorecard carries (see `runCalibration`). */
  readonly calibration: JudgeCalibration | null;
  /** Bootstrap seed, resamples and confidence. */
  readonly scoring: ComputeScorecardOptions;
  /** A pipeline's run: its trace events (per-step figures, per-cell cost over every step). */
  readonly stepEvents?: readonly TraceEvent[] | undefined;
}

/** A side's scorecard (not yet stored) and its cells' figures. */
export interface SideScores {
  /** The scorecard, as `scoreRun` computes it. */
  readonly scorecard: Scorecard;
  /** Every cell's figures, in the order of the run's results. */
  readonly cells: CellFigures[];
  /** The bootstrap distributions behind the scorecard, for the verdict to reuse. */
  readonly distributions: ScorecardDistributions;
  /** The run's receipts: every call it made, live or from the cache (the size a settling budget is measured against). */
  readonly receipts: number;
}

/** Scores a side from its results and receipts. */
export function scoreSideRows(
  job: SideJob,
  results: readonly CellResult[],
  receipts: readonly ReceiptFigures[],
): SideScores {
  const { run, task, calibration, scoring, stepEvents } = job;
  const { scorecard, distributions } = scorecardWithDistributions(
    { task, results, receipts, run, calibration, stepEvents },
    scoring,
  );
  return {
    scorecard,
    cells: runCellFigures(
      task,
      results,
      receipts,
      stepEvents && cellStepReceipts(stepEvents),
    ),
    distributions,
    receipts: receipts.length,
  };
}

/** A message to the side thread: the job and the database file to read. */
export interface SideThreadJob extends SideJob {
  /** The local database file. */
  readonly path: string;
}

/** The side thread's answer. */
export type SideThreadReply =
  | { readonly ok: true; readonly scores: SideScores }
  | { readonly ok: false; readonly message: string };

/** A worker thread scoring one side; `close` ends it. */
export interface SideThread {
  /** Scores the side; rejects if the thread fails. */
  readonly scores: Promise<SideScores>;
  /** Ends the thread (at once, whether or not it answered). */
  close(): void;
}

/**
 * Starts a worker thread that reads a run from a local database file and
 * scores it. Its answer is the same as {@linkcode scoreSideRows} on the
 * rows `listResults` and `listReceiptFigures` return.
 */
export function startSideThread(job: SideThreadJob): SideThread {
  const worker = new Worker(
    new URL("./_side_worker.ts", import.meta.url).href,
    { type: "module" },
  );
  const { promise, resolve, reject } = Promise.withResolvers<SideScores>();
  worker.onmessage = (event: MessageEvent<SideThreadReply>) => {
    const reply = event.data;
    if (reply.ok) resolve(reply.scores);
    else reject(new Error(reply.message));
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    reject(new Error(`The scoring thread failed: ${event.message}`));
  };
  worker.postMessage(job);
  return { scores: promise, close: () => worker.terminate() };
}
