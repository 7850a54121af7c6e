import { newId } from "../content/ids.ts";
import type { Store } from "../store/open.ts";
import type { RunRecord } from "../store/runs.ts";
import { planNew } from "./_plan.ts";
import { startRun } from "./_start_run.ts";
import type { ExperimentOptions } from "./options.ts";

/** What {@linkcode planRuns} recorded. */
export interface PlannedRuns {
  /** The experiment the runs belong to. */
  readonly experiment_id: string;
  /** The runs, `planned`, in the order `experiment` would run them. */
  readonly runs: readonly RunRecord[];
}

/**
 * Records an experiment's runs without running a cell: each run's row
 * (status `planned`), its workflow snapshot and its `run_started` event.
 * Workers then run them ({@linkcode runWorker}, `wb worker --run RUN`), on
 * this machine or others sharing the store; `resumeExperiment` runs one in
 * this process.
 *
 * @param store The database (load the catalog into it first).
 * @param options What to run (as for `experiment`; runner options are the workers').
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
  const experimentId = newId("exp");
  const plans = await planNew(store, options, experimentId);
  const runs: RunRecord[] = [];
  for (const plan of plans) {
    await startRun(store, plan, "planned");
    runs.push({ ...plan.run, status: "planned" });
  }
  return { experiment_id: experimentId, runs };
}
