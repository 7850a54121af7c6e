import { ValidationError } from "../errors.ts";
import type { Store } from "../store/open.ts";
import { countCommittedCells, getRun } from "../store/runs.ts";
import { Tracer } from "../trace/tracer.ts";
import { executeRun } from "./_execute_run.ts";
import {
  isPipelineRun,
  pipelineForRun,
  planStoredPipelineRun,
} from "./_pipeline_plan.ts";
import { CellStream } from "./_cell_stream.ts";
import {
  type Cell,
  missingCase,
  pendingCells,
  planStoredRun,
} from "./_plan.ts";
import { loadResources } from "./_resources.ts";
import { resolveSettings, type RunnerOptions } from "./options.ts";
import type { RunSummary } from "./run_summary.ts";

/** Options for {@linkcode extendRun}: which cases get more repetitions, and how to run them. */
export interface ExtendRunOptions extends RunnerOptions {
  /**
   * For each case, the repetitions it should have in all: repetitions
   * `0 .. repetitions - 1` that are not committed yet are run. A case
   * already at (or past) its count gets no call.
   */
  cells: readonly { readonly case_key: string; readonly repetitions: number }[];
}

/**
 * Adds repetitions of some cases to a completed run, with the run's own
 * prompt version, model, judges, dataset and settings (runner options given
 * here override them for this session only), through the same runner
 * (receipts, cache, trace events, commit) as any cell; then re-scores the
 * run. Settling a verdict uses it to measure only the cases that decide an
 * undecided limit. The run's `repetitions` stays the base count; its
 * results then hold more repetitions for the extended cases.
 *
 * @param store The database holding the run.
 * @param runId The run to extend (completed).
 * @param options The cases and their repetition counts; how to run them.
 * @returns The session's summary (`cells` counts every cell the run then has).
 * @throws {NotFoundError} If the run does not exist.
 * @throws {ValidationError} If the run is not completed, a case is not in the run, or a count is not a positive integer.
 *
 * @example Two more repetitions of one case
 * ```ts
 * import { experiment, extendRun, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await experiment(store, {
 *   task: "resume_matching", prompts: ["v1"], models: ["fake-fast"], cases: ["rm-001", "rm-002"],
 * });
 * const more = await extendRun(store, runs[0]!.run_id, { cells: [{ case_key: "rm-001", repetitions: 5 }] });
 * assert.equal(more.committed, 2);
 * assert.equal(more.cells, 8);
 * ```
 */
export async function extendRun(
  store: Store,
  runId: string,
  options: ExtendRunOptions,
): Promise<RunSummary> {
  const run = await getRun(store, runId);
  const { settings } = resolveSettings(options, run.settings);
  if (run.status !== "completed") {
    throw new ValidationError([{
      field: "run",
      message:
        `run "${run.id}" is ${run.status}: only a completed run is extended; resume it first (wb experiment --resume ${run.id})`,
    }]);
  }
  const plan = isPipelineRun(run)
    ? await planStoredPipelineRun(store, run, pipelineForRun(options, run))
    : await planStoredRun(store, run);
  const wanted = new Map<string, number>();
  const missing = await missingCase(
    store,
    plan.cases,
    options.cells.map((c) => c.case_key),
  );
  if (missing !== undefined) {
    throw new ValidationError([{
      field: "cells",
      message:
        `case "${missing}" is not in run "${run.id}"; name a case the run has (wb show ${run.id} lists them)`,
    }]);
  }
  for (const { case_key, repetitions } of options.cells) {
    if (!Number.isInteger(repetitions) || repetitions < 1) {
      throw new ValidationError([{
        field: "cells",
        message:
          `Expected repetitions of case "${case_key}" to be a positive integer but found ${repetitions}`,
      }]);
    }
    wanted.set(case_key, Math.max(wanted.get(case_key) ?? 0, repetitions));
  }
  const committed = await countCommittedCells(store, run.id);
  // The cells of the cases named (few: a verdict settles a few cases), read
  // in the run's case order; the event lists them.
  const stream = await pendingCells(store, plan.cases, wanted, run.id);
  const cells: Cell[] = [];
  for (let i = 0; i < stream.count; i++) cells.push(await stream.cell(i));
  const resources = await loadResources(store, [plan], settings, options);
  const tracer = await Tracer.resume(store, run.trace_id, {
    secrets: resources.secrets,
    enforceGates: false,
  });
  await tracer.emit("run_extended", {
    data: {
      run_id: run.id,
      cells: cells.map((c) => ({
        case: c.testCase.id,
        repetition: c.repetition,
      })),
    },
  });
  return await executeRun(
    store,
    {
      plan,
      cells: CellStream.of(cells),
      resumed: committed,
      tracer,
      resources,
    },
    options,
    settings,
  );
}
