import type { ExperimentResult } from "../experiment/run_summary.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import { html } from "./_html.ts";
import { stepsTable, stepsText } from "./_steps.ts";
import { num, table, verdictBanner } from "./_sections.ts";
import { View } from "./view.ts";

/** Options of {@link viewExperiment}. */
export interface ViewExperimentOptions {
  /**
   * The runs' scorecards ({@linkcode scoreRun}): a pipeline run's steps
   * table is shown under the runs.
   */
  readonly scorecards?: readonly Scorecard[];
}

/**
 * An experiment's run summaries for a notebook: the overall status first
 * (all runs completed, or which did not), then one row per run with its
 * cells, failures, judge errors, cache hits and exact cost, and, given the
 * scorecards of pipeline runs, each one's steps table (cells, failures,
 * refusals, owned failures, calls, exact cost, latency, gate decisions).
 *
 * @param result What {@linkcode experiment} returned.
 * @param options The runs' scorecards, for their steps.
 * @returns The view.
 *
 * @example A finished experiment
 * ```ts
 * import { viewExperiment } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const view = viewExperiment({
 *   experiment_id: "exp_1",
 *   runs: [{
 *     run_id: "run_1", prompt_version_id: "t@v1", model_config_id: "fake-fast",
 *     status: "completed", cells: 6, committed: 6, resumed: 0, failures: 0,
 *     judge_errors: 0, adapter_calls: 12, cache_hits: 0, attempts: 15,
 *     failed_attempts: 3, rate_limited: 2, retry_wait_ms: 4200, cost: "0.0012",
 *     uncached_cost: "0.0012", unreceipted_calls: 0, scorecard_sha256: null,
 *   }],
 * });
 * assert.match(view.text, /COMPLETED/);
 * assert.match(view.html, /0\.0012/);
 * assert.match(view.text, /3 failed attempts \(2 rate-limited\), 4\.2 s waited/);
 * ```
 */
export function viewExperiment(
  result: ExperimentResult,
  options: ViewExperimentOptions = {},
): View {
  const ids = new Set(result.runs.map((r) => r.run_id));
  const piped = (options.scorecards ?? []).filter((c) =>
    c.steps && ids.has(c.run.id)
  );
  const unfinished = result.runs.filter((r) => r.status !== "completed");
  const failures = result.runs.reduce((n, r) => n + r.failures, 0);
  const word = unfinished.length === 0 ? "COMPLETED" : "UNFINISHED";
  const reasons = [
    ...unfinished.map((r) =>
      `run ${r.run_id} (${r.prompt_version_id} × ${r.model_config_id}) is ${r.status}`
    ),
    ...(failures > 0 ? [`${failures} cell(s) failed to generate`] : []),
  ];
  const body = html`${
    verdictBanner(
      word,
      reasons,
      `Experiment ${result.experiment_id}: ${result.runs.length} run(s)`,
    )
  }${
    table(
      [
        "run",
        "prompt",
        "model",
        "status",
        { text: "cells", numeric: true },
        { text: "failures", numeric: true },
        { text: "judge errors", numeric: true },
        { text: "cache hits", numeric: true },
        { text: "attempts", numeric: true },
        { text: "failed attempts", numeric: true },
        { text: "rate-limited", numeric: true },
        { text: "retry wait", numeric: true },
        { text: "cost", numeric: true },
      ],
      result.runs.map((r) => [
        html`<code>${r.run_id}</code>`,
        r.prompt_version_id,
        r.model_config_id,
        r.status,
        num(r.cells),
        num(r.failures),
        num(r.judge_errors),
        num(r.cache_hits),
        num(r.attempts),
        num(r.failed_attempts),
        num(r.rate_limited),
        seconds(r.retry_wait_ms),
        num(r.cost),
      ]),
    )
  }${
    piped.map((c) =>
      html`<h3>Steps: ${c.run.prompt_version_id} × ${c.run.model_config_id} <span class="muted">(run ${c.run.id})</span></h3>${
        stepsTable(c.steps!, c.cost.currency)
      }`
    )
  }`;
  const text = [
    `experiment ${result.experiment_id}: ${word}`,
    ...reasons.map((r) => `  - ${r}`),
    ...result.runs.map((r) =>
      `  ${r.run_id} ${r.prompt_version_id} x ${r.model_config_id}: ${r.status}, ${r.cells} cells, ${r.failures} failures, ${r.attempts} attempts, ${r.failed_attempts} failed attempts (${r.rate_limited} rate-limited), ${
        seconds(r.retry_wait_ms)
      } waited, cost ${r.cost}`
    ),
    ...piped.flatMap((c) => [`  ${c.run.id} (a pipeline)`, ...stepsText(c)]),
  ].join("\n");
  return new View(body.value, text);
}

/** Milliseconds as seconds with one decimal. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
