import { newId } from "../content/ids.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import type { Store } from "../store/open.ts";
import {
  countCommittedCells,
  getRun,
  insertRuns,
  listExperimentRuns,
  setRunSettings,
  setRunStatus,
} from "../store/runs.ts";
import { settleSends } from "../store/send_journal.ts";
import { Tracer } from "../trace/tracer.ts";
import type { WorkflowInput } from "../trace/workflow.ts";
import { executeRun, unreceiptedCalls } from "./_execute_run.ts";
import {
  isPipelineRun,
  pipelineForRun,
  type PipelinePlan,
  pipelinesOf,
  planPipeline,
  planStoredPipelineRun,
} from "./_pipeline_plan.ts";
import { pendingCells, type Plan, planNew, planStoredRun } from "./_plan.ts";
import { loadResources, type RunResources } from "./_resources.ts";
import {
  type ExperimentOptions,
  resolveSettings,
  type RunnerOptions,
} from "./options.ts";
import type { ExperimentResult, RunSummary } from "./run_summary.ts";

/**
 * Runs prompt versions x models over a task's dataset, with repetitions.
 * Every run is recorded (`planned`, with its settings) before the first
 * call, so a killed experiment resumes as a whole
 * ({@linkcode resumeExperiment}). Every model call becomes a receipt; each
 * cell (a case x a repetition) commits its receipts, its scored result and
 * its trace events in one transaction, so nothing committed is lost and no
 * committed call is repeated. Identical calls are served from the cache.
 *
 * With `pipeline` instead of `prompts` and `models`, each pipeline given
 * (docs/pipelines.md) is one run: its function runs over the cases x
 * repetitions through the same runner, every call a receipt bound to its
 * cell and step, its final output checked and judged; the scorecard adds
 * per-step figures.
 *
 * @param store The database (load the catalog into it first).
 * @param options What to run and how.
 * @returns One summary per run started (all of them unless cancelled).
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
  const { settings } = resolveSettings(options);
  const experimentId = newId("exp");
  const plans = options.pipeline === undefined
    ? await planNew(store, options, experimentId, settings)
    : await planPipelines(store, options, experimentId, settings);
  const resources = await loadResources(store, plans, settings, options);
  await insertRuns(store, plans.map((p) => p.run));
  const runs: RunSummary[] = [];
  for (const plan of plans) {
    if (options.signal?.aborted) break;
    runs.push(
      await startRun(
        store,
        plan,
        { settings, overrides: {} },
        resources,
        options,
      ),
    );
  }
  return { experiment_id: experimentId, runs };
}

/**
 * Finishes an experiment that was cancelled or killed: every run it
 * planned that is not complete, in order, each with the task, prompt
 * version, model, judges, dataset, cases and settings it was planned with.
 * No committed call is repeated. Calls a killed session sent but never
 * receipted are counted from the send journal, recorded on the run
 * (`unreceipted_calls`, and a `calls_unreceipted` event with their likely
 * cost) and reported in the summaries.
 *
 * @param store The database holding the experiment.
 * @param id The experiment id, or the id of any of its runs (a unique prefix of 8 or more characters works too).
 * @param options How to run; concurrency, rate limits, retries or cache given here override the runs' recorded settings (recorded in `run_resumed`).
 * @returns The experiment id and a summary per run resumed.
 * @throws {NotFoundError} If no experiment or run has this id.
 * @throws {ConflictError} If every run of the experiment is complete.
 *
 * @example Resuming an experiment cancelled before its first call
 * ```ts
 * import { experiment, loadCatalog, open, resumeExperiment } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const stop = new AbortController();
 * stop.abort();
 * const first = await experiment(store, {
 *   task: "resume_matching", prompts: ["v1", "v2"], models: ["fake-fast"],
 *   cases: ["rm-001"], signal: stop.signal,
 * });
 * assert.equal(first.runs.length, 0);
 * const resumed = await resumeExperiment(store, first.experiment_id);
 * assert.deepEqual(resumed.runs.map((r) => [r.status, r.committed]), [["completed", 3], ["completed", 3]]);
 * ```
 */
export async function resumeExperiment(
  store: Store,
  id: string,
  options: RunnerOptions = {},
): Promise<ExperimentResult> {
  const experimentId = await experimentOf(store, id);
  const all = await listExperimentRuns(store, experimentId);
  const unfinished = all.filter((r) => r.status !== "completed");
  if (unfinished.length === 0) {
    throw new ConflictError(
      `Cannot resume experiment "${experimentId}": it is complete, every run's cells are committed; see its runs with \`wb runs\``,
    );
  }
  // Settings are checked, and plans and adapters built, for every run before any is touched.
  const sessions = unfinished.map((run) => ({
    run,
    resolved: resolveSettings(options, run.settings),
  }));
  const plans = await Promise.all(
    sessions.map(({ run }) =>
      isPipelineRun(run)
        ? planStoredPipelineRun(store, run, pipelineForRun(options, run))
        : planStoredRun(store, run)
    ),
  );
  const resources = await loadResources(
    store,
    plans,
    sessions[0]!.resolved.settings,
    options,
  );
  const runs: RunSummary[] = [];
  for (const [i, { run, resolved }] of sessions.entries()) {
    if (options.signal?.aborted) break;
    if (Object.keys(resolved.overrides).length > 0) {
      await setRunSettings(store, run.id, resolved.settings);
    }
    runs.push(
      run.status === "planned"
        ? await startRun(store, plans[i]!, resolved, resources, options)
        : await continueRun(store, plans[i]!, resolved, resources, options),
    );
  }
  return { experiment_id: experimentId, runs };
}

/** One run per pipeline given, in order. */
async function planPipelines(
  store: Store,
  options: ExperimentOptions,
  experimentId: string,
  settings: RunSettings,
): Promise<PipelinePlan[]> {
  const plans: PipelinePlan[] = [];
  for (const pipeline of pipelinesOf(options)) {
    const plan = await planPipeline(
      store,
      { ...options, pipeline },
      experimentId,
      settings,
    );
    plans.push({ ...plan, run: { ...plan.run, position: plans.length } });
  }
  const labels = plans.map((p) => p.run.prompt_version_id);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) {
    throw new ValidationError([{
      field: "pipeline",
      message: `${twice} is given twice; give each pipeline version once`,
    }]);
  }
  return plans;
}

/** What `run_started` records about what a run runs. */
function runStartedData(plan: Plan | PipelinePlan): Record<string, unknown> {
  if ("pipeline" in plan) {
    const meta = (plan.run.workflow as { meta: Record<string, unknown> }).meta;
    return {
      pipeline: meta.pipeline,
      models: meta.models,
      prompts: meta.prompts,
    };
  }
  return {
    prompt_version: plan.version.id,
    prompt_sha256: plan.version.sha256,
    model_config: plan.model.id,
  };
}

/** The experiment an id names: itself, or the experiment of the run it names. */
async function experimentOf(store: Store, id: string): Promise<string> {
  if (id.startsWith("exp_")) {
    const runs = await listExperimentRuns(store, id);
    if (runs.length > 0) return id;
    throw new NotFoundError(
      "experiment",
      id,
      "list runs and their experiments with `wb runs`",
    );
  }
  return (await getRun(store, id)).experiment_id;
}

/** A planned run's first session: its trace starts, then its cells run. */
async function startRun(
  store: Store,
  plan: Plan | PipelinePlan,
  resolved: { settings: RunSettings; overrides: Partial<RunSettings> },
  resources: RunResources,
  options: RunnerOptions,
): Promise<RunSummary> {
  const { run } = plan;
  // A run's trace holds many executions of its workflow (one per cell):
  // a pipeline's cells keep their own gates.
  const tracer = await Tracer.start(store, run.workflow as WorkflowInput, {
    traceId: run.trace_id,
    secrets: resources.secrets,
    enforceGates: false,
  });
  await setRunStatus(store, run.id, "running", null);
  await tracer.emit("run_started", {
    data: {
      run_id: run.id,
      ...runStartedData(plan),
      dataset: run.dataset_id,
      repetitions: run.repetitions,
      settings: resolved.settings,
      ...(Object.keys(resolved.overrides).length > 0
        ? { overrides: resolved.overrides }
        : {}),
    },
  });
  const cells = await pendingCells(store, plan.cases, run.repetitions);
  return await executeRun(
    store,
    { plan, cells, resumed: 0, tracer, resources },
    options,
    resolved.settings,
  );
}

/** A started run's next session: what a killed session left is accounted for, then the missing cells run. */
async function continueRun(
  store: Store,
  plan: Plan | PipelinePlan,
  resolved: { settings: RunSettings; overrides: Partial<RunSettings> },
  resources: RunResources,
  options: RunnerOptions,
): Promise<RunSummary> {
  const { run } = plan;
  const lost = await settleSends(store, run.id);
  const committed = await countCommittedCells(store, run.id);
  const cells = await pendingCells(
    store,
    plan.cases,
    run.repetitions,
    run.id,
  );
  const tracer = await Tracer.resume(store, run.trace_id, {
    secrets: resources.secrets,
    enforceGates: false,
  });
  await setRunStatus(store, run.id, "running", null);
  if (lost.newly > 0) {
    await tracer.emit("calls_unreceipted", {
      data: unreceiptedCalls(run.id, lost),
    });
  }
  await tracer.emit("run_resumed", {
    data: {
      run_id: run.id,
      cells_committed: committed,
      ...(Object.keys(resolved.overrides).length > 0
        ? { overrides: resolved.overrides }
        : {}),
    },
  });
  return await executeRun(
    store,
    { plan, cells, resumed: committed, tracer, resources },
    options,
    resolved.settings,
  );
}
