/**
 * Planning: which runs an experiment makes, and what a resumed run is.
 *
 * @module
 */
import { newId, nowIso } from "../content/ids.ts";
import { ValidationError } from "../errors.ts";
import type { Case, Dataset } from "../schema/dataset.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { PromptVersion } from "../schema/prompt.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import type { Task } from "../schema/task.ts";
import { juryKey, makeJury, parseJuryKey } from "../scoring/jury.ts";
import {
  getDataset,
  getLatestDataset,
  getModelConfig,
  getPromptVersion,
  getTask,
} from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import type { RunRecord } from "../store/runs.ts";
import { workflowFor } from "./_workflow.ts";
import type { ExperimentOptions } from "./options.ts";

/** A model config with its content hash, as the store returns it. */
export type VersionedConfig = ModelConfig & { sha256: string };

/** A jury's key (the runs' judge_config_id), quorum and juror configs. */
export interface JuryPlan {
  key: string;
  quorum: number;
  /** The jurors, in the jury's order. */
  configs: VersionedConfig[];
}

/** One run to execute: its record and everything its cells need. */
export interface Plan {
  run: RunRecord;
  task: Task;
  version: PromptVersion;
  model: VersionedConfig;
  judgeConfig: VersionedConfig | undefined;
  cases: readonly Case[];
  jury?: JuryPlan | undefined;
}

/** Resolves a jury (from `jury` and `quorum`, or a jury key in `judge`). */
export async function planJury(
  store: Store,
  options: Pick<ExperimentOptions, "judge" | "jury" | "quorum">,
): Promise<JuryPlan | undefined> {
  if (options.jury !== undefined && options.judge !== undefined) {
    throw new ValidationError([{
      field: "jury",
      message:
        "give either judge (one judge config) or jury (several), not both",
    }]);
  }
  const fromKey = options.judge === undefined
    ? null
    : parseJuryKey(options.judge);
  if (options.jury === undefined && !fromKey) {
    if (options.quorum !== undefined) {
      throw new ValidationError([{
        field: "quorum",
        message: "a quorum applies to a jury only; name the jurors with jury",
      }]);
    }
    return undefined;
  }
  const jury = makeJury(
    fromKey?.jurors ?? options.jury!,
    fromKey?.quorum ?? options.quorum,
  );
  return {
    key: juryKey(jury),
    quorum: jury.quorum,
    configs: await Promise.all(
      jury.jurors.map((id) => getModelConfig(store, id)),
    ),
  };
}

/** The repetitions asked for (3 by default), checked. */
export function checkRepetitions(
  options: Pick<ExperimentOptions, "repetitions" | "allowFewerRepetitions">,
): number {
  const repetitions = options.repetitions ?? 3;
  if (!Number.isInteger(repetitions) || repetitions < 1) {
    throw new RangeError(
      `Expected repetitions to be a positive integer but found ${repetitions}`,
    );
  }
  if (repetitions < 3 && !options.allowFewerRepetitions) {
    throw new ValidationError([{
      field: "repetitions",
      message:
        `${repetitions} repetitions leave variance unmeasured; use 3 or more, or ask for fewer explicitly (allowFewerRepetitions / --allow-few-repetitions)`,
    }]);
  }
  return repetitions;
}

function parseVersionRef(task: string, ref: string): string | number {
  const match = /^(?:.*@)?v?(\d+)$/.exec(ref);
  if (!match) {
    throw new ValidationError([{
      field: "prompts",
      message: `'${ref}' is not a prompt version; write v3, 3 or ${task}@v3`,
    }]);
  }
  return Number(match[1]);
}

export async function planNew(
  store: Store,
  options: ExperimentOptions,
  experimentId: string,
  settings: RunSettings,
): Promise<Plan[]> {
  if (options.pipeline !== undefined) {
    throw new ValidationError([{
      field: "pipeline",
      message:
        "a pipeline's runs are planned and run by experiment() in the process that has its module; workers run prompt runs only",
    }]);
  }
  const taskName = options.task;
  if (!taskName) {
    throw new ValidationError([{
      field: "task",
      message: "name the task to run",
    }]);
  }
  if (!options.prompts?.length) {
    throw new ValidationError([{
      field: "prompts",
      message: "name at least one prompt version",
    }]);
  }
  if (!options.models?.length) {
    throw new ValidationError([{
      field: "models",
      message: "name at least one model config",
    }]);
  }
  const repetitions = checkRepetitions(options);
  const task = await getTask(store, taskName);
  const dataset = options.dataset
    ? await getDataset(store, options.dataset)
    : await getLatestDataset(store, taskName);
  const cases = selectCases(dataset, options.cases);
  const jury = await planJury(store, options);
  const judgeConfig = options.judge && !jury
    ? await getModelConfig(store, options.judge)
    : undefined;
  const versions = await Promise.all(
    options.prompts.map((ref) =>
      getPromptVersion(store, taskName, parseVersionRef(taskName, ref))
    ),
  );
  const models = await Promise.all(
    options.models.map((id) => getModelConfig(store, id)),
  );
  const flags = repetitions < 3 ? ["fewer_than_3_repetitions"] : [];
  if (options.cases) flags.push("case_subset");
  const plans: Plan[] = [];
  for (const version of versions) {
    for (const model of models) {
      const run: RunRecord = {
        id: newId("run"),
        experiment_id: experimentId,
        task: task.name,
        task_id: task.id,
        prompt_version_id: version.id,
        model_config_id: model.id,
        model_config_sha256: model.sha256,
        judge_config_id: jury?.key ?? judgeConfig?.id ?? null,
        dataset_id: dataset.id,
        repetitions,
        status: "planned",
        flags: options.cases
          ? [...flags, `cases:${options.cases.join(",")}`]
          : flags,
        workflow: workflowFor(
          task,
          version,
          model,
          judgeConfig,
          dataset,
          repetitions,
          jury,
        ),
        trace_id: newId("trace"),
        created_at: nowIso(),
        finished_at: null,
        settings,
        position: plans.length,
        calls_sent: 0,
        unreceipted_calls: 0,
      };
      plans.push({ run, task, version, model, judgeConfig, cases, jury });
    }
  }
  return plans;
}

export function selectCases(
  dataset: Dataset,
  ids: readonly string[] | undefined,
): readonly Case[] {
  if (!ids) return dataset.cases;
  const byId = new Map(dataset.cases.map((c) => [c.id, c]));
  return ids.map((id) => {
    const found = byId.get(id);
    if (!found) {
      throw new ValidationError([{
        field: "cases",
        message: `case '${id}' is not in dataset ${dataset.id.slice(0, 12)}`,
      }]);
    }
    return found;
  });
}

/**
 * The plan of a stored run, as it was when it started: its task
 * definition, dataset version, case subset, prompt version, model config
 * and judges (at the versions pinned in its workflow snapshot).
 */
export async function planStoredRun(
  store: Store,
  run: RunRecord,
): Promise<Plan> {
  const task = await getTask(store, run.task, { id: run.task_id });
  const dataset = await getDataset(store, run.dataset_id);
  const subset = run.flags.find((f) => f.startsWith("cases:"));
  const cases = selectCases(
    dataset,
    subset ? subset.slice(6).split(",") : undefined,
  );
  const version = await getPromptVersion(
    store,
    run.task,
    run.prompt_version_id,
  );
  const model = await getModelConfig(store, run.model_config_id, {
    sha256: run.model_config_sha256,
  });
  const { judgeConfig, jury } = await storedJudges(store, run);
  return { run, task, version, model, judgeConfig, cases, jury };
}

/**
 * A stored run's judge or jury as it was when the run started (their
 * versions are in the judge step of the run's workflow snapshot), not as
 * models.yaml has them now.
 */
export async function storedJudges(
  store: Store,
  run: RunRecord,
): Promise<{
  judgeConfig: VersionedConfig | undefined;
  jury: JuryPlan | undefined;
}> {
  const pinned = judgeVersions(run.workflow);
  const judgeAt = (id: string) =>
    getModelConfig(
      store,
      id,
      pinned.has(id) ? { sha256: pinned.get(id)! } : {},
    );
  const jury = run.judge_config_id
    ? await planJury(store, { judge: run.judge_config_id })
    : undefined;
  if (jury) {
    jury.configs = await Promise.all(jury.configs.map((c) => judgeAt(c.id)));
  }
  const judgeConfig = run.judge_config_id && !jury
    ? await judgeAt(run.judge_config_id)
    : undefined;
  return { judgeConfig, jury };
}

/** Judge config id -> sha256, from the judge step of a run's workflow snapshot. */
function judgeVersions(workflow: unknown): Map<string, string> {
  const versions = new Map<string, string>();
  const steps = (workflow as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return versions;
  const uses = steps.find((s) => s?.id === "judge")?.uses as
    | Record<string, unknown>
    | undefined;
  if (!uses) return versions;
  if (
    typeof uses.model_config === "string" &&
    typeof uses.model_config_sha256 === "string"
  ) {
    versions.set(uses.model_config, uses.model_config_sha256);
  }
  for (const [key, value] of Object.entries(uses)) {
    if (key.startsWith("juror:") && typeof value === "string") {
      versions.set(key.slice("juror:".length), value);
    }
  }
  return versions;
}

/** A cell: one case at one repetition. */
export interface Cell {
  readonly testCase: Case;
  readonly repetition: number;
}

/**
 * The cells of `cases` x `repetitions` not yet committed (`done` holds
 * `case_key#repetition`), in case order then repetition order.
 */
export function pendingCells(
  cases: readonly Case[],
  repetitions: (testCase: Case) => number,
  done: ReadonlySet<string>,
): Cell[] {
  const cells: Cell[] = [];
  for (const testCase of cases) {
    const count = repetitions(testCase);
    for (let repetition = 0; repetition < count; repetition++) {
      if (!done.has(`${testCase.id}#${repetition}`)) {
        cells.push({ testCase, repetition });
      }
    }
  }
  return cells;
}
