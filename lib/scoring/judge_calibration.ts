import type {
  DimensionCalibration,
  JudgeCalibration,
} from "../schema/scorecard.ts";
import { listLabels } from "../store/labels.ts";
import type { Store } from "../store/open.ts";
import { calibrate } from "./calibrate.ts";

export type { DimensionCalibration, JudgeCalibration };

/** Options for {@linkcode judgeCalibration}. */
export interface JudgeCalibrationOptions {
  /** The task whose labels are read. */
  task: string;
  /** The judge's model config id. */
  judge: string;
}

/**
 * Below this Spearman's rho a judge's agreement with people is called weak
 * (a verdict resting on such a judge carries a warning).
 *
 * @example Is a judge's agreement weak?
 * ```ts
 * import { spearmanRho, WEAK_RHO } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const people = [1, 2, 3, 4, 5, 3];
 * assert.ok(spearmanRho(people, [1, 2, 4, 4, 5, 3]) >= WEAK_RHO);
 * assert.ok(spearmanRho(people, [4, 2, 1, 5, 3, 2]) < WEAK_RHO);
 * ```
 */
export const WEAK_RHO = 0.5;

/**
 * The compact calibration figures a scorecard and a verdict carry: per
 * rubric dimension, Spearman's rho, Kendall's tau-b, quadratic-weighted
 * kappa, the mean bias and n, computed by {@linkcode calibrate} from the
 * task's labels and the outputs this judge scored (point estimates only:
 * `wb calibrate` gives the intervals and the disagreements). Resolves to
 * `null` when the task has no label or no label matches an output the
 * judge scored, so a scorecard without labels is unchanged.
 *
 * @param store The open store.
 * @param options The task and the judge's model config id.
 * @returns The figures, or `null` without matched labels.
 * @throws {NotFoundError} If the task has labels but is not stored.
 *
 * @example No labels: no figures
 * ```ts
 * import { judgeCalibration, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * assert.equal(await judgeCalibration(store, { task: "support_triage", judge: "fake-judge" }), null);
 * ```
 */
export async function judgeCalibration(
  store: Store,
  options: JudgeCalibrationOptions,
): Promise<JudgeCalibration | null> {
  // Cheap check first: scoreRun calls this at the end of every run.
  if ((await listLabels(store, options.task)).length === 0) return null;
  // Only the point estimates are read, so one bootstrap resample suffices.
  const result = await calibrate(store, {
    task: options.task,
    judge: options.judge,
    resamples: 1,
    top: 0,
  });
  if (result.matched === 0) return null;
  const dimensions: Record<string, DimensionCalibration> = {};
  for (const [name, d] of Object.entries(result.dimensions)) {
    dimensions[name] = {
      n: d.n,
      rho: d.spearman?.estimate ?? null,
      "tau_b": d.kendall_tau_b?.estimate ?? null,
      kappa: d.weighted_kappa,
      bias: d.bias,
    };
  }
  return {
    judge: result.judge,
    labels: result.labels,
    matched: result.matched,
    dimensions,
  };
}
