/**
 * Planning: which runs an experiment makes, and what a resumed run is.
 *
 * @module
 */
import { newId, nowIso } from "../content/ids.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { PromptVersion } from "../schema/prompt.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import type { Task } from "../schema/task.ts";
import { juryKey, makeJury, parseJuryKey } from "../scoring/jury.ts";
import {
  CASE_WINDOW,
  type DatasetInfo,
  getDatasetInfo,
  getModelConfig,
  getPromptVersion,
  getTask,
  latestDatasetId,
  readCases,
} from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import {
  committedCellsOf,
  countCommittedCells,
  type RunRecord,
} from "../store/runs.ts";
import { CellStream, cellWindows } from "./_cell_stream.ts";
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
  cases: CaseSet;
  jury?: JuryPlan | undefined;
}

/**
 * The cases a run runs: its dataset's, or the subset its `cases:` flag
 * names (in that order). Only their keys and count are held: the cases are
 * read from the store a window at a time as the cells reach them.
 */
export interface CaseSet {
  /** The dataset version. */
  readonly dataset: DatasetInfo;
  /** The subset's case keys, in the order given; undefined for every case. */
  readonly keys: readonly string[] | undefined;
  /** How many cases. */
  readonly count: number;
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
  const dataset = await getDatasetInfo(
    store,
    options.dataset ?? await latestDatasetId(store, taskName),
  );
  const cases = await selectCases(store, dataset, options.cases);
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

/**
 * The cases `ids` names in `dataset` (every case when undefined), checked:
 * each named case must be in the dataset, and named once.
 *
 * @throws {ValidationError} If a named case is not in the dataset or is named twice (nothing is written).
 */
export async function selectCases(
  store: Store,
  dataset: DatasetInfo,
  ids: readonly string[] | undefined,
): Promise<CaseSet> {
  if (!ids) return { dataset, keys: undefined, count: dataset.case_count };
  // A case named twice would run its cells twice, and the second commit of
  // a cell fails the results' unique key part way through the run.
  const seen = new Set<string>();
  const twice = ids.find((id) => seen.size === seen.add(id).size);
  if (twice !== undefined) {
    throw new ValidationError([{
      field: "cases",
      message: `case "${twice}" is named twice; name each case once`,
    }]);
  }
  const missing = await missingCase(store, {
    dataset,
    keys: undefined,
    count: dataset.case_count,
  }, ids);
  if (missing !== undefined) {
    throw new ValidationError([{
      field: "cases",
      message: `case '${missing}' is not in dataset ${dataset.id.slice(0, 12)}`,
    }]);
  }
  return { dataset, keys: ids, count: ids.length };
}

/** The first of `keys` that is not in `cases`, if any (read a window at a time). */
export async function missingCase(
  store: Store,
  cases: CaseSet,
  keys: readonly string[],
): Promise<string | undefined> {
  if (cases.keys) {
    const known = new Set(cases.keys);
    return keys.find((k) => !known.has(k));
  }
  try {
    for await (const _ of readCases(store, cases.dataset.id, { keys })) {
      // Reading is the check: a missing key throws.
    }
    return undefined;
  } catch (error) {
    if (error instanceof NotFoundError && error.kind === "case") {
      return error.id;
    }
    throw error;
  }
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
  const cases = await storedCases(store, run);
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

/** A stored run's cases: its dataset's, or the subset its `cases:` flag names. */
export async function storedCases(
  store: Store,
  run: RunRecord,
): Promise<CaseSet> {
  const subset = run.flags.find((f) => f.startsWith("cases:"));
  return await selectCases(
    store,
    await getDatasetInfo(store, run.dataset_id),
    subset ? subset.slice(6).split(",") : undefined,
  );
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
 * The cells of `cases` x `repetitions` not yet committed by run `runId`
 * (none are for a new run), in case then repetition order, produced a
 * window at a time as they are taken: the cases, and which of their cells
 * are committed, read from the store a window at a time. `repetitions` is
 * one count for every case, or a count per case key (cases it leaves out
 * get none).
 */
export async function pendingCells(
  store: Store,
  cases: CaseSet,
  repetitions: number | ReadonlyMap<string, number>,
  runId?: string,
): Promise<CellStream> {
  const count = (key: string) =>
    typeof repetitions === "number" ? repetitions : repetitions.get(key) ?? 0;
  const committed = (keys: readonly string[]) =>
    runId === undefined
      ? Promise.resolve(new Set<string>())
      : committedCellsOf(store, runId, keys);
  const pending = (keys: readonly string[], done: ReadonlySet<string>) => {
    let n = 0;
    for (const key of keys) {
      for (let r = count(key); r-- > 0;) if (!done.has(`${key}#${r}`)) n++;
    }
    return n;
  };
  let total = 0;
  const named = typeof repetitions === "number"
    ? cases.keys
    : [...repetitions.keys()];
  if (named) {
    for (let i = 0; i < named.length; i += CASE_WINDOW) {
      const keys = named.slice(i, i + CASE_WINDOW);
      total += pending(keys, await committed(keys));
    }
  } else {
    // Every case has the same count; a committed cell is one of them when
    // its repetition is below it (a run's results are its dataset's cases).
    const r = repetitions as number;
    total = cases.count * r -
      (runId === undefined ? 0 : await countCommittedCells(store, runId, r));
  }
  return new CellStream(
    total,
    pendingCellWindows(store, cases, repetitions, runId),
  );
}

/**
 * {@linkcode pendingCells} without their count: the windows of cells as
 * they are read, for a reader that needs no count (a worker queueing a run
 * other workers commit to meanwhile).
 */
export function pendingCellWindows(
  store: Store,
  cases: CaseSet,
  repetitions: number | ReadonlyMap<string, number>,
  runId?: string,
): AsyncGenerator<Cell[]> {
  const count = (key: string) =>
    typeof repetitions === "number" ? repetitions : repetitions.get(key) ?? 0;
  async function* cells(): AsyncGenerator<Cell> {
    const keys = cases.keys;
    for await (const window of readCases(store, cases.dataset.id, { keys })) {
      const done = runId === undefined
        ? new Set<string>()
        : await committedCellsOf(store, runId, window.map((c) => c.id));
      for (const testCase of window) {
        const n = count(testCase.id);
        for (let repetition = 0; repetition < n; repetition++) {
          if (!done.has(`${testCase.id}#${repetition}`)) {
            yield { testCase, repetition };
          }
        }
      }
    }
  }
  return cellWindows(cells());
}
