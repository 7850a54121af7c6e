import { newId } from "../content/ids.ts";
import { ConflictError } from "../errors.ts";
import type { Store } from "../store/open.ts";
import { committedCells, getRun, setRunStatus } from "../store/runs.ts";
import { Tracer } from "../trace/tracer.ts";
import { executeRun } from "./_execute_run.ts";
import { pendingCells, planNew, planStoredRun } from "./_plan.ts";
import { loadResources } from "./_resources.ts";
import { startRun } from "./_start_run.ts";
import {
  type ExperimentOptions,
  resolveRunnerOptions,
  type RunnerOptions,
} from "./options.ts";
import type { ExperimentResult, RunSummary } from "./run_summary.ts";

/**
 * Runs prompt versions x models over a task's dataset, with repetitions.
 * Every model call becomes a receipt; each cell (a case x a repetition)
 * commits its receipts, its scored result and its trace events in one
 * transaction, so a killed run resumes ({@linkcode resumeExperiment}) with
 * nothing lost and no committed call repeated. Identical calls are served
 * from the cache.
 *
 * @param store The database (load the catalog into it first).
 * @param options What to run and how.
 * @returns One summary per run.
 * @throws {ValidationError} If the options name no task, prompt or model, or too few repetitions.
 * @throws {TypeError} If a runner option is out of range (nothing is written).
 * @throws {NotFoundError} If a task, prompt version or model config does not exist.
 * @throws {ConfigError} If a provider's API key is missing (before any call).
 *
 * @example Two prompt versions on the fake provider
 * ```ts
 * import { experiment, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const result = await experiment(store, {
 *   task: "resume_matching",
 *   prompts: ["v1", "v3"],
 *   models: ["fake-fast"],
 *   cases: ["rm-001", "rm-002"],
 * });
 * assert.equal(result.runs.length, 2);
 * assert.equal(result.runs[0]?.cells, 6);
 * ```
 */
export async function experiment(
  store: Store,
  options: ExperimentOptions,
): Promise<ExperimentResult> {
  const resolved = resolveRunnerOptions(options);
  const experimentId = newId("exp");
  const plans = await planNew(store, options, experimentId);
  const resources = await loadResources(store, plans, options);
  const runs: RunSummary[] = [];
  for (const plan of plans) {
    const tracer = await startRun(store, plan, "running");
    const cells = pendingCells(
      plan.cases,
      () => plan.run.repetitions,
      new Set(),
    );
    runs.push(
      await executeRun(
        store,
        { plan, cells, resumed: 0, tracer, resources },
        options,
        resolved,
      ),
    );
    if (options.signal?.aborted) break;
  }
  return { experiment_id: experimentId, runs };
}

/**
 * Resumes an interrupted run: runs its missing cells with the task, prompt
 * version, model, judges, dataset and cases it started with, repeating no
 * committed call.
 *
 * @param store The database holding the run.
 * @param runId The run id.
 * @param options How to run (concurrency, limits, cache, progress...).
 * @returns The experiment id and the resumed run's summary.
 * @throws {NotFoundError} If the run does not exist.
 * @throws {ConflictError} If the run is complete.
 *
 * @example Resuming a run that was cancelled before its first call
 * ```ts
 * import { experiment, loadCatalog, open, resumeExperiment } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const stop = new AbortController();
 * stop.abort();
 * const first = await experiment(store, {
 *   task: "resume_matching", prompts: ["v1"], models: ["fake-fast"],
 *   cases: ["rm-001"], signal: stop.signal,
 * });
 * assert.equal(first.runs[0]?.status, "interrupted");
 * const resumed = await resumeExperiment(store, first.runs[0]!.run_id);
 * assert.equal(resumed.runs[0]?.status, "completed");
 * assert.equal(resumed.runs[0]?.committed, 3);
 * ```
 */
export async function resumeExperiment(
  store: Store,
  runId: string,
  options: RunnerOptions = {},
): Promise<ExperimentResult> {
  const resolved = resolveRunnerOptions(options);
  const run = await getRun(store, runId);
  if (run.status === "completed") {
    throw new ConflictError(
      `Cannot resume run "${run.id}": it is complete, every cell is committed; see it with \`wb show ${run.id}\``,
    );
  }
  const plan = await planStoredRun(store, run);
  const resources = await loadResources(store, [plan], options);
  const done = await committedCells(store, run.id);
  const cells = pendingCells(plan.cases, () => run.repetitions, done);
  const tracer = await Tracer.resume(store, run.trace_id);
  await setRunStatus(store, run.id, "running", null);
  await tracer.emit("run_resumed", { data: { run_id: run.id } });
  const summary = await executeRun(
    store,
    { plan, cells, resumed: done.size, tracer, resources },
    options,
    resolved,
  );
  return { experiment_id: run.experiment_id, runs: [summary] };
}
