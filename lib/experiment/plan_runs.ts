import { newId } from "../content/ids.ts";
import type { Store } from "../store/open.ts";
import { insertRuns, type NewRun } from "../store/runs.ts";
import { planNew } from "./_plan.ts";
import { type ExperimentOptions, resolveSettings } from "./options.ts";

/** What {@linkcode planRuns} recorded. */
export interface PlannedRuns {
  /** The experiment the runs belong to. */
  readonly experiment_id: string;
  /** The runs, `planned`, in the order `experiment` would run them. */
  readonly runs: readonly NewRun[];
}

/**
 * Records an experiment's runs, `planned` with their settings, without
 * running a cell, as `experiment` records them before its first call.
 * Workers then run them ({@linkcode runWorker}, `wb worker --run RUN`), on
 * this machine or others sharing the store; `resumeExperiment` runs them in
 * this process.
 *
 * @param store The database (load the catalog into it first).
 * @param options What to run, and the settings the runs record.
 * @returns The experiment id and the planned runs.
 * @throws {ValidationError} If the options name no task, prompt or model, or too few repetitions.
 * @throws {NotFoundError} If a task, prompt version or model config does not exist.
 *
 * @example Two runs planned for workers
 * ```ts
 * import { listRuns, loadCatalog, open, planRuns } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await planRuns(store, {
 *   task: "resume_matching", prompts: ["v1", "v3"], models: ["fake-fast"],
 * });
 * assert.equal(runs.length, 2);
 * assert.deepEqual((await listRuns(store)).map((r) => r.status), ["planned", "planned"]);
 * ```
 */
export async function planRuns(
  store: Store,
  options: ExperimentOptions,
): Promise<PlannedRuns> {
  const { settings } = resolveSettings(options);
  const experimentId = newId("exp");
  const plans = await planNew(store, options, experimentId, settings);
  const runs = plans.map((p) => p.run);
  await insertRuns(store, runs);
  return { experiment_id: experimentId, runs };
}
