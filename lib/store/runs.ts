import {
  CompiledQuery,
  type Insertable,
  type Selectable,
  type Transaction,
} from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Receipt, ReceiptReference } from "../schema/receipt.ts";
import type { CellResult } from "../schema/result.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { Store, StoreDialect } from "./open.ts";
import { placeholder } from "./_dialect.ts";
import {
  type BodyRow,
  bodyRow,
  readBodies,
  type RequestBodies,
  requestBodies,
  type WithBodies,
  withBodies,
} from "./bodies.ts";
import { type Database, REUSED_COLUMNS } from "./tables.ts";

/**
 * A run's status: `planned` (recorded with its experiment, not started),
 * `running`, `interrupted` (cancelled; resumable), `completed`, `failed`.
 * A run left `running` by a process that died is resumable too.
 */
export type RunStatus =
  | "planned"
  | "running"
  | "completed"
  | "interrupted"
  | "failed";

/** A run to store: its record without the counts its sessions add. */
export interface NewRun {
  /** The run id. */
  readonly id: string;
  /** The experiment (set of runs) it belongs to. */
  readonly experiment_id: string;
  /** The task name. */
  readonly task: string;
  /** The task definition's content hash. */
  readonly task_id: string;
  /** The prompt version, e.g. `resume_matching@v3`. */
  readonly prompt_version_id: string;
  /** The model config id. */
  readonly model_config_id: string;
  /** The model config's content hash. */
  readonly model_config_sha256: string;
  /** The judge's model config id, when the run is judged. */
  readonly judge_config_id: string | null;
  /** The dataset version. */
  readonly dataset_id: string;
  /** Repetitions per case. */
  readonly repetitions: number;
  /** Where the run is. */
  readonly status: RunStatus;
  /** Flags raised on the run, e.g. `fewer_than_3_repetitions`. */
  readonly flags: readonly string[];
  /** The workflow snapshot. */
  readonly workflow: unknown;
  /** The run's trace. */
  readonly trace_id: string;
  /** When the run was created. */
  readonly created_at: string;
  /** When it finished, if it did. */
  readonly finished_at: string | null;
  /** How it runs (null for a run imported from a bundle, or stored before settings were). */
  readonly settings?: RunSettings | null;
  /** Its place in its experiment (null for an imported run). */
  readonly position?: number | null;
}

/** A run as stored. */
export interface RunRecord extends NewRun {
  /** How it runs: concurrency, rate limits, retries, cache (null for an imported run). */
  readonly settings: RunSettings | null;
  /** Its place in its experiment (null for an imported run). */
  readonly position: number | null;
  /** Calls its finished sessions sent (each attempt counts; cache hits send nothing). */
  readonly calls_sent: number;
  /** Calls sent but never receipted, over all its sessions (found on resume after a crash). */
  readonly unreceipted_calls: number;
}

/**
 * Turns stored rows into runs, validating their settings. The settings
 * schema (and zod with it) is imported here, when runs are read whole, so
 * that listing runs ({@linkcode listRunsBrief}) does not load it.
 */
async function toRuns(
  rows: readonly Selectable<Database["runs"]>[],
): Promise<RunRecord[]> {
  const { RunSettingsSchema } = await import("../schema/run_settings.ts");
  return rows.map((row) => ({
    ...row,
    status: row.status as RunStatus,
    flags: JSON.parse(row.flags),
    workflow: JSON.parse(row.workflow),
    settings: row.settings === null
      ? null
      : RunSettingsSchema.parse(JSON.parse(row.settings)),
  }));
}

function runRow(run: NewRun): Insertable<Database["runs"]> {
  return {
    id: run.id,
    experiment_id: run.experiment_id,
    task: run.task,
    task_id: run.task_id,
    prompt_version_id: run.prompt_version_id,
    model_config_id: run.model_config_id,
    model_config_sha256: run.model_config_sha256,
    judge_config_id: run.judge_config_id,
    dataset_id: run.dataset_id,
    repetitions: run.repetitions,
    status: run.status,
    flags: canonicalize(run.flags),
    workflow: canonicalize(run.workflow),
    trace_id: run.trace_id,
    created_at: run.created_at,
    finished_at: run.finished_at,
    settings: run.settings ? canonicalize(run.settings) : null,
    position: run.position ?? null,
  };
}

/** Stores a new run. */
export async function insertRun(store: Store, run: NewRun): Promise<void> {
  await store.db.insertInto("runs").values(runRow(run)).execute();
}

/**
 * Stores an experiment's runs in one transaction: all of them (each with
 * its position) or none, before the first call.
 */
export async function insertRuns(
  store: Store,
  runs: readonly NewRun[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    for (const run of runs) {
      await trx.insertInto("runs").values(runRow(run)).execute();
    }
  });
}

/** An experiment's runs in their planned order. */
export async function listExperimentRuns(
  store: Store,
  experimentId: string,
): Promise<RunRecord[]> {
  const rows = await store.db.selectFrom("runs").selectAll()
    .where("experiment_id", "=", experimentId)
    .orderBy("position").orderBy("created_at").orderBy("id").execute();
  return await toRuns(rows);
}

/** Records the settings a run now runs with (a resume's override). */
export async function setRunSettings(
  store: Store,
  id: string,
  settings: RunSettings,
): Promise<void> {
  await store.db.updateTable("runs")
    .set({ settings: canonicalize(settings) })
    .where("id", "=", id).execute();
}

/** Adds a finished session's sent calls, and the unreceipted calls a resume found, to a run. */
export async function addRunCalls(
  store: Store,
  id: string,
  counts: { sent?: number; unreceipted?: number },
): Promise<void> {
  await store.db.updateTable("runs").set((eb) => ({
    calls_sent: eb("calls_sent", "+", counts.sent ?? 0),
    unreceipted_calls: eb("unreceipted_calls", "+", counts.unreceipted ?? 0),
  })).where("id", "=", id).execute();
}

/**
 * A run by id (a unique prefix of at least 8 characters is accepted).
 *
 * @param store The open store.
 * @param id The run id or a unique prefix of it.
 * @returns The run.
 * @throws {NotFoundError} If no run (or more than one, for a prefix) matches.
 *
 * @example A run by id and by prefix
 * ```ts
 * import { experiment, getRun, loadCatalog, NotFoundError, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await experiment(store, {
 *   task: "resume_matching",
 *   prompts: ["v3"],
 *   models: ["fake-fast"],
 *   cases: ["rm-001", "rm-002"],
 *   repetitions: 1,
 *   allowFewerRepetitions: true,
 * });
 * const runId = runs[0]!.run_id;
 * const run = await getRun(store, runId);
 * assert.equal(run.status, "completed");
 * assert.equal(run.prompt_version_id, "resume_matching@v3");
 * assert.equal((await getRun(store, runId.slice(0, 12))).id, runId);
 * await assert.rejects(getRun(store, "run_missing"), NotFoundError);
 * ```
 */
export async function getRun(store: Store, id: string): Promise<RunRecord> {
  let row = await store.db.selectFrom("runs").selectAll().where("id", "=", id)
    .executeTakeFirst();
  if (!row && id.length >= 8) {
    const rows = await store.db.selectFrom("runs").selectAll().where(
      "id",
      "like",
      `${id}%`,
    )
      .limit(2).execute();
    if (rows.length === 1) row = rows[0];
  }
  if (!row) throw new NotFoundError("run", id, "list runs with `wb runs`");
  return (await toRuns([row]))[0]!;
}

/**
 * Runs, newest first, optionally of one task.
 *
 * @param store The open store.
 * @param options `task`: only the runs of this task.
 * @returns The runs (empty when none is stored).
 *
 * @example The runs of an experiment
 * ```ts
 * import { experiment, listRuns, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await experiment(store, {
 *   task: "resume_matching",
 *   prompts: ["v1", "v3"],
 *   models: ["fake-fast"],
 *   cases: ["rm-001", "rm-002"],
 *   repetitions: 1,
 *   allowFewerRepetitions: true,
 * });
 * const runId = runs[0]!.run_id;
 * const stored = await listRuns(store, { task: "resume_matching" });
 * assert.deepEqual(stored.map((r) => r.id).sort(), runs.map((r) => r.run_id).sort());
 * assert.equal(stored[0]?.repetitions, 1);
 * assert.deepEqual(await listRuns(store, { task: "support_triage" }), []);
 * ```
 */
export async function listRuns(
  store: Store,
  options: { task?: string } = {},
): Promise<RunRecord[]> {
  // Runs planned together share a millisecond: the id (made in order)
  // keeps their order the same on every engine and every read.
  let query = store.db.selectFrom("runs").selectAll().orderBy(
    "created_at",
    "desc",
  ).orderBy("id", "desc");
  if (options.task) query = query.where("task", "=", options.task);
  return await toRuns(await query.execute());
}

/** A run in brief, as `wb runs` lists it: what it is and where it is, without its settings or workflow. */
export type RunBrief = Pick<
  RunRecord,
  | "id"
  | "experiment_id"
  | "task"
  | "prompt_version_id"
  | "model_config_id"
  | "judge_config_id"
  | "dataset_id"
  | "repetitions"
  | "status"
  | "created_at"
  | "finished_at"
>;

/**
 * Runs, newest first, optionally of one task, in brief: the columns a
 * listing shows, read without parsing each run's settings (so a listing
 * loads neither the settings schema nor zod).
 *
 * @param store The open store.
 * @param options `task`: only the runs of this task.
 * @returns The briefs (empty when none is stored), in the order of {@linkcode listRuns}.
 *
 * @example The runs of a planned experiment, in brief
 * ```ts
 * import { listRunsBrief, loadCatalog, open, planRuns } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * await planRuns(store, {
 *   task: "resume_matching",
 *   prompts: ["v1"],
 *   models: ["fake-fast"],
 *   cases: ["rm-001"],
 *   repetitions: 1,
 *   allowFewerRepetitions: true,
 * });
 * const [run] = await listRunsBrief(store, { task: "resume_matching" });
 * assert.equal(run?.status, "planned");
 * assert.equal(run?.prompt_version_id, "resume_matching@v1");
 * assert.equal("settings" in run!, false);
 * ```
 */
export async function listRunsBrief(
  store: Store,
  options: { task?: string } = {},
): Promise<RunBrief[]> {
  let query = store.db.selectFrom("runs").select([
    "id",
    "experiment_id",
    "task",
    "prompt_version_id",
    "model_config_id",
    "judge_config_id",
    "dataset_id",
    "repetitions",
    "status",
    "created_at",
    "finished_at",
  ]).orderBy("created_at", "desc").orderBy("id", "desc");
  if (options.task) query = query.where("task", "=", options.task);
  return (await query.execute()).map((row) => ({
    ...row,
    status: row.status as RunStatus,
  }));
}

/** Sets a run's status (and finish time). */
export async function setRunStatus(
  store: Store,
  id: string,
  status: RunStatus,
  finishedAt: string | null,
): Promise<void> {
  await store.db.updateTable("runs").set({ status, finished_at: finishedAt })
    .where("id", "=", id)
    .execute();
}

/** Case keys per `IN (...)` list when reading committed cells. */
const KEYS_PER_QUERY = 500;

/**
 * How many cells a run has committed (with `below`, only those whose
 * repetition is below it): counted by the database, no cell read.
 */
export async function countCommittedCells(
  store: Store,
  runId: string,
  below?: number,
): Promise<number> {
  let query = store.db.selectFrom("results")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("run_id", "=", runId);
  if (below !== undefined) query = query.where("repetition", "<", below);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

/**
 * The `case_key#repetition` of the cells a run has committed for the given
 * cases: what a resume reads a window of cases at a time.
 */
export async function committedCellsOf(
  store: Store,
  runId: string,
  caseKeys: readonly string[],
): Promise<Set<string>> {
  const done = new Set<string>();
  const keys = [...new Set(caseKeys)];
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const rows = await store.db.selectFrom("results")
      .select(["case_key", "repetition"]).where("run_id", "=", runId)
      .where("case_key", "in", keys.slice(i, i + KEYS_PER_QUERY)).execute();
    for (const r of rows) done.add(`${r.case_key}#${r.repetition}`);
  }
  return done;
}

/** A receipt's request and response as canonical JSON, when already computed. */
export interface ReceiptJson {
  /** `canonicalize(receipt.request)`. */
  readonly request: string;
  /** `canonicalize(receipt.response)`, null when there is no response. */
  readonly response: string | null;
  /** `canonicalize` of each of the request's members that is not `undefined`, when known. */
  readonly requestMembers?: Readonly<Record<string, string>>;
}

/** What a receipt writes: its `model_io` row and its bodies. */
export interface ReceiptRows {
  /** The `model_io` row, naming its bodies by sha256. */
  readonly receipt: Database["model_io"];
  /** The request body, then the response body when there is one. */
  readonly bodies: readonly BodyRow[];
}

/** A `receipts` row (a `model_io` row read whole) with its request and response bodies read back. */
export type StoredReceiptRow = WithBodies<Selectable<Database["receipts"]>>;

/**
 * The rows a receipt writes. `json` passes the request's and response's
 * canonical JSON when the caller already has it (it must be exactly
 * `canonicalize` of them), to save serializing twice. A cache hit sealed as
 * a reference (`cached_sha256`; a {@linkcode ReceiptReference} is enough)
 * writes its own fields only, and no body.
 */
export function receiptRow(
  r: Receipt | (ReceiptReference & { readonly sha256: string }),
  json?: ReceiptJson,
): ReceiptRows {
  if (r.cached_sha256 !== undefined) {
    return {
      receipt: referenceColumns(
        r as ReceiptReference & { readonly sha256: string },
      ),
      bodies: [],
    };
  }
  r = r as Receipt;
  const request = requestBodies(
    r.request as unknown as Record<string, unknown>,
    json?.request ?? canonicalize(r.request),
    json?.request === undefined ? undefined : json.requestMembers,
  );
  const response = r.response === null
    ? null
    : bodyRow(json?.response ?? canonicalize(r.response));
  if (r.cached_from !== null && response === null) {
    // Stored without a response, it would read as a reference.
    throw new ValidationError([{
      field: `receipts.${r.id}.response`,
      message:
        "a cache hit carries the response it reused; give the receipt its original's response, or record it without cached_from",
    }]);
  }
  return {
    receipt: receiptColumns(r, request, response?.sha256 ?? null),
    bodies: response === null ? request.bodies : [...request.bodies, response],
  };
}

/** The columns a cache hit stored as a reference leaves to its original. */
const NOT_REPEATED = Object.freeze(
  Object.fromEntries(REUSED_COLUMNS.map((c) => [c, null])),
) as { readonly [C in typeof REUSED_COLUMNS[number]]: null };

/** The `model_io` row of a cache hit sealed as a reference: its own fields. */
function referenceColumns(
  r: ReceiptReference & { readonly sha256: string },
): Database["model_io"] {
  return {
    id: r.id,
    run_id: r.run_id,
    trace_id: r.trace_id,
    purpose: r.purpose,
    provider: r.provider,
    model: r.model,
    model_config_id: r.model_config_id,
    request_sha256: null,
    request_parts: null,
    ...NOT_REPEATED,
    cost: r.cost,
    uncached_cost: r.uncached_cost,
    latency_ms: r.latency_ms,
    status: r.status,
    error: r.error === null ? null : canonicalize(r.error),
    attempts: r.attempts,
    cache_key: r.cache_key,
    cached_from: r.cached_from,
    sha256: r.sha256,
    created_at: r.created_at,
    connection_cold: null,
  };
}

/**
 * A response's text answer, null when it has none: a receipt's `text` when
 * its `text` column is null (see `ModelIoTable`).
 */
export function responseText(response: Receipt["response"]): string | null {
  const text = (response as { text?: unknown } | null)?.text;
  return typeof text === "string" ? text : null;
}

/**
 * The `text` column: null when the text is the response's (read back from
 * it), the text itself otherwise.
 *
 * @throws {ValidationError} If the receipt has no text but its response has.
 */
function storedText(r: Receipt): string | null {
  const own = responseText(r.response);
  if (r.text === own) return null;
  if (r.text === null) {
    throw new ValidationError([{
      field: `receipts.${r.id}.text`,
      message:
        "a receipt whose response has a text answer carries that text; set text to response.text",
    }]);
  }
  return r.text;
}

function receiptColumns(
  r: Receipt,
  request: RequestBodies,
  responseSha256: string | null,
): Database["model_io"] {
  return {
    id: r.id,
    run_id: r.run_id,
    trace_id: r.trace_id,
    purpose: r.purpose,
    provider: r.provider,
    model: r.model,
    model_config_id: r.model_config_id,
    request_sha256: request.request.sha256,
    request_parts: request.parts,
    response_sha256: responseSha256,
    text: storedText(r),
    input_tokens: r.usage?.input_tokens ?? null,
    output_tokens: r.usage?.output_tokens ?? null,
    cache_read_tokens: r.usage?.cache_read_tokens ?? null,
    cache_write_tokens: r.usage?.cache_write_tokens ?? null,
    cost: r.cost,
    uncached_cost: r.uncached_cost,
    currency: r.currency,
    price_id: r.price_id,
    latency_ms: r.latency_ms,
    status: r.status,
    error: r.error === null ? null : canonicalize(r.error),
    attempts: r.attempts,
    cache_key: r.cache_key,
    cached_from: r.cached_from,
    provider_response_id: r.provider_response_id,
    stop_reason: r.stop_reason,
    sha256: r.sha256,
    created_at: r.created_at,
    connection_cold: r.response?.connection_cold === true ? 1 : null,
  };
}

/** A receipt from its row, bodies read back (see `withBodies`). */
export function receiptFromRow(row: StoredReceiptRow): Receipt {
  const usageKnown = row.input_tokens !== null || row.output_tokens !== null;
  const response = row.response === null ? null : JSON.parse(row.response);
  return {
    id: row.id,
    run_id: row.run_id,
    trace_id: row.trace_id,
    purpose: row.purpose as Receipt["purpose"],
    provider: row.provider,
    model: row.model,
    model_config_id: row.model_config_id,
    request: JSON.parse(row.request),
    response,
    text: row.text ?? responseText(response),
    usage: usageKnown
      ? {
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        cache_read_tokens: row.cache_read_tokens,
        cache_write_tokens: row.cache_write_tokens,
      }
      : null,
    cost: row.cost,
    uncached_cost: row.uncached_cost,
    currency: row.currency,
    price_id: row.price_id,
    latency_ms: row.latency_ms,
    status: row.status as Receipt["status"],
    error: row.error === null ? null : JSON.parse(row.error),
    attempts: row.attempts,
    cache_key: row.cache_key,
    cached_from: row.cached_from,
    ...(row.cached_sha256 === null ? {} : { cached_sha256: row.cached_sha256 }),
    provider_response_id: row.provider_response_id,
    stop_reason: row.stop_reason,
    sha256: row.sha256,
    created_at: row.created_at,
  };
}

/** The result row's column values for a cell. */
export function resultRow(r: CellResult): Database["results"] {
  return {
    id: r.id,
    run_id: r.run_id,
    case_key: r.case_key,
    repetition: r.repetition,
    slice: r.slice,
    generation_io_id: r.generation_io_id,
    judge_io_ids: canonicalize(r.judge_io_ids),
    output: r.output,
    status: r.status,
    checks: canonicalize(r.checks),
    rubric: r.rubric === null ? null : canonicalize(r.rubric),
    judge_error: r.judge_error,
    created_at: r.created_at,
    scored_at: r.scored_at,
  };
}

/** Everything one cell writes: committed together or not at all. */
export interface CellWrite {
  /** The cell's receipts (generation and judge calls). */
  readonly receipts: readonly Receipt[];
  /** Each receipt's canonical request and response, aligned with `receipts`, when already computed. */
  readonly receiptJson?: readonly (ReceiptJson | undefined)[];
  /** The cell's result row. */
  readonly result: CellResult;
  /** The cell's trace events. */
  readonly events: readonly TraceEvent[];
}

/**
 * Rows per INSERT statement (SQLite allows 32,766 bound values, PostgreSQL
 * 65,535).
 */
const ROWS_PER_INSERT = 200;

/**
 * Inserts rows with multi-row INSERT statements built here rather than by
 * the query builder: the runner writes tens of thousands of rows a minute,
 * and compiling each statement dominated the write. Statement texts are
 * kept per table, columns and row count.
 */
async function insertRows<T extends object>(
  trx: Transaction<Database>,
  dialect: StoreDialect,
  table: keyof Database,
  rows: readonly T[],
): Promise<void> {
  // Bodies are content-addressed: a row already there is the same row.
  const idempotent = table === "bodies";
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!) as (keyof T)[];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const parameters: unknown[] = [];
    for (const row of chunk) {
      for (const column of columns) parameters.push(row[column]);
    }
    await trx.executeQuery(
      CompiledQuery.raw(
        insertStatement(
          dialect,
          table,
          columns as string[],
          chunk.length,
          idempotent,
        ),
        parameters,
      ),
    );
  }
}

const statements = new Map<string, string>();

/** `insert into "table" (columns) values (...), (...)` with the dialect's placeholders. */
function insertStatement(
  dialect: StoreDialect,
  table: string,
  columns: readonly string[],
  rows: number,
  idempotent: boolean,
): string {
  const key = `${dialect}|${table}|${rows}|${idempotent}|${columns.join(",")}`;
  let text = statements.get(key);
  if (text === undefined) {
    text = `insert into "${table}" (${
      columns.map((c) => `"${c}"`).join(", ")
    }) values ${
      Array.from({ length: rows }, (_, r) =>
        `(${
          columns.map((_, c) =>
            placeholder(dialect, r * columns.length + c)
          )
            .join(", ")
        })`).join(", ")
    }${idempotent ? " on conflict do nothing" : ""}`;
    statements.set(key, text);
  }
  return text;
}

/** The trace_events row of an event (as `insertTraceEvents` writes it). */
export function eventRow(
  e: TraceEvent,
): Omit<Database["trace_events"], "seq"> {
  return {
    trace_id: e.trace_id,
    index: e.index,
    type: e.type,
    step: e.step,
    at: e.at,
    data: canonicalize(e.data),
    prev_hash: e.prev_hash,
    hash: e.hash,
  };
}

/** The rows a batch of cells writes, table by table. */
export interface CellRows {
  /** `model_io` rows. */
  readonly receipts: readonly Database["model_io"][];
  /** `bodies` rows the receipts name, each once, in sha256 order. */
  readonly bodies: readonly BodyRow[];
  /** `results` rows. */
  readonly results: readonly Database["results"][];
  /** `trace_events` rows. */
  readonly events: readonly Omit<Database["trace_events"], "seq">[];
}

/** The rows of a batch of cells, ready to insert. */
export function cellRows(cells: readonly CellWrite[]): CellRows {
  const receipts: Database["model_io"][] = [];
  const bodies = new Map<string, BodyRow>();
  const results: Database["results"][] = [];
  const events: Omit<Database["trace_events"], "seq">[] = [];
  for (const cell of cells) {
    cell.receipts.forEach((r, i) => {
      const rows = receiptRow(r, cell.receiptJson?.[i]);
      receipts.push(rows.receipt);
      for (const body of rows.bodies) bodies.set(body.sha256, body);
    });
    results.push(resultRow(cell.result));
    for (const event of cell.events) events.push(eventRow(event));
  }
  // In one order for every writer: two workers committing to PostgreSQL
  // insert bodies they share (a system prompt, a rubric), and rows taken in
  // different orders deadlock on the unique index.
  const sorted = [...bodies.values()].sort((a, b) =>
    a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0
  );
  return { receipts, bodies: sorted, results, events };
}

/** Inserts a batch's rows in one transaction: all of them or none. */
export async function insertCellRows(
  store: Store,
  rows: CellRows,
): Promise<void> {
  await store.db.transaction().execute((trx) =>
    insertCellRowsIn(trx, store.dialect, rows)
  );
}

/** Inserts a batch's rows inside the caller's transaction. */
export async function insertCellRowsIn(
  trx: Transaction<Database>,
  dialect: StoreDialect,
  rows: CellRows,
): Promise<void> {
  await insertRows(trx, dialect, "bodies", rows.bodies);
  await insertRows(trx, dialect, "model_io", rows.receipts);
  await insertRows(trx, dialect, "results", rows.results);
  await insertRows(trx, dialect, "trace_events", rows.events);
}

/**
 * Commits cells in one transaction: for each, its receipts, its result and
 * its trace events. Either all of a batch lands or none of it does.
 */
export async function commitCells(
  store: Store,
  cells: readonly CellWrite[],
): Promise<void> {
  if (cells.length === 0) return;
  await insertCellRows(store, cellRows(cells));
}

/** A successful receipt with this cache key, if one exists (the original, not a cache hit). */
export async function findCachedReceipt(
  store: Store,
  cacheKey: string,
): Promise<Receipt | undefined> {
  const row = await store.db.selectFrom("receipts").selectAll()
    .where("cache_key", "=", cacheKey).where("status", "=", "ok")
    .where("cached_from", "is", null).orderBy("created_at").orderBy("id")
    .limit(1).executeTakeFirst();
  return row && receiptFromRow((await withBodies(store.db, [row]))[0]!);
}

/** What a cache hit reuses of the original receipt. */
export interface CachedReceipt {
  /** The original receipt's id. */
  readonly id: string;
  /** The original receipt's sha256. */
  readonly sha256: string;
  /** Its response. */
  readonly response: Receipt["response"];
  /** `canonicalize(response)`, as stored. */
  readonly responseJson: string | null;
  /** Its text answer. */
  readonly text: string | null;
  /** Its usage. */
  readonly usage: Receipt["usage"];
  /** Its cost. */
  readonly cost: string | null;
  /** Its uncached cost. */
  readonly uncached_cost: string | null;
  /** Its currency. */
  readonly currency: string | null;
  /** Its price row. */
  readonly price_id: string | null;
  /** The provider's response id. */
  readonly provider_response_id: string | null;
  /** The stop reason. */
  readonly stop_reason: string | null;
}

/** Keys per lookup statement. */
const KEYS_PER_LOOKUP = 500;

/**
 * The cache hits for many keys at once: for each key that has one, the
 * earliest successful original receipt (as {@linkcode findCachedReceipt}
 * finds it), in one query per 500 keys. The request is not read.
 */
export async function findCachedReceipts(
  store: Store,
  cacheKeys: readonly string[],
): Promise<Map<string, CachedReceipt>> {
  const found = new Map<string, CachedReceipt>();
  const unique = [...new Set(cacheKeys)];
  for (let i = 0; i < unique.length; i += KEYS_PER_LOOKUP) {
    const keys = unique.slice(i, i + KEYS_PER_LOOKUP);
    // First which keys have an original (cheap: most lookups miss), then
    // those originals' columns. Written out rather than built: the runner
    // makes one of these per handful of cells.
    const originals = await store.db.executeQuery<
      { id: string; cache_key: string }
    >(CompiledQuery.raw(
      `select "id", "cache_key" from "model_io" where "cache_key" in (${
        keys.map((_, i) => placeholder(store.dialect, i)).join(", ")
      }) and "status" = 'ok' and "cached_from" is null order by "created_at", "id"`,
      keys,
    ));
    const idOf = new Map<string, string>();
    for (const row of originals.rows) {
      if (!idOf.has(row.cache_key)) idOf.set(row.cache_key, row.id);
    }
    if (idOf.size === 0) continue;
    const ids = [...idOf.values()];
    const rows = await store.db.selectFrom("model_io").select([
      "id",
      "cache_key",
      "response_sha256",
      "text",
      "input_tokens",
      "output_tokens",
      "cache_read_tokens",
      "cache_write_tokens",
      "cost",
      "uncached_cost",
      "currency",
      "price_id",
      "provider_response_id",
      "stop_reason",
      "sha256",
    ]).where("id", "in", ids).execute();
    const responses = await readBodies(
      store.db,
      rows.map((r) => r.response_sha256),
    );
    for (const row of rows) {
      if (row.cache_key === null) continue;
      const usageKnown = row.input_tokens !== null ||
        row.output_tokens !== null;
      const responseJson = row.response_sha256 === null
        ? null
        : responses.get(row.response_sha256)!;
      const response = responseJson === null ? null : JSON.parse(responseJson);
      found.set(row.cache_key, {
        id: row.id,
        sha256: row.sha256,
        response,
        responseJson,
        text: row.text ?? responseText(response),
        usage: usageKnown
          ? {
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cache_read_tokens: row.cache_read_tokens,
            cache_write_tokens: row.cache_write_tokens,
          }
          : null,
        cost: row.cost,
        uncached_cost: row.uncached_cost,
        currency: row.currency,
        price_id: row.price_id,
        provider_response_id: row.provider_response_id,
        stop_reason: row.stop_reason,
      });
    }
  }
  return found;
}
