import type { Scorecard } from "../schema/scorecard.ts";
import type { Store } from "../store/open.ts";
import { listWindowRuns } from "../store/production.ts";
import { latestScorecard } from "../store/scores.ts";

/** A scored production window: its id, run and stored scorecard. */
export interface ProductionWindow {
  /** The window, e.g. `2026-12-01` or `2026-W49`. */
  readonly window: string;
  /** The run holding its results. */
  readonly run_id: string;
  /** Its scorecard. */
  readonly scorecard: Scorecard;
}

/**
 * The production windows `scoreTraces` scored for a task, oldest first
 * (the latest scoring of each window), with their stored scorecards: what
 * `plotDrift` draws.
 *
 * @param store The database.
 * @param task The task.
 * @returns The windows.
 *
 * @example No window scored yet
 * ```ts
 * import { open, productionWindows } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * assert.deepEqual(await productionWindows(store, "support_triage"), []);
 * ```
 */
export async function productionWindows(
  store: Store,
  task: string,
): Promise<ProductionWindow[]> {
  const out: ProductionWindow[] = [];
  for (const run of await listWindowRuns(store, task)) {
    const stored = await latestScorecard(store, run.id);
    if (!stored) continue;
    out.push({
      window: run.dataset_id.split(":").at(-1)!,
      run_id: run.id,
      scorecard: stored.scorecard,
    });
  }
  return out;
}
