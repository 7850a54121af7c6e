/**
 * Planning a pipeline's run: the pipeline checked, its module's source
 * hashed, its models and prompt versions pinned in the workflow snapshot.
 *
 * @module
 */
import { newId, nowIso } from "../content/ids.ts";
import { contentHash, sha256Hex } from "../content/sha256.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import type { PromptVersion } from "../schema/prompt.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import type { Task } from "../schema/task.ts";
import {
  getDatasetInfo,
  getModelConfig,
  getPromptVersion,
  getTask,
  latestDatasetId,
} from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import type { RunRecord } from "../store/runs.ts";
import { type WorkflowInput, WorkflowSchema } from "../trace/workflow.ts";
import {
  type CaseSet,
  checkRepetitions,
  type JuryPlan,
  planJury,
  selectCases,
  storedCases,
  storedJudges,
  type VersionedConfig,
} from "./_plan.ts";
import { PIPELINE_RUN_FLAG } from "../scoring/step_figures.ts";
import type { ExperimentOptions } from "./options.ts";
import type { Pipeline } from "./pipeline.ts";

/** The steps the runner adds after a pipeline's own. */
export const RUNNER_STEPS = ["judge", "score"] as const;

/** The flag that marks a pipeline's run. */
export const PIPELINE_FLAG = PIPELINE_RUN_FLAG;

/** One pipeline run to execute: its record and everything its cells need. */
export interface PipelinePlan {
  readonly run: RunRecord;
  readonly task: Task;
  readonly cases: CaseSet;
  readonly pipeline: Pipeline;
  /** The model configs the pipeline calls, by id. */
  readonly models: ReadonlyMap<string, VersionedConfig>;
  /** The pipeline's prompts by name. */
  readonly prompts: ReadonlyMap<string, PromptVersion>;
  readonly judgeConfig: VersionedConfig | undefined;
  readonly jury?: JuryPlan | undefined;
}

/** The sha256 of the source of the module that defines the pipeline. */
export async function pipelineSourceSha256(
  pipeline: Pipeline,
): Promise<string> {
  const url = new URL(String(pipeline.module));
  let text: string;
  try {
    text = url.protocol === "file:"
      ? await Deno.readTextFile(url)
      : await (await fetch(url)).text();
  } catch (error) {
    throw new ValidationError([{
      field: "pipeline.module",
      message:
        `cannot read the pipeline's module '${url}' to pin its version: ${
          error instanceof Error ? error.message : String(error)
        }; set module to the defining module's import.meta.url`,
    }]);
  }
  return sha256Hex(text);
}

function checkPipeline(pipeline: unknown): Pipeline {
  const p = pipeline as Partial<Pipeline> | null;
  const issues: { field: string; message: string }[] = [];
  const need = (ok: boolean, field: string, message: string) => {
    if (!ok) issues.push({ field: `pipeline.${field}`, message });
  };
  need(
    typeof p?.name === "string" && p.name.length > 0,
    "name",
    "give the pipeline a name",
  );
  need(
    typeof p?.version === "string" && p.version.length > 0,
    "version",
    "give the pipeline a version, e.g. '1'",
  );
  need(
    typeof p?.module === "string" || p?.module instanceof URL,
    "module",
    "set module to import.meta.url of the module that defines the pipeline",
  );
  need(typeof p?.run === "function", "run", "give the pipeline a run function");
  need(
    Array.isArray(p?.models) && p.models.length > 0,
    "models",
    "name the model configs the pipeline calls",
  );
  need(
    Array.isArray(p?.steps) && p.steps.length > 0,
    "steps",
    "declare the pipeline's steps",
  );
  for (const step of p?.steps ?? []) {
    need(
      !(RUNNER_STEPS as readonly string[]).includes(step.id),
      "steps",
      `step id '${step.id}' is the runner's own; rename it`,
    );
  }
  if (issues.length) throw new ValidationError(issues);
  return p as Pipeline;
}

/** A pipeline run's workflow snapshot: the pipeline's steps, then judge and score. */
export function pipelineWorkflow(
  pipeline: Pipeline,
  sourceSha256: string,
  pins: {
    task: Task;
    dataset: string;
    models: ReadonlyMap<string, VersionedConfig>;
    prompts: ReadonlyMap<string, PromptVersion>;
    judgeConfig: VersionedConfig | undefined;
    jury: JuryPlan | undefined;
    repetitions: number;
    cases: number;
  },
): WorkflowInput {
  const workflow: WorkflowInput = {
    schema_version: 1,
    name: `pipeline:${pipeline.name}`,
    steps: [
      ...pipeline.steps,
      {
        id: "judge",
        description: "score the final output with the task's rubric",
        uses: pins.jury
          ? Object.fromEntries([
            ["jury", pins.jury.key],
            ...pins.jury.configs.map((c) => [`juror:${c.id}`, c.sha256]),
          ])
          : pins.judgeConfig
          ? {
            model_config: pins.judgeConfig.id,
            model_config_sha256: pins.judgeConfig.sha256,
          }
          : {},
      },
      {
        id: "score",
        description: "run the task's checks and write the cell's result",
        after: ["judge"],
        uses: { task: pins.task.id, dataset: pins.dataset },
      },
    ],
    meta: {
      pipeline: {
        name: pipeline.name,
        version: pipeline.version,
        module: String(pipeline.module).split("/").at(-1),
        source_sha256: sourceSha256,
      },
      models: Object.fromEntries(
        [...pins.models].map(([id, c]) => [id, c.sha256]),
      ),
      prompts: Object.fromEntries(
        [...pins.prompts].map(([name, v]) => [name, {
          id: v.id,
          sha256: v.sha256,
        }]),
      ),
      repetitions: pins.repetitions,
      cases: pins.cases,
    },
  };
  const parsed = WorkflowSchema.safeParse(workflow);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({
      field: ["pipeline", ...issue.path].join("."),
      message: issue.message,
    })));
  }
  return workflow;
}

/** The run id a pipeline's runs record as their prompt version: `pipeline:<name>@<version>`. */
export function pipelineRunLabel(pipeline: Pipeline): string {
  return `pipeline:${pipeline.name}@${pipeline.version}`;
}

/** The model configs and prompt versions a pipeline names, at their current (or pinned) versions. */
export async function pipelinePins(
  store: Store,
  task: Task,
  pipeline: Pipeline,
  pinned?: { models: Record<string, string> },
): Promise<{
  models: Map<string, VersionedConfig>;
  prompts: Map<string, PromptVersion>;
}> {
  const models = new Map<string, VersionedConfig>();
  for (const id of pipeline.models) {
    const sha256 = pinned?.models[id];
    models.set(
      id,
      await getModelConfig(store, id, sha256 ? { sha256 } : {}),
    );
  }
  const prompts = new Map<string, PromptVersion>();
  for (const [name, ref] of Object.entries(pipeline.prompts ?? {})) {
    prompts.set(name, await getPromptVersion(store, task.name, ref));
  }
  return { models, prompts };
}

/** Plans a pipeline's run (written by the caller before any call). */
export async function planPipeline(
  store: Store,
  options: ExperimentOptions & { pipeline: Pipeline },
  experimentId: string,
  settings: RunSettings,
): Promise<PipelinePlan> {
  if (!options.task) {
    throw new ValidationError([{
      field: "task",
      message: "name the task the pipeline runs over",
    }]);
  }
  if (options.prompts?.length || options.models?.length) {
    throw new ValidationError([{
      field: "pipeline",
      message:
        "a pipeline names its own models and prompts: leave prompts and models out",
    }]);
  }
  const pipeline = checkPipeline(options.pipeline);
  const repetitions = checkRepetitions(options);
  const sourceSha256 = await pipelineSourceSha256(pipeline);
  const task = await getTask(store, options.task);
  const dataset = await getDatasetInfo(
    store,
    options.dataset ?? await latestDatasetId(store, options.task),
  );
  const cases = await selectCases(store, dataset, options.cases);
  const jury = await planJury(store, options);
  const judgeConfig = options.judge && !jury
    ? await getModelConfig(store, options.judge)
    : undefined;
  const { models, prompts } = await pipelinePins(store, task, pipeline);
  const workflow = pipelineWorkflow(pipeline, sourceSha256, {
    task,
    dataset: dataset.id,
    models,
    prompts,
    judgeConfig,
    jury,
    repetitions,
    cases: cases.count,
  });
  const flags = [PIPELINE_FLAG];
  if (repetitions < 3) flags.push("fewer_than_3_repetitions");
  if (options.cases) {
    flags.push("case_subset", `cases:${options.cases.join(",")}`);
  }
  const run: RunRecord = {
    id: newId("run"),
    experiment_id: experimentId,
    task: task.name,
    task_id: task.id,
    prompt_version_id: pipelineRunLabel(pipeline),
    model_config_id: [...models.keys()].join("+"),
    model_config_sha256: contentHash(
      Object.fromEntries([...models].map(([id, c]) => [id, c.sha256])),
    ),
    judge_config_id: jury?.key ?? judgeConfig?.id ?? null,
    dataset_id: dataset.id,
    repetitions,
    status: "planned",
    flags,
    workflow,
    trace_id: newId("trace"),
    created_at: nowIso(),
    finished_at: null,
    settings,
    position: 0,
    calls_sent: 0,
    unreceipted_calls: 0,
  };
  return { run, task, cases, pipeline, models, prompts, judgeConfig, jury };
}

/** Whether a stored run is a pipeline's. */
export function isPipelineRun(run: Pick<RunRecord, "flags">): boolean {
  return run.flags.includes(PIPELINE_FLAG);
}

/**
 * The plan of a stored pipeline run, for its resume: the pipeline given
 * must be the one it ran (same name, version and module source).
 *
 * @throws {ConflictError} If no pipeline is given or it is another version.
 */
export async function planStoredPipelineRun(
  store: Store,
  run: RunRecord,
  pipeline: Pipeline | undefined,
): Promise<PipelinePlan> {
  const meta = (run.workflow as { meta?: Record<string, unknown> }).meta ??
    {};
  const recorded = meta.pipeline as
    | { name: string; version: string; source_sha256: string }
    | undefined;
  if (!pipeline) {
    throw new ConflictError(
      `Cannot resume run '${run.id}': it ran pipeline ${run.prompt_version_id}; pass that pipeline (--pipeline FILE.ts#export)`,
    );
  }
  const checked = checkPipeline(pipeline);
  const sha = await pipelineSourceSha256(checked);
  if (
    !recorded || recorded.name !== checked.name ||
    recorded.version !== checked.version || recorded.source_sha256 !== sha
  ) {
    throw new ConflictError(
      `Cannot resume run '${run.id}' with pipeline ${
        pipelineRunLabel(checked)
      } (source sha256 ${
        sha.slice(0, 12)
      }): the run was started by ${run.prompt_version_id} with source sha256 ${
        recorded?.source_sha256.slice(0, 12)
      }; resume it with that module unchanged, or start a new experiment`,
    );
  }
  const task = await getTask(store, run.task, { id: run.task_id });
  const cases = await storedCases(store, run);
  const { models, prompts } = await pipelinePins(store, task, checked, {
    models: (meta.models ?? {}) as Record<string, string>,
  });
  const { judgeConfig, jury } = await storedJudges(store, run);
  return {
    run,
    task,
    cases,
    pipeline: checked,
    models,
    prompts,
    judgeConfig,
    jury,
  };
}

/** The pipeline of `options.pipeline` that ran `run` (by name and version), if given. */
export function pipelineForRun(
  options: Pick<ExperimentOptions, "pipeline">,
  run: Pick<RunRecord, "prompt_version_id">,
): Pipeline | undefined {
  return pipelinesOf(options).find((p) =>
    pipelineRunLabel(p) === run.prompt_version_id
  );
}

/** The pipelines `options.pipeline` gives, as a list. */
export function pipelinesOf(
  options: Pick<ExperimentOptions, "pipeline">,
): readonly Pipeline[] {
  const given = options.pipeline;
  return given === undefined
    ? []
    : Array.isArray(given)
    ? given
    : [given as Pipeline];
}
