import type { Selectable } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import { NotFoundError } from "../errors.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { CellResult } from "../schema/result.ts";
import type { TraceEvent } from "../trace/event.ts";
import type { Store } from "./open.ts";
import type { Database } from "./tables.ts";
import { insertTraceEvents } from "./trace.ts";

/** A run's status. */
export type RunStatus = "running" | "completed" | "interrupted" | "failed";

/** A run as stored. */
export interface RunRecord {
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
}

function toRun(row: Selectable<Database["runs"]>): RunRecord {
  return {
    ...row,
    status: row.status as RunStatus,
    flags: JSON.parse(row.flags),
    workflow: JSON.parse(row.workflow),
  };
}

/** Stores a new run. */
export async function insertRun(store: Store, run: RunRecord): Promise<void> {
  await store.db.insertInto("runs").values({
    ...run,
    flags: canonicalize(run.flags),
    workflow: canonicalize(run.workflow),
  }).execute();
}

/** A run by id (a unique prefix of at least 8 characters is accepted). */
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
  return toRun(row);
}

/** Runs, newest first, optionally of one task. */
export async function listRuns(
  store: Store,
  options: { task?: string } = {},
): Promise<RunRecord[]> {
  let query = store.db.selectFrom("runs").selectAll().orderBy(
    "created_at",
    "desc",
  );
  if (options.task) query = query.where("task", "=", options.task);
  return (await query.execute()).map(toRun);
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

/** The `case_key#repetition` of every cell a run has committed. */
export async function committedCells(
  store: Store,
  runId: string,
): Promise<Set<string>> {
  const rows = await store.db.selectFrom("results").select([
    "case_key",
    "repetition",
  ])
    .where("run_id", "=", runId).execute();
  return new Set(rows.map((r) => `${r.case_key}#${r.repetition}`));
}

/** The receipt rows' column values for a receipt. */
export function receiptRow(r: Receipt): Database["model_io"] {
  return {
    id: r.id,
    run_id: r.run_id,
    trace_id: r.trace_id,
    purpose: r.purpose,
    provider: r.provider,
    model: r.model,
    model_config_id: r.model_config_id,
    request: canonicalize(r.request),
    response: r.response === null ? null : canonicalize(r.response),
    text: r.text,
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
  };
}

/** A receipt from its row. */
export function receiptFromRow(row: Selectable<Database["model_io"]>): Receipt {
  const usageKnown = row.input_tokens !== null || row.output_tokens !== null;
  return {
    id: row.id,
    run_id: row.run_id,
    trace_id: row.trace_id,
    purpose: row.purpose as Receipt["purpose"],
    provider: row.provider,
    model: row.model,
    model_config_id: row.model_config_id,
    request: JSON.parse(row.request),
    response: row.response === null ? null : JSON.parse(row.response),
    text: row.text,
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
  /** The cell's result row. */
  readonly result: CellResult;
  /** The cell's trace events. */
  readonly events: readonly TraceEvent[];
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
  await store.db.transaction().execute(async (trx) => {
    const receipts = cells.flatMap((c) => c.receipts.map(receiptRow));
    for (let i = 0; i < receipts.length; i += 200) {
      await trx.insertInto("model_io").values(receipts.slice(i, i + 200))
        .execute();
    }
    const results = cells.map((c) => resultRow(c.result));
    for (let i = 0; i < results.length; i += 200) {
      await trx.insertInto("results").values(results.slice(i, i + 200))
        .execute();
    }
    const events = cells.flatMap((c) => c.events);
    for (let i = 0; i < events.length; i += 200) {
      await insertTraceEvents(trx, events.slice(i, i + 200));
    }
  });
}

/** A successful receipt with this cache key, if one exists (the original, not a cache hit). */
export async function findCachedReceipt(
  store: Store,
  cacheKey: string,
): Promise<Receipt | undefined> {
  const row = await store.db.selectFrom("model_io").selectAll()
    .where("cache_key", "=", cacheKey).where("status", "=", "ok")
    .where("cached_from", "is", null).orderBy("created_at").limit(1)
    .executeTakeFirst();
  return row && receiptFromRow(row);
}
