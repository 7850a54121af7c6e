// deno-lint-ignore-file camelcase -- column and domain fields are snake_case
/**
 * Catalog queries: tasks, prompt versions, datasets with their cases, model
 * configs and prices, read back as the domain types of `lib/schema/`, and
 * the one transaction that syncs a validated catalog into the store.
 *
 * @module
 */
import type { Insertable, Kysely, Selectable, Transaction } from "kysely";
import type * as z from "zod";
import { canonicalize } from "../content/canonicalize.ts";
import { nowIso } from "../content/ids.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { type Case, CaseSchema, type Dataset } from "../schema/dataset.ts";
import {
  type ModelConfig,
  ModelConfigSchema,
  type Price,
  PriceSchema,
} from "../schema/model.ts";
import { ModelParamsSchema, type PromptVersion } from "../schema/prompt.ts";
import {
  type Slice,
  SLICES,
  type Task,
  TaskFileSchema,
} from "../schema/task.ts";
import type { Store } from "./open.ts";
import { insertionOrder } from "./_dialect.ts";
import type {
  Database,
  ModelConfigsTable,
  PromptVersionsTable,
  TasksTable,
  TestCasesTable,
} from "./tables.ts";

type Db = Kysely<Database> | Transaction<Database>;

const LOAD_FIRST = "run `wb load` first";

/** A model config as stored: the config and the sha256 of its canonical JSON. */
export type StoredModelConfig = ModelConfig & {
  /** `contentHash(config)`: a changed config under the same id is a new row. */
  readonly sha256: string;
};

/** A price row as stored: the price and its id (`contentHash(price)`). */
export type StoredPrice = Price & {
  /** The row's id, recorded on receipts as `price_id`. */
  readonly id: string;
};

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new TypeError(
      `Cannot read ${what} from the store as it does not match its schema: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

function toTask(row: Selectable<TasksTable>): Task {
  const definition = parseJson(
    TaskFileSchema,
    row.definition,
    `task '${row.name}'`,
  );
  return { ...definition, name: row.name, id: row.id };
}

function toPromptVersion(row: Selectable<PromptVersionsTable>): PromptVersion {
  return {
    id: row.id,
    task: row.task,
    version: row.version,
    system: row.system,
    template: row.template,
    params: parseJson(ModelParamsSchema, row.params, `params of ${row.id}`),
    note: row.note,
    author: row.author,
    sha256: row.sha256,
    created_at: row.created_at,
  };
}

function toModelConfig(row: Selectable<ModelConfigsTable>): StoredModelConfig {
  const config = parseJson(
    ModelConfigSchema,
    row.config,
    `model config '${row.id}'`,
  );
  return { ...config, sha256: row.sha256 };
}

async function currentHead(
  db: Db,
  kind: string,
  key: string,
): Promise<string | undefined> {
  const row = await db.selectFrom("catalog_heads").select("ref")
    .where("kind", "=", kind).where("key", "=", key)
    .orderBy("seq", "desc").limit(1).executeTakeFirst();
  return row?.ref;
}

/**
 * The current definition of a task: the version the last `wb load` made
 * current (or, with `options.id`, that exact version).
 *
 * @param store The open store.
 * @param name The task name, e.g. `resume_matching`.
 * @param options `id` picks a specific stored definition (a run's `task_id`).
 * @returns The task as a {@linkcode Task}.
 * @throws {NotFoundError} If no such task (version) is stored.
 */
export async function getTask(
  store: Store,
  name: string,
  options: { readonly id?: string } = {},
): Promise<Task> {
  const id = options.id ?? await currentHead(store.db, "task", name);
  let query = store.db.selectFrom("tasks").selectAll().where("name", "=", name);
  query = id === undefined
    ? query.orderBy("created_at", "desc").orderBy(
      insertionOrder(store.dialect),
      "desc",
    )
    : query.where("id", "=", id);
  const row = await query.limit(1).executeTakeFirst();
  if (!row) {
    const known = await listTaskNames(store.db);
    throw new NotFoundError(
      options.id === undefined ? "task" : "task version",
      options.id === undefined ? name : `${name} ${options.id}`,
      known.length ? `known tasks: ${known.join(", ")}` : LOAD_FIRST,
    );
  }
  return toTask(row);
}

async function listTaskNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("tasks").select("name").distinct()
    .orderBy("name").execute();
  return rows.map((r) => r.name);
}

/**
 * Every stored task, each at its current definition, sorted by name.
 *
 * @param store The open store.
 * @returns The tasks; empty before the first `wb load`.
 */
export async function listTasks(store: Store): Promise<Task[]> {
  const names = await listTaskNames(store.db);
  return await Promise.all(names.map((name) => getTask(store, name)));
}

/**
 * Every prompt version of a task, v1 first.
 *
 * @param store The open store.
 * @param task The task name.
 * @returns The versions; empty when the task has none stored.
 *
 * @example Before anything is loaded
 * ```ts
 * import { listPromptVersions, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * assert.deepEqual(await listPromptVersions(store, "resume_matching"), []);
 * ```
 */
export async function listPromptVersions(
  store: Store,
  task: string,
): Promise<PromptVersion[]> {
  const rows = await store.db.selectFrom("prompt_versions").selectAll()
    .where("task", "=", task).orderBy("version").execute();
  return rows.map(toPromptVersion);
}

/**
 * One prompt version of a task, by number (`3`), name (`"v3"`, `"3"`) or id
 * (`"resume_matching@v3"`).
 *
 * @param store The open store.
 * @param task The task name.
 * @param ref The version number, `vN`, or the version id.
 * @returns The prompt version.
 * @throws {NotFoundError} If the task has no such version (the hint lists the known ones).
 *
 * @example Load a catalog, then read a version three ways
 * ```ts
 * import { getPromptVersion, loadCatalog, NotFoundError, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/prompts/echo`, { recursive: true });
 * await Deno.mkdir(`${root}/datasets`);
 * const dimension = (name: string) =>
 *   `  - {name: ${name}, criteria: c, anchors: {good: g, average: a, bad: b}}`;
 * await Deno.writeTextFile(`${root}/prompts/echo/task.yaml`, [
 *   "schema_version: 1",
 *   "description: Repeat the text",
 *   "input_schema: {type: object}",
 *   "output_schema: {type: object}",
 *   "rubric:",
 *   "  dimensions:",
 *   ...["a", "b", "c", "d"].map(dimension),
 *   "slice_mix: {typical: 1, edge: 0, known_failure: 0, adversarial: 0}",
 * ].join("\n"));
 * await Deno.writeTextFile(
 *   `${root}/prompts/echo/v1.yaml`,
 *   "schema_version: 1\nsystem: Repeat.\ntemplate: '{{text}}'\nnote: first\n",
 * );
 * await Deno.writeTextFile(
 *   `${root}/datasets/echo.jsonl`,
 *   '{"id": "e-1", "slice": "typical", "input": {"text": "hi"}}\n',
 * );
 * await Deno.writeTextFile(
 *   `${root}/models.yaml`,
 *   "schema_version: 1\nmodels:\n  - {id: fake-fast, provider: fake, model: fast}\n",
 * );
 * await using store = await open(":memory:");
 * await loadCatalog(store, { root });
 *
 * const v1 = await getPromptVersion(store, "echo", "v1");
 * assert.equal(v1.template, "{{text}}");
 * assert.equal((await getPromptVersion(store, "echo", 1)).sha256, v1.sha256);
 * assert.equal((await getPromptVersion(store, "echo", "echo@v1")).id, "echo@v1");
 * await assert.rejects(() => getPromptVersion(store, "echo", "v2"), NotFoundError);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function getPromptVersion(
  store: Store,
  task: string,
  ref: number | string,
): Promise<PromptVersion> {
  const version = versionNumber(task, ref);
  const row = version === undefined
    ? undefined
    : await store.db.selectFrom("prompt_versions").selectAll()
      .where("task", "=", task).where("version", "=", version)
      .executeTakeFirst();
  if (!row) {
    const known = await store.db.selectFrom("prompt_versions")
      .select("version").where("task", "=", task).orderBy("version")
      .execute();
    throw new NotFoundError(
      "prompt version",
      typeof ref === "number" ? `${task}@v${ref}` : ref,
      known.length
        ? `${task} has ${known.map((r) => `v${r.version}`).join(", ")}`
        : `no prompt versions stored for task '${task}'; ${LOAD_FIRST}`,
    );
  }
  return toPromptVersion(row);
}

function versionNumber(task: string, ref: number | string): number | undefined {
  if (typeof ref === "number") return Number.isInteger(ref) ? ref : undefined;
  const at = ref.lastIndexOf("@");
  if (at >= 0 && ref.slice(0, at) !== task) return undefined;
  const match = /^v?([0-9]+)$/.exec(at >= 0 ? ref.slice(at + 1) : ref);
  return match ? Number(match[1]) : undefined;
}

/**
 * A dataset version by id, with its cases in file order.
 *
 * @param store The open store.
 * @param id The dataset id (sha256 of its canonical cases).
 * @returns The dataset.
 * @throws {NotFoundError} If no dataset has that id.
 */
export async function getDataset(store: Store, id: string): Promise<Dataset> {
  const info = await getDatasetInfo(store, id);
  const cases: Case[] = [];
  for await (const window of readCases(store, info.id)) cases.push(...window);
  return { id: info.id, task: info.task, cases };
}

/** A stored dataset version without its cases. */
export interface DatasetInfo {
  /** The dataset id (sha256 of its canonical cases). */
  readonly id: string;
  /** Its task's name. */
  readonly task: string;
  /** How many cases it has. */
  readonly case_count: number;
}

/**
 * A dataset version's id, task and case count, without its cases (read
 * them a window at a time with {@linkcode readCases}). Internal.
 *
 * @throws {NotFoundError} If no dataset has that id.
 */
export async function getDatasetInfo(
  store: Store,
  id: string,
): Promise<DatasetInfo> {
  const row = await store.db.selectFrom("datasets")
    .select(["id", "task", "case_count"])
    .where("id", "=", id).executeTakeFirst();
  if (!row) {
    throw new NotFoundError(
      "dataset",
      id,
      "list a task's current dataset with getLatestDataset, or run `wb load`",
    );
  }
  return { id: row.id, task: row.task, case_count: Number(row.case_count) };
}

/** Cases read per query: bounds the rows (and their JSON text) held at once. */
export const CASE_WINDOW = 500;

/**
 * A dataset's cases a window at a time: all of them in file order, or with
 * `keys` those cases in the order given. Each window is read by one query
 * and validated; a caller that drops each window holds at most one.
 * Internal: the one way the runner, `getDataset` and workers read cases.
 *
 * @throws {NotFoundError} If a key in `keys` is not a case of the dataset (before that window is yielded).
 * @throws {TypeError} If a stored case does not match its schema.
 */
export async function* readCases(
  store: Store,
  datasetId: string,
  options: { keys?: readonly string[] | undefined; window?: number } = {},
): AsyncGenerator<Case[]> {
  const size = options.window ?? CASE_WINDOW;
  const columns = [
    "position",
    "case_key",
    "slice",
    "input",
    "expected",
    "note",
  ] as const;
  const keys = options.keys;
  if (keys) {
    for (let i = 0; i < keys.length; i += size) {
      const wanted = keys.slice(i, i + size);
      const rows = await store.db.selectFrom("test_cases").select(columns)
        .where("dataset_id", "=", datasetId)
        .where("case_key", "in", [...new Set(wanted)]).execute();
      const byKey = new Map(rows.map((r) => [r.case_key, r]));
      yield wanted.map((key) => {
        const row = byKey.get(key);
        if (!row) {
          throw new NotFoundError(
            "case",
            key,
            `it is not in dataset ${datasetId.slice(0, 12)}`,
          );
        }
        return caseOf(row, datasetId);
      });
    }
    return;
  }
  // Pages by position (indexed with the dataset id), so the rows of the
  // whole dataset and their JSON text are never held at once.
  for (let after = -1;;) {
    const rows = await store.db.selectFrom("test_cases").select(columns)
      .where("dataset_id", "=", datasetId).where("position", ">", after)
      .orderBy("position").limit(size).execute();
    if (rows.length > 0) {
      yield rows.map((row) => caseOf(row, datasetId));
      after = rows.at(-1)!.position;
    }
    if (rows.length < size) return;
  }
}

function caseOf(
  row: Pick<
    TestCasesTable,
    "case_key" | "slice" | "input" | "expected" | "note"
  >,
  datasetId: string,
): Case {
  const parsed = CaseSchema.safeParse({
    id: row.case_key,
    slice: row.slice,
    input: JSON.parse(row.input),
    expected: JSON.parse(row.expected),
    ...(row.note === null ? {} : { note: row.note }),
  });
  if (!parsed.success) {
    throw new TypeError(
      `Cannot read case '${row.case_key}' of dataset '${datasetId}' from the store as it does not match its schema: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/**
 * The current dataset of a task: the version the last `wb load` made
 * current (older versions stay stored for the runs that used them).
 *
 * @param store The open store.
 * @param task The task name.
 * @returns The dataset with its cases in file order.
 * @throws {NotFoundError} If the task has no dataset stored.
 *
 * @example The hint on an empty store
 * ```ts
 * import { getLatestDataset, NotFoundError, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(
 *   () => getLatestDataset(store, "resume_matching"),
 *   (error) => error instanceof NotFoundError && /run `wb load` first/.test(error.message),
 * );
 * ```
 */
export async function getLatestDataset(
  store: Store,
  task: string,
): Promise<Dataset> {
  return await getDataset(store, await latestDatasetId(store, task));
}

/**
 * The id of a task's current dataset ({@linkcode getLatestDataset} without
 * its cases). Internal.
 *
 * @throws {NotFoundError} If the task has no dataset stored.
 */
export async function latestDatasetId(
  store: Store,
  task: string,
): Promise<string> {
  const id = await currentHead(store.db, "dataset", task) ??
    (await store.db.selectFrom("datasets").select("id")
      .where("task", "=", task)
      .orderBy("created_at", "desc").orderBy(
        insertionOrder(store.dialect),
        "desc",
      )
      .limit(1).executeTakeFirst())?.id;
  if (id === undefined) {
    throw new NotFoundError(
      "dataset of task",
      task,
      `no dataset stored for it; ${LOAD_FIRST}`,
    );
  }
  return id;
}

/**
 * A model config by id: the current one (what the last `wb load` read from
 * `models.yaml`), or with `options.sha256` that exact stored version.
 *
 * @param store The open store.
 * @param id The model config id, e.g. `fake-fast`.
 * @param options `sha256` picks a specific stored version (a run's `model_config_sha256`).
 * @returns The config with its sha256.
 * @throws {NotFoundError} If no such config is stored (the hint lists the known ids).
 */
export async function getModelConfig(
  store: Store,
  id: string,
  options: { readonly sha256?: string } = {},
): Promise<StoredModelConfig> {
  const sha256 = options.sha256 ??
    await currentHead(store.db, "model_config", id);
  let query = store.db.selectFrom("model_configs").selectAll()
    .where("id", "=", id);
  query = sha256 === undefined
    ? query.orderBy("created_at", "desc").orderBy(
      insertionOrder(store.dialect),
      "desc",
    )
    : query.where("sha256", "=", sha256);
  const row = await query.limit(1).executeTakeFirst();
  if (!row) {
    const known = await store.db.selectFrom("model_configs").select("id")
      .distinct().orderBy("id").execute();
    throw new NotFoundError(
      "model config",
      options.sha256 === undefined ? id : `${id} ${options.sha256}`,
      known.length ? `known: ${known.map((r) => r.id).join(", ")}` : LOAD_FIRST,
    );
  }
  return toModelConfig(row);
}

/**
 * Every model config at its current version, sorted by id.
 *
 * @param store The open store.
 * @returns The configs; empty before the first `wb load`.
 */
export async function listModelConfigs(
  store: Store,
): Promise<StoredModelConfig[]> {
  const ids = await store.db.selectFrom("model_configs").select("id")
    .distinct().orderBy("id").execute();
  return await Promise.all(ids.map((r) => getModelConfig(store, r.id)));
}

/**
 * The whole price history of one model, oldest `valid_from` first.
 *
 * @param store The open store.
 * @param provider The provider, e.g. `anthropic`.
 * @param model The provider's model name.
 * @returns Every stored price row for it (empty when none).
 */
export async function listPrices(
  store: Store,
  provider: string,
  model: string,
): Promise<StoredPrice[]> {
  const rows = await store.db.selectFrom("prices").selectAll()
    .where("provider", "=", provider).where("model", "=", model)
    .orderBy("valid_from").orderBy("id").execute();
  return rows.map((row) => {
    const price = PriceSchema.parse({
      provider: row.provider,
      model: row.model,
      currency: row.currency,
      input_per_mtok: row.input_per_mtok,
      output_per_mtok: row.output_per_mtok,
      ...(row.cache_read_per_mtok === null
        ? {}
        : { cache_read_per_mtok: row.cache_read_per_mtok }),
      ...(row.cache_write_per_mtok === null
        ? {}
        : { cache_write_per_mtok: row.cache_write_per_mtok }),
      valid_from: row.valid_from,
      ...(row.source === null ? {} : { source: row.source }),
    });
    return { ...price, id: row.id };
  });
}

/** The tables the catalog writes, in the order rows are counted. */
export const CATALOG_TABLES = [
  "tasks",
  "prompt_versions",
  "datasets",
  "test_cases",
  "model_configs",
  "prices",
  "catalog_heads",
] as const;

/**
 * How many rows each catalog table holds (tests use it to prove that a
 * refused load wrote nothing).
 *
 * @param store The open store.
 * @returns Table name -> row count.
 */
export async function countCatalogRows(
  store: Store,
): Promise<Record<(typeof CATALOG_TABLES)[number], number>> {
  const counts = {} as Record<(typeof CATALOG_TABLES)[number], number>;
  for (const table of CATALOG_TABLES) {
    const row = await store.db.selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** A prompt version to store: its file's content and its number. */
export type PromptVersionInput = Omit<
  PromptVersion,
  "id" | "task" | "created_at"
>;

/**
 * A validated dataset whose cases are read only when it has to be stored
 * (a dataset version already in the store needs none of them).
 */
export interface DatasetSource {
  /** The dataset id: the content hash of its cases in file order. */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** How many cases `cases()` yields. */
  readonly case_count: number;
  /** Cases per slice. */
  readonly slice_counts: Readonly<Record<Slice, number>>;
  /**
   * Yields the cases in file order; may throw (inside the load's
   * transaction, so nothing is written) when they are no longer the ones
   * `id` names.
   */
  cases(): AsyncIterable<Case>;
}

/** One task of a validated catalog, as {@linkcode syncCatalog} stores it. */
export interface CatalogSnapshotTask {
  readonly task: Task;
  /** Ordered by version. */
  readonly prompts: readonly PromptVersionInput[];
  /** The dataset with its cases, or a source that reads them when needed. */
  readonly dataset: Dataset | DatasetSource;
}

function datasetSource(dataset: Dataset | DatasetSource): DatasetSource {
  if (typeof dataset.cases === "function") return dataset as DatasetSource;
  const cases = dataset.cases as readonly Case[];
  const sliceCounts = Object.fromEntries(SLICES.map((s) => [s, 0])) as Record<
    Slice,
    number
  >;
  for (const c of cases) sliceCounts[c.slice]++;
  return {
    id: dataset.id,
    task: dataset.task,
    case_count: cases.length,
    slice_counts: sliceCounts,
    async *cases() {
      yield* cases;
    },
  };
}

/** A validated catalog, as {@linkcode syncCatalog} stores it. */
export interface CatalogSnapshot {
  readonly tasks: readonly CatalogSnapshotTask[];
  /** Model configs with their sha256 (`contentHash(config)`). */
  readonly models: readonly StoredModelConfig[];
  /** Price rows with their ids (`contentHash(price)`). */
  readonly prices: readonly StoredPrice[];
}

/**
 * What a load did to one stored thing: stored it for the first time
 * (`new`), made an earlier stored version current again (`restored`), or
 * nothing (`unchanged`).
 */
export type LoadStatus = "new" | "restored" | "unchanged";

/** What a load did for one task. */
export interface LoadTaskReport {
  /** The task name. */
  readonly task: string;
  /** The current task definition's id. */
  readonly task_id: string;
  /** Whether the definition is new, restored or unchanged. */
  readonly task_status: LoadStatus;
  /** Prompt versions added by this load, oldest first. */
  readonly new_prompt_versions: readonly PromptVersion[];
  /** The current dataset's id. */
  readonly dataset_id: string;
  /** Whether the dataset version is new, restored or unchanged. */
  readonly dataset_status: LoadStatus;
  /** Cases in the current dataset. */
  readonly case_count: number;
}

/** A model config that a load added or made current again. */
export interface LoadModelConfigReport {
  /** The model config id, e.g. `fake-fast`. */
  readonly id: string;
  /** The sha256 of the config now current. */
  readonly sha256: string;
  /** Stored for the first time, or an earlier stored version made current again. */
  readonly status: "new" | "restored";
}

/**
 * What a load stored: per task the new prompt versions and the current
 * dataset (and whether it is new), plus new model configs and prices.
 * `changed` is false when the store already held everything.
 */
export interface LoadCatalogReport {
  /** Per task, sorted by name. */
  readonly tasks: readonly LoadTaskReport[];
  /** Model configs added or made current again (unchanged ones are left out). */
  readonly model_configs: readonly LoadModelConfigReport[];
  /** Price rows added. */
  readonly prices: readonly StoredPrice[];
  /** True when the load stored or changed anything. */
  readonly changed: boolean;
}

/**
 * Stores a validated catalog in one transaction: task definitions, new
 * prompt versions (a file whose content differs from its stored version is
 * refused), dataset versions with their cases, model configs and new price
 * rows. Loading the same catalog again changes nothing.
 *
 * @param store The open store.
 * @param snapshot The validated catalog.
 * @returns What was added or made current.
 * @throws {ConflictError} If a stored prompt version would be rewritten, or
 *   a dataset's content is already stored for another task. Nothing is
 *   written then.
 */
export async function syncCatalog(
  store: Store,
  snapshot: CatalogSnapshot,
): Promise<LoadCatalogReport> {
  return await store.db.transaction().execute(async (trx) => {
    const now = nowIso();
    await refuseConflicts(trx, snapshot);
    const tasks: LoadTaskReport[] = [];
    let changed = false;
    for (const item of snapshot.tasks) {
      const name = item.task.name;
      const { id: _id, name: _name, ...definition } = item.task;
      const taskStatus = await syncHead(trx, {
        kind: "task",
        key: name,
        ref: item.task.id,
        now,
        exists: async () =>
          (await trx.selectFrom("tasks").select("id")
            .where("id", "=", item.task.id).executeTakeFirst()) !== undefined,
        insert: async () => {
          await trx.insertInto("tasks").values({
            id: item.task.id,
            name,
            definition: canonicalize(definition),
            created_at: now,
          }).execute();
        },
      });

      const stored = new Set(
        (await trx.selectFrom("prompt_versions").select("version")
          .where("task", "=", name).execute()).map((r) => r.version),
      );
      const added: PromptVersion[] = [];
      for (const prompt of item.prompts) {
        if (stored.has(prompt.version)) continue;
        const row = {
          id: `${name}@v${prompt.version}`,
          task: name,
          version: prompt.version,
          system: prompt.system,
          template: prompt.template,
          params: canonicalize(prompt.params),
          sha256: prompt.sha256,
          author: prompt.author,
          note: prompt.note,
          created_at: now,
        };
        await trx.insertInto("prompt_versions").values(row).execute();
        added.push(toPromptVersion(row));
      }

      const dataset = datasetSource(item.dataset);
      const datasetStatus = await syncHead(trx, {
        kind: "dataset",
        key: name,
        ref: dataset.id,
        now,
        exists: async () =>
          (await trx.selectFrom("datasets").select("id")
            .where("id", "=", dataset.id).executeTakeFirst()) !== undefined,
        insert: () => insertDataset(trx, dataset, now),
      });

      changed ||= taskStatus !== "unchanged" || added.length > 0 ||
        datasetStatus !== "unchanged";
      tasks.push({
        task: name,
        task_id: item.task.id,
        task_status: taskStatus,
        new_prompt_versions: added,
        dataset_id: dataset.id,
        dataset_status: datasetStatus,
        case_count: dataset.case_count,
      });
    }

    const modelConfigs: LoadModelConfigReport[] = [];
    for (const model of snapshot.models) {
      const { sha256, ...config } = model;
      const status = await syncHead(trx, {
        kind: "model_config",
        key: model.id,
        ref: sha256,
        now,
        exists: async () =>
          (await trx.selectFrom("model_configs").select("id")
            .where("id", "=", model.id).where("sha256", "=", sha256)
            .executeTakeFirst()) !== undefined,
        insert: async () => {
          await trx.insertInto("model_configs").values({
            id: model.id,
            sha256,
            provider: model.provider,
            model: model.model,
            config: canonicalize(config),
            created_at: now,
          }).execute();
        },
      });
      if (status !== "unchanged") {
        modelConfigs.push({ id: model.id, sha256, status });
      }
    }

    const prices: StoredPrice[] = [];
    for (const price of snapshot.prices) {
      const exists = await trx.selectFrom("prices").select("id")
        .where("id", "=", price.id).executeTakeFirst();
      if (exists) continue;
      await trx.insertInto("prices").values({
        id: price.id,
        provider: price.provider,
        model: price.model,
        currency: price.currency,
        input_per_mtok: price.input_per_mtok,
        output_per_mtok: price.output_per_mtok,
        cache_read_per_mtok: price.cache_read_per_mtok ?? null,
        cache_write_per_mtok: price.cache_write_per_mtok ?? null,
        valid_from: price.valid_from,
        source: price.source ?? null,
      }).execute();
      prices.push(price);
    }

    changed ||= modelConfigs.length > 0 || prices.length > 0;
    return { tasks, model_configs: modelConfigs, prices, changed };
  });
}

async function refuseConflicts(
  trx: Transaction<Database>,
  snapshot: CatalogSnapshot,
): Promise<void> {
  const problems: string[] = [];
  for (const item of snapshot.tasks) {
    const name = item.task.name;
    const rows = await trx.selectFrom("prompt_versions")
      .select(["version", "sha256"]).where("task", "=", name)
      .orderBy("version").execute();
    const stored = new Map(rows.map((r) => [r.version, r.sha256]));
    let max = Math.max(
      0,
      ...rows.map((r) => r.version),
      ...item.prompts.map((p) => p.version),
    );
    let storedMax = Math.max(0, ...rows.map((r) => r.version));
    for (const prompt of item.prompts) {
      const sha = stored.get(prompt.version);
      if (sha === undefined) {
        // A version below the highest stored one is a gap (an imported
        // bundle brings only the versions its runs used): it can be filled.
        // Skipping ahead cannot.
        if (prompt.version > storedMax + 1) {
          problems.push(
            `${name} v${prompt.version} cannot be added: the store holds ${
              rows.map((r) => `v${r.version}`).join(", ")
            }, so the next version is v${storedMax + 1}`,
          );
        }
        storedMax = Math.max(storedMax, prompt.version);
      } else if (sha !== prompt.sha256) {
        max++;
        problems.push(
          `${name} v${prompt.version} already exists with different content; add v${max} instead: stored versions are never rewritten, so restore v${prompt.version}.yaml and save the change as v${max}.yaml`,
        );
      }
    }
    const dataset = await trx.selectFrom("datasets").select("task")
      .where("id", "=", item.dataset.id).executeTakeFirst();
    if (dataset && dataset.task !== name) {
      problems.push(
        `the dataset of ${name} has exactly the cases of dataset ${
          item.dataset.id.slice(0, 12)
        } of task ${dataset.task}: datasets of different tasks must differ`,
      );
    }
  }
  if (problems.length > 0) {
    throw new ConflictError(
      `Cannot load the catalog: ${problems.join("\n")}`,
    );
  }
}

interface HeadSync {
  readonly kind: string;
  readonly key: string;
  readonly ref: string;
  readonly now: string;
  exists(): Promise<boolean>;
  insert(): Promise<void>;
}

async function syncHead(
  trx: Transaction<Database>,
  sync: HeadSync,
): Promise<LoadStatus> {
  const head = await currentHead(trx, sync.kind, sync.key);
  if (head === sync.ref) return "unchanged";
  const existed = await sync.exists();
  if (!existed) await sync.insert();
  await trx.insertInto("catalog_heads").values({
    kind: sync.kind,
    key: sync.key,
    ref: sync.ref,
    created_at: sync.now,
  }).execute();
  if (!existed) return "new";
  return head === undefined ? "unchanged" : "restored";
}

/** Cases per INSERT: 7 bound values each, far below SQLite's limit. */
const CASE_BATCH = 100;

async function insertDataset(
  trx: Transaction<Database>,
  dataset: DatasetSource,
  now: string,
): Promise<void> {
  await trx.insertInto("datasets").values({
    id: dataset.id,
    task: dataset.task,
    case_count: dataset.case_count,
    slice_counts: canonicalize(dataset.slice_counts),
    created_at: now,
  }).execute();
  // Rows are built a batch at a time, so only one batch of canonical JSON
  // is held (and bound) at once.
  let batch: Insertable<TestCasesTable>[] = [];
  let position = 0;
  for await (const c of dataset.cases()) {
    batch.push({
      dataset_id: dataset.id,
      case_key: c.id,
      position: position++,
      slice: c.slice,
      input: canonicalize(c.input),
      expected: canonicalize(c.expected),
      note: c.note ?? null,
    });
    if (batch.length === CASE_BATCH) {
      await trx.insertInto("test_cases").values(batch).execute();
      batch = [];
    }
  }
  if (batch.length > 0) {
    await trx.insertInto("test_cases").values(batch).execute();
  }
}
