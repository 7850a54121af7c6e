/**
 * Queries for scoring: a run's results and receipts, check updates on
 * rescore, and stored scorecards.
 *
 * @module
 */
import { type Selectable, sql } from "kysely";
import * as z from "zod";
import { canonicalize } from "../content/canonicalize.ts";
import { nowIso } from "../content/ids.ts";
import { contentHash } from "../content/sha256.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type {
  AttemptFailure,
  Receipt,
  ReceiptFigures,
} from "../schema/receipt.ts";
import type {
  CellResult,
  CellStatus,
  RubricScore,
  ScoredCell,
} from "../schema/result.ts";
import { type Scorecard, ScorecardSchema } from "../schema/scorecard.ts";
import { SliceSchema } from "../schema/task.ts";
import type { Store } from "./open.ts";
import { receiptFromRow } from "./runs.ts";
import { withBodies } from "./bodies.ts";
import { bulkRows, eachRow, localPath } from "./_bulk_read.ts";
import type { Database } from "./tables.ts";

const ChecksColumn = z.record(
  z.string(),
  z.object({ pass: z.boolean(), score: z.number(), detail: z.string() }),
);
const ScoreColumn = z.union([
  z.literal(1),
  z.literal(2),
  z.literal(3),
  z.literal(4),
  z.literal(5),
]);
const RubricColumn = z.record(
  z.string(),
  z.object({
    score: ScoreColumn,
    reasoning: z.string(),
    evidence: z.string().optional(),
    // A jury's jurors: each one's own score, or its error.
    jurors: z.record(
      z.string(),
      z.union([
        z.object({
          score: ScoreColumn,
          reasoning: z.string(),
          evidence: z.string().optional(),
        }),
        z.object({ error: z.string() }),
      ]),
    ).optional(),
  }),
).nullable();
const StatusColumn = z.enum(["ok", "provider_error", "invalid_output"]);

function column<T>(
  schema: z.ZodType<T>,
  text: string | null,
  where: { id: string; field: string },
): T {
  let value: unknown = null;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch (error) {
    throw new ValidationError([{
      field: `results.${where.field}`,
      message: `result '${where.id}' holds unreadable JSON`,
    }], { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({
      field: [`results.${where.field}`, ...issue.path.map(String)].join("."),
      message: `result '${where.id}': ${issue.message}`,
    })));
  }
  return parsed.data;
}

function toCellResult(row: Selectable<Database["results"]>): CellResult {
  const where = (field: string) => ({ id: row.id, field });
  // Rows as the runner writes them pass the quick checks below; anything
  // else goes through the schemas, which say what is wrong.
  const slice = SLICE_SET.has(row.slice)
    ? row.slice as CellResult["slice"]
    : column(SliceSchema, JSON.stringify(row.slice), where("slice"));
  const status = STATUS_SET.has(row.status)
    ? row.status as CellStatus
    : column(StatusColumn, JSON.stringify(row.status), where("status"));
  return {
    id: row.id,
    "run_id": row.run_id,
    "case_key": row.case_key,
    repetition: row.repetition,
    slice,
    "generation_io_id": row.generation_io_id,
    "judge_io_ids": quickIds(row.judge_io_ids) ?? column(
      z.array(z.string()),
      row.judge_io_ids,
      where("judge_io_ids"),
    ),
    output: row.output,
    status,
    checks: quickChecks(row.checks) ??
      column(ChecksColumn, row.checks, where("checks")),
    rubric: quickRubric(row.rubric) ??
      column(RubricColumn, row.rubric, where("rubric")) as CellResult[
        "rubric"
      ],
    "judge_error": row.judge_error,
    "created_at": row.created_at,
    "scored_at": row.scored_at,
  };
}

const SLICE_SET: ReadonlySet<string> = new Set(SliceSchema.options);
const STATUS_SET: ReadonlySet<string> = new Set(StatusColumn.options);

function parseQuietly(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `judge_io_ids` when it is plainly valid (what the schema would return), else undefined. */
function quickIds(text: string): string[] | undefined {
  const value = parseQuietly(text);
  return Array.isArray(value) && value.every((v) => typeof v === "string")
    ? value
    : undefined;
}

/**
 * `checks` when every entry is exactly `{pass, score, detail}` (what the
 * schema would return: the parsed value itself, as the store wrote it);
 * else undefined.
 */
function quickChecks(text: string): CellResult["checks"] | undefined {
  const value = parseQuietly(text);
  if (!isPlain(value)) return undefined;
  for (const key in value) {
    const c = value[key];
    if (
      !isPlain(c) || typeof c.pass !== "boolean" ||
      typeof c.score !== "number" || typeof c.detail !== "string" ||
      Object.keys(c).length !== 3
    ) return undefined;
  }
  return value as CellResult["checks"];
}

/**
 * `rubric` when it is null or every entry is exactly `{score 1-5,
 * reasoning, evidence?}` (the parsed value itself); else undefined.
 */
function quickRubric(text: string | null): CellResult["rubric"] | undefined {
  const value = parseQuietly(text);
  if (value === null) return null;
  if (!isPlain(value)) return undefined;
  for (const key in value) {
    const d = value[key];
    if (
      !isPlain(d) || !Number.isInteger(d.score) || (d.score as number) < 1 ||
      (d.score as number) > 5 || typeof d.reasoning !== "string" ||
      (d.evidence !== undefined && typeof d.evidence !== "string") ||
      Object.keys(d).length !== (Object.hasOwn(d, "evidence") ? 3 : 2)
    ) return undefined;
  }
  return value as CellResult["rubric"];
}

export { localPath };

/**
 * How many cells a run has stored.
 *
 * @param store The open store.
 * @param runId The run id.
 * @returns The number of result rows of the run.
 */
export async function countResults(
  store: Store,
  runId: string,
): Promise<number> {
  const row = await store.db.selectFrom("results")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("run_id", "=", runId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

const RESULTS_SQL =
  'SELECT * FROM "results" WHERE "run_id" = ? ORDER BY "case_key", "repetition"';

/** The results' columns a scorecard reads: all but the output (left unread, as null). */
const SCORED_COLUMNS = [
  "id",
  "run_id",
  "case_key",
  "repetition",
  "slice",
  "generation_io_id",
  "judge_io_ids",
  "status",
  "checks",
  "rubric",
  "judge_error",
  "created_at",
  "scored_at",
] as const;
const SCORED_SQL = `SELECT ${
  SCORED_COLUMNS.map((c) => `"${c}"`).join(", ")
}, NULL AS "output" FROM "results" WHERE "run_id" = ? ORDER BY "case_key", "repetition"`;

/**
 * A run's cells, ordered by case key and repetition, with their JSON
 * columns parsed and validated.
 *
 * @param store The open store.
 * @param runId The run id.
 * @returns The cells (empty when the run has none).
 * @throws {ValidationError} If a stored row does not hold a valid cell.
 *
 * @example One cell per case and repetition
 * ```ts
 * import { experiment, listResults, loadCatalog, open } from "@llm-workbench/workbench";
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
 * const cells = await listResults(store, runId);
 * assert.deepEqual(cells.map((c) => [c.case_key, c.repetition]), [["rm-001", 0], ["rm-002", 0]]);
 * assert.ok(cells.every((c) => c.generation_io_id !== null));
 * ```
 */
export async function listResults(
  store: Store,
  runId: string,
): Promise<CellResult[]> {
  const path = localPath(store);
  if (path !== null) return readResultsAt(path, runId);
  const rows = await store.db.selectFrom("results").selectAll()
    .where("run_id", "=", runId).orderBy("case_key").orderBy("repetition")
    .execute();
  return rows.map(toCellResult);
}

/**
 * One cell of a run by its result id, with the generation receipt's
 * sha256 (what a correction of its output is bound to). Internal.
 *
 * @throws {NotFoundError} If no result has that id.
 */
export async function getResult(
  store: Store,
  id: string,
): Promise<{ result: CellResult; receiptSha256: string | null }> {
  const row = await store.db.selectFrom("results").selectAll()
    .where("id", "=", id).executeTakeFirst();
  if (!row) {
    throw new NotFoundError(
      "result",
      id,
      "name a cell with `wb edit --run RUN --case CASE [--repetition N]` instead",
    );
  }
  const result = toCellResult(row);
  const receipt = result.generation_io_id === null
    ? undefined
    : await store.db.selectFrom("model_io").select("sha256")
      .where("id", "=", result.generation_io_id).executeTakeFirst();
  return { result, receiptSha256: receipt?.sha256 ?? null };
}

/**
 * {@linkcode listResults} on a local database file (see `localPath`),
 * synchronously, through a connection of its own: what a worker thread
 * reads a run with. Internal.
 */
export function readResultsAt(path: string, runId: string): CellResult[] {
  return bulkRows<Selectable<Database["results"]>>(path, RESULTS_SQL, [runId])
    .map(toCellResult);
}

/** Rows of a run's results read at a time from a database that is not a local file. */
const SCORED_PAGE = 2000;

/**
 * A run's cells as its scorecard reads them ({@linkcode ScoredCell}),
 * ordered by case key and repetition: each row validated as
 * {@linkcode listResults} does, then reduced as it is read (no output, no
 * reasoning or evidence), so a large run's texts are never all in memory.
 * A local file is read with one statement stepped row by row; other
 * databases a page of rows at a time (`pageSize` rows). Internal.
 *
 * @throws {ValidationError} If a stored row does not hold a valid cell.
 */
export async function listScoredCells(
  store: Store,
  runId: string,
  pageSize: number = SCORED_PAGE,
): Promise<ScoredCell[]> {
  const cells: ScoredCell[] = [];
  await eachScoredCell(store, runId, (cell) => cells.push(cell), pageSize);
  return cells;
}

/**
 * {@linkcode listScoredCells}, one cell at a time: `each` sees every cell
 * as it is read, so a caller that folds them holds none. Internal.
 *
 * @throws {ValidationError} If a stored row does not hold a valid cell.
 */
export async function eachScoredCell(
  store: Store,
  runId: string,
  each: (cell: ScoredCell) => void,
  pageSize: number = SCORED_PAGE,
): Promise<void> {
  // Outputs are not read: a scorecard does not use them.
  const keep = (row: Selectable<Database["results"]>) =>
    each(scoredCell(toCellResult(row)));
  const path = localPath(store);
  if (path !== null) {
    eachRow(path, SCORED_SQL, [runId], keep);
    return;
  }
  let after: { case_key: string; repetition: number } | undefined;
  for (;;) {
    let query = store.db.selectFrom("results").select([
      ...SCORED_COLUMNS,
      sql<string | null>`NULL`.as("output"),
    ]).where("run_id", "=", runId);
    if (after) {
      query = query.where(
        sql<boolean>`(${sql.ref("case_key")}, ${
          sql.ref("repetition")
        }) > (${after.case_key}, ${after.repetition})`,
      );
    }
    const rows = await query.orderBy("case_key").orderBy("repetition")
      .limit(pageSize).execute();
    rows.forEach(keep);
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = { case_key: last.case_key, repetition: last.repetition };
  }
}

function scoredCell(cell: CellResult): ScoredCell {
  let rubric: ScoredCell["rubric"] = null;
  if (cell.rubric !== null) {
    const dimensions: Record<string, Pick<RubricScore, "score" | "jurors">> =
      {};
    for (const [name, d] of Object.entries(cell.rubric)) {
      dimensions[name] = d.jurors === undefined
        ? { score: d.score }
        : { score: d.score, jurors: d.jurors };
    }
    rubric = dimensions;
  }
  return {
    "case_key": cell.case_key,
    repetition: cell.repetition,
    slice: cell.slice,
    "generation_io_id": cell.generation_io_id,
    "judge_io_ids": cell.judge_io_ids,
    status: cell.status,
    checks: cell.checks,
    rubric,
    "judge_error": cell.judge_error,
  };
}

/**
 * A run's receipts (generation and judge calls), oldest first.
 *
 * @param store The open store.
 * @param runId The run id.
 * @returns The receipts.
 *
 * @example Every generation call has a receipt
 * ```ts
 * import { experiment, listReceipts, listResults, loadCatalog, open } from "@llm-workbench/workbench";
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
 * const receipts = await listReceipts(store, runId);
 * assert.equal(receipts.length, runs[0]!.adapter_calls);
 * assert.ok(receipts.every((r) => r.purpose === "generate"));
 * const cells = await listResults(store, runId);
 * assert.deepEqual(cells.map((c) => c.generation_io_id).sort(), receipts.map((r) => r.id).sort());
 * ```
 */
export async function listReceipts(
  store: Store,
  runId: string,
): Promise<Receipt[]> {
  const rows = await store.db.selectFrom("receipts").selectAll()
    .where("run_id", "=", runId).orderBy("created_at").orderBy("id")
    .execute();
  return (await withBodies(store.db, rows)).map(receiptFromRow);
}

const FIGURE_COLUMNS = [
  "id",
  "purpose",
  "status",
  "cached_from",
  "latency_ms",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cost",
  "uncached_cost",
  "currency",
  "attempts",
  "connection_cold",
] as const;
type FigureRow = Pick<
  Selectable<Database["receipts"]>,
  typeof FIGURE_COLUMNS[number]
>;
const FIGURES_SQL = `SELECT ${
  FIGURE_COLUMNS.map((c) => `"${c}"`).join(", ")
} FROM "receipts" WHERE "run_id" = ? ORDER BY "created_at", "id"`;

function toReceiptFigures(row: FigureRow): ReceiptFigures {
  return {
    id: row.id,
    purpose: row.purpose as Receipt["purpose"],
    status: row.status as Receipt["status"],
    "cached_from": row.cached_from,
    "latency_ms": row.latency_ms,
    usage: row.input_tokens !== null || row.output_tokens !== null
      ? {
        "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens,
        "cache_read_tokens": row.cache_read_tokens,
        "cache_write_tokens": row.cache_write_tokens,
      }
      : null,
    cost: row.cost,
    "uncached_cost": row.uncached_cost,
    currency: row.currency,
    attempts: row.attempts,
    ...(Number(row.connection_cold) === 1 ? { "connection_cold": true } : {}),
  };
}

/**
 * The cases a run has results for, sorted: the case set a leaderboard
 * groups runs by.
 *
 * @param store The open store.
 * @param runId The run id.
 * @returns The case keys, sorted, each once.
 */
export async function listCaseKeys(
  store: Store,
  runId: string,
): Promise<string[]> {
  const rows = await store.db.selectFrom("results").select("case_key")
    .distinct().where("run_id", "=", runId).orderBy("case_key").execute();
  return rows.map((r) => r.case_key);
}

/**
 * A run's receipts' figures (ids, purpose, status, latency, usage, costs),
 * oldest first, without their requests and responses: what a scorecard or
 * a verdict reads, at a fraction of the memory.
 *
 * @param store The open store.
 * @param runId The run id.
 * @returns The receipts' figures.
 */
export async function listReceiptFigures(
  store: Store,
  runId: string,
): Promise<ReceiptFigures[]> {
  const figures: ReceiptFigures[] = [];
  await eachReceiptFigure(store, runId, (f) => figures.push(f));
  return figures;
}

/** Receipts' figures read at a time from a database that is not a local file. */
const FIGURES_PAGE = 2000;

/**
 * {@linkcode listReceiptFigures}, one receipt at a time (oldest first): a
 * local file is read by one stepped statement, other databases a page at
 * a time, so a caller that folds them holds none. Internal.
 */
export async function eachReceiptFigure(
  store: Store,
  runId: string,
  each: (figures: ReceiptFigures) => void,
  pageSize: number = FIGURES_PAGE,
): Promise<void> {
  const path = localPath(store);
  if (path !== null) return eachReceiptFigureAt(path, runId, each);
  const events = await store.db.selectFrom("trace_events").select("data")
    .where(
      "trace_id",
      "=",
      store.db.selectFrom("runs").select("trace_id").where("id", "=", runId),
    ).where(sql<boolean>`${sql.raw(FAILURES_LIKE)}`).execute();
  const failures = attemptFailuresOf(events.map((e) => JSON.parse(e.data)));
  let after: { created_at: string; id: string } | undefined;
  for (;;) {
    let query = store.db.selectFrom("receipts").select([
      ...FIGURE_COLUMNS,
      "created_at",
    ]).where("run_id", "=", runId);
    if (after) {
      query = query.where(
        sql<boolean>`(${sql.ref("created_at")}, ${
          sql.ref("id")
        }) > (${after.created_at}, ${after.id})`,
      );
    }
    const rows = await query.orderBy("created_at").orderBy("id")
      .limit(pageSize).execute();
    for (const row of rows) {
      each(withFailures(toReceiptFigures(row), failures));
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = { created_at: last.created_at, id: last.id };
  }
}

/**
 * The figures of the given receipts, read as {@linkcode listReceiptFigures}
 * reads a run's, oldest first: a production window's results point at
 * receipts that belong to no run.
 */
export async function listReceiptFiguresByIds(
  store: Store,
  ids: readonly string[],
): Promise<ReceiptFigures[]> {
  const out: ReceiptFigures[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) {
    const rows = await store.db.selectFrom("receipts").select([
      ...FIGURE_COLUMNS,
    ]).where("id", "in", unique.slice(i, i + IDS_PER_QUERY))
      .orderBy("created_at").orderBy("id").execute();
    out.push(...rows.map(toReceiptFigures));
  }
  return out;
}

/** Ids per `IN (...)` list: under SQLite's and PostgreSQL's parameter limits. */
const IDS_PER_QUERY = 500;

/**
 * Event data holding `attempt_failures` (canonical JSON, whose strings
 * escape every quote, so the unescaped key can only be that member).
 */
const FAILURES_LIKE = `("data" LIKE '%"attempt_failures":%')`;
const FAILURES_SQL =
  `SELECT "data" FROM "trace_events" WHERE "trace_id" = (SELECT "trace_id" FROM "runs" WHERE "id" = ?) AND ${FAILURES_LIKE}`;

/**
 * Attaches to each receipt the failed attempts its cell's trace events
 * recorded (`data.attempt_failures`, one `{receipt_id, kind, status?,
 * wait_ms}` per failed attempt). Internal: the store and a bundle's
 * readers share it.
 */
export function withAttemptFailures<R extends ReceiptFigures>(
  figures: R[],
  eventData: readonly Readonly<Record<string, unknown>>[],
): R[] {
  const failures = attemptFailuresOf(eventData);
  return figures.map((f) => withFailures(f, failures));
}

/** Receipt id -> its failed attempts, from its cells' trace event data. */
function attemptFailuresOf(
  eventData: readonly Readonly<Record<string, unknown>>[],
): Map<string, AttemptFailure[]> {
  const byReceipt = new Map<string, AttemptFailure[]>();
  for (const data of eventData) {
    const recorded = data.attempt_failures as
      | (AttemptFailure & { receipt_id: string })[]
      | undefined;
    if (!Array.isArray(recorded)) continue;
    for (const { receipt_id, ...failure } of recorded) {
      const list = byReceipt.get(receipt_id) ?? [];
      list.push(failure);
      byReceipt.set(receipt_id, list);
    }
  }
  return byReceipt;
}

function withFailures<R extends ReceiptFigures>(
  f: R,
  byReceipt: ReadonlyMap<string, AttemptFailure[]>,
): R {
  const failures = byReceipt.get(f.id);
  return failures ? { ...f, "attempt_failures": failures } : f;
}

/**
 * {@linkcode listReceiptFigures} on a local database file, synchronously
 * (see {@linkcode readResultsAt}). Internal.
 */
export function readReceiptFiguresAt(
  path: string,
  runId: string,
): ReceiptFigures[] {
  const figures: ReceiptFigures[] = [];
  eachReceiptFigureAt(path, runId, (f) => figures.push(f));
  return figures;
}

/**
 * {@linkcode readReceiptFiguresAt}, one receipt at a time: each row made
 * into its figures as it is read, so a large run's rows are never all held.
 */
function eachReceiptFigureAt(
  path: string,
  runId: string,
  each: (figures: ReceiptFigures) => void,
): void {
  const failures = attemptFailuresOf(
    bulkRows<{ data: string }>(path, FAILURES_SQL, [runId]).map((e) =>
      JSON.parse(e.data)
    ),
  );
  eachRow<FigureRow>(
    path,
    FIGURES_SQL,
    [runId],
    (row) => each(withFailures(toReceiptFigures(row), failures)),
  );
}

/** A cell's recomputed checks (and status) after a rescore. */
export interface CellChecksUpdate {
  /** The result id. */
  readonly id: string;
  /** The new checks record. */
  readonly checks: CellResult["checks"];
  /** The cell's status after rescoring. */
  readonly status: CellStatus;
  /** When it was rescored. */
  readonly "scored_at": string;
}

/**
 * Writes recomputed checks (and status) of cells in one transaction.
 * Receipts, outputs and rubric scores are never touched.
 *
 * @param store The open store.
 * @param updates The cells to update.
 */
export async function updateCellChecks(
  store: Store,
  updates: readonly CellChecksUpdate[],
): Promise<void> {
  if (updates.length === 0) return;
  await store.db.transaction().execute(async (trx) => {
    for (const u of updates) {
      await trx.updateTable("results").set({
        checks: canonicalize(u.checks),
        status: u.status,
        "scored_at": u.scored_at,
      }).where("id", "=", u.id).execute();
    }
  });
}

/** A stored scorecard with its content hash. */
export interface StoredScorecard {
  /** sha256 of the scorecard's canonical JSON. */
  readonly sha256: string;
  /** The scorecard. */
  readonly scorecard: Scorecard;
  /** When it was (last) computed. */
  readonly "created_at": string;
}

/**
 * Stores a run's scorecard under the sha256 of its canonical JSON. Saving
 * the same content again is a no-op apart from marking it as the latest.
 * Its time is the clock's, or a millisecond after the run's newest
 * scorecard when that is not earlier (scorecards computed within one
 * millisecond), so the one saved last is the latest.
 *
 * @param store The open store.
 * @param runId The run it scores.
 * @param scorecard The scorecard.
 * @returns The scorecard's sha256.
 */
export async function saveScorecard(
  store: Store,
  runId: string,
  scorecard: Scorecard,
): Promise<string> {
  const sha256 = contentHash(scorecard);
  const newest = await store.db.selectFrom("scorecards").select("created_at")
    .where("run_id", "=", runId).orderBy("created_at", "desc").limit(1)
    .executeTakeFirst();
  let now = nowIso();
  if (newest !== undefined && newest.created_at >= now) {
    now = new Date(Date.parse(newest.created_at) + 1).toISOString();
  }
  await store.db.insertInto("scorecards").values({
    sha256,
    "run_id": runId,
    body: canonicalize(scorecard),
    "created_at": now,
  }).onConflict((oc) => oc.column("sha256").doUpdateSet({ "created_at": now }))
    .execute();
  return sha256;
}

/**
 * The scorecard computed last for a run, if any.
 *
 * @param store The open store.
 * @param runId The run id.
 * @returns The scorecard with its sha256, or `undefined`.
 * @throws {ValidationError} If the stored body is not a valid scorecard.
 *
 * @example A completed run's scorecard
 * ```ts
 * import { experiment, latestScorecard, loadCatalog, open } from "@llm-workbench/workbench";
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
 * const stored = await latestScorecard(store, runId);
 * assert.equal(stored?.sha256, runs[0]!.scorecard_sha256);
 * assert.equal(stored?.scorecard.cells, 2);
 * assert.equal(await latestScorecard(store, "run_missing"), undefined);
 * ```
 */
export async function latestScorecard(
  store: Store,
  runId: string,
): Promise<StoredScorecard | undefined> {
  const row = await store.db.selectFrom("scorecards").selectAll()
    .where("run_id", "=", runId).orderBy("created_at", "desc")
    .orderBy("sha256").limit(1).executeTakeFirst();
  if (!row) return undefined;
  const parsed = ScorecardSchema.safeParse(JSON.parse(row.body));
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({
      field: ["scorecard", ...issue.path.map(String)].join("."),
      message: `scorecard ${row.sha256.slice(0, 12)}: ${issue.message}`,
    })));
  }
  return {
    sha256: row.sha256,
    scorecard: parsed.data,
    "created_at": row.created_at,
  };
}
