/**
 * A run's cells as a work queue shared by workers (`run_cells`): enqueue,
 * claim with a lease, renew, release, and commit a batch of claimed cells
 * with their receipts, results and trace events in one transaction. Leases
 * are timed by the database's clock.
 *
 * On PostgreSQL a claim takes rows with `FOR UPDATE SKIP LOCKED`, so
 * workers claiming at once never wait for each other and never take the
 * same cell; on SQLite a claim is one UPDATE, and SQLite runs one writer at
 * a time.
 *
 * @module
 */
import { sql, type Transaction } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { nowMs } from "./_dialect.ts";
import type { Store } from "./open.ts";
import {
  type CellRows,
  cellRows,
  type CellWrite,
  eventRow,
  insertCellRowsIn,
} from "./runs.ts";
import type { Database } from "./tables.ts";

/** A cell of a run: a case at a repetition. */
export interface CellKey {
  /** The case. */
  readonly case_key: string;
  /** The repetition (0-based). */
  readonly repetition: number;
}

/** Rows per enqueue statement. */
const ENQUEUE_CHUNK = 500;

/**
 * Adds a run's cells to its queue, in planning order; cells already queued
 * are left as they are (every worker enqueues the same cells on joining).
 */
export async function enqueueCells(
  store: Store,
  runId: string,
  cells: readonly CellKey[],
): Promise<void> {
  const queued = await store.db.selectFrom("run_cells")
    .select((eb) => eb.fn.max("position").as("last"))
    .where("run_id", "=", runId).executeTakeFirst();
  let position = Number(queued?.last ?? -1) + 1;
  for (let i = 0; i < cells.length; i += ENQUEUE_CHUNK) {
    const rows = cells.slice(i, i + ENQUEUE_CHUNK).map((c) => ({
      run_id: runId,
      case_key: c.case_key,
      repetition: c.repetition,
      position: position++,
      worker: null,
      lease_until: null,
    }));
    await store.db.insertInto("run_cells").values(rows)
      .onConflict((oc) =>
        oc.columns(["run_id", "case_key", "repetition"]).doNothing()
      ).execute();
  }
}

/** A claimed cell. */
export interface ClaimedCell extends CellKey {
  /** How many times it was claimed, this claim included (more than 1: taken over). */
  readonly claims: number;
}

/**
 * Claims up to `limit` cells of a run for `worker` for `leaseMs`: cells not
 * committed whose lease is free or expired, in planning order.
 */
export async function claimCells(
  store: Store,
  runId: string,
  worker: string,
  limit: number,
  leaseMs: number,
): Promise<ClaimedCell[]> {
  const now = nowMs(store.dialect);
  const skipLocked = store.dialect === "postgres"
    ? sql`FOR UPDATE SKIP LOCKED`
    : sql``;
  const result = await sql<ClaimedCell>`
    UPDATE run_cells SET worker = ${worker}, lease_until = ${now} + ${leaseMs},
      claims = claims + 1
    WHERE run_id = ${runId} AND (case_key, repetition) IN (
      SELECT case_key, repetition FROM run_cells
      WHERE run_id = ${runId} AND done = 0
        AND (lease_until IS NULL OR lease_until < ${now})
      ORDER BY position LIMIT ${limit} ${skipLocked})
    RETURNING case_key, repetition, claims`.execute(store.db);
  return result.rows.map((r) => ({
    case_key: r.case_key,
    repetition: Number(r.repetition),
    claims: Number(r.claims),
  }));
}

/** Extends the leases of the cells `worker` holds and has not committed; returns how many. */
export async function renewLeases(
  store: Store,
  runId: string,
  worker: string,
  leaseMs: number,
): Promise<number> {
  const result = await sql`
    UPDATE run_cells SET lease_until = ${nowMs(store.dialect)} + ${leaseMs}
    WHERE run_id = ${runId} AND worker = ${worker} AND done = 0`
    .execute(store.db);
  return Number(result.numAffectedRows ?? 0);
}

/** Gives up the leases `worker` holds on cells it has not committed (they are free at once). */
export async function releaseLeases(
  store: Store,
  runId: string,
  worker: string,
): Promise<void> {
  await store.db.updateTable("run_cells")
    .set({ worker: null, lease_until: null })
    .where("run_id", "=", runId).where("worker", "=", worker)
    .where("done", "=", 0).execute();
}

/** Where a run's queue stands. */
export interface QueueState {
  /** Cells queued. */
  readonly cells: number;
  /** Cells committed. */
  readonly done: number;
  /** Cells not committed whose lease is live (held by a worker now). */
  readonly leased: number;
  /** Milliseconds until the first live lease expires (null when none is live). */
  readonly nextExpiryMs: number | null;
}

/** How many of a run's queued cells are done, and how many are held. */
export async function queueState(
  store: Store,
  runId: string,
): Promise<QueueState> {
  const now = nowMs(store.dialect);
  const result = await sql<
    {
      cells: number;
      done: number;
      leased: number;
      next_expiry: number | null;
    }
  >`
    SELECT count(*) AS cells,
      coalesce(sum(done), 0) AS done,
      coalesce(sum(CASE WHEN done = 0 AND lease_until >= ${now} THEN 1 ELSE 0 END), 0) AS leased,
      min(CASE WHEN done = 0 AND lease_until >= ${now} THEN lease_until - ${now} END) AS next_expiry
    FROM run_cells WHERE run_id = ${runId}`.execute(store.db);
  const row = result.rows[0]!;
  return {
    cells: Number(row.cells),
    done: Number(row.done),
    leased: Number(row.leased),
    nextExpiryMs: row.next_expiry === null ? null : Number(row.next_expiry),
  };
}

/** The head of a trace: the index and hash the next event chains to. */
export interface ChainHead {
  /** The next event's index. */
  readonly index: number;
  /** The hash it chains to (the last event's). */
  readonly prevHash: string | null;
}

/**
 * Appends the events `build` makes on the head of a run's trace, within
 * `trx`: the run's row is locked first, the lock that orders every commit
 * to the run's one hash chain (on SQLite the transaction's first write
 * already took the database's write lock). Returns the events written.
 */
async function appendAtHead(
  trx: Transaction<Database>,
  dialect: Store["dialect"],
  run: { readonly id: string; readonly trace_id: string },
  build: (head: ChainHead) => readonly TraceEvent[],
): Promise<readonly TraceEvent[]> {
  await sql`UPDATE runs SET status = status WHERE id = ${run.id}`
    .execute(trx);
  const last = await trx.selectFrom("trace_events").select(["index", "hash"])
    .where("trace_id", "=", run.trace_id).orderBy("index", "desc").limit(1)
    .executeTakeFirst();
  const events = build({
    index: last ? Number(last.index) + 1 : 0,
    prevHash: last?.hash ?? null,
  });
  await insertCellRowsIn(trx, dialect, {
    bodies: [],
    receipts: [],
    results: [],
    events: events.map(eventRow),
  });
  return events;
}

/** What {@linkcode commitClaimedCells} did. */
export interface ClaimedCommit {
  /** The cells written. */
  readonly written: number;
  /** Cells left out: another worker holds them now (their lease had expired). */
  readonly lost: readonly CellKey[];
}

/**
 * Commits a batch of claimed cells in one transaction: the cells `worker`
 * still holds are marked done and written with their receipts and result;
 * their trace events are built by `chain` on the run's trace head as it is
 * inside the transaction (the run's row is locked first, so workers
 * committing to one run take turns and the chain stays one chain). Cells
 * another worker took over are not written.
 */
export async function commitClaimedCells(
  store: Store,
  run: { readonly id: string; readonly trace_id: string },
  worker: string,
  cells: readonly Omit<CellWrite, "events">[],
  chain: (
    kept: readonly number[],
    head: ChainHead,
  ) => readonly (readonly TraceEvent[])[],
): Promise<ClaimedCommit> {
  if (cells.length === 0) return { written: 0, lost: [] };
  return await store.db.transaction().execute(async (trx) => {
    const owned = await markDone(trx, run.id, worker, cells);
    const kept: number[] = [];
    const lost: CellKey[] = [];
    cells.forEach((cell, i) => {
      const key = `${cell.result.case_key}#${cell.result.repetition}`;
      if (owned.has(key)) kept.push(i);
      else {
        lost.push({
          case_key: cell.result.case_key,
          repetition: cell.result.repetition,
        });
      }
    });
    if (kept.length === 0) return { written: 0, lost };
    // Receipts and results first; only the trace needs the run's lock,
    // which is held from here to the commit.
    const rows: CellRows = cellRows(
      kept.map((i) => ({ ...cells[i]!, events: [] })),
    );
    await insertCellRowsIn(trx, store.dialect, { ...rows, events: [] });
    await appendAtHead(
      trx,
      store.dialect,
      run,
      (head) => chain(kept, head).flat(),
    );
    return { written: kept.length, lost };
  });
}

/** Marks the cells `worker` still holds as done; returns their `case#repetition` keys. */
async function markDone(
  trx: Transaction<Database>,
  runId: string,
  worker: string,
  cells: readonly Omit<CellWrite, "events">[],
): Promise<Set<string>> {
  const owned = new Set<string>();
  for (let i = 0; i < cells.length; i += ENQUEUE_CHUNK) {
    const part = cells.slice(i, i + ENQUEUE_CHUNK);
    const keys = sql.join(
      part.map((c) =>
        sql`(${c.result.case_key}, CAST(${c.result.repetition} AS INTEGER))`
      ),
    );
    const result = await sql<{ case_key: string; repetition: number }>`
      UPDATE run_cells SET done = 1
      WHERE run_id = ${runId} AND worker = ${worker} AND done = 0
        AND (case_key, repetition) IN (VALUES ${keys})
      RETURNING case_key, repetition`.execute(trx);
    for (const row of result.rows) {
      owned.add(`${row.case_key}#${Number(row.repetition)}`);
    }
  }
  return owned;
}

/**
 * Marks a run completed unless it already is; true for the one caller that
 * made the change (the worker that then scores and closes the run).
 */
export async function completeRun(
  store: Store,
  runId: string,
  finishedAt: string,
): Promise<boolean> {
  const result = await store.db.updateTable("runs")
    .set({ status: "completed", finished_at: finishedAt })
    .where("id", "=", runId).where("status", "<>", "completed")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Appends events to a run's trace on its head as it is inside the
 * transaction (the run's row locked first, as {@linkcode commitClaimedCells}
 * does): for run-level events written by one of several workers.
 */
export async function appendRunEvents(
  store: Store,
  run: { readonly id: string; readonly trace_id: string },
  build: (head: ChainHead) => readonly TraceEvent[],
): Promise<readonly TraceEvent[]> {
  return await store.db.transaction().execute((trx) =>
    appendAtHead(trx, store.dialect, run, build)
  );
}

/** Sets a run running again unless it is complete (workers joining a run). */
export async function markRunRunning(
  store: Store,
  runId: string,
): Promise<void> {
  await store.db.updateTable("runs").set({
    status: "running",
    finished_at: null,
  })
    .where("id", "=", runId).where("status", "<>", "completed").execute();
}

/**
 * Starts a planned run once, whichever of several workers gets here first:
 * with the run's row locked, if it is still `planned` it becomes `running`,
 * its workflow snapshot is stored and the events `build` makes on the trace
 * head are written. Returns whether this caller started it.
 */
export async function startPlannedRun(
  store: Store,
  run: { readonly id: string; readonly trace_id: string },
  workflow: {
    readonly name: string;
    readonly snapshot: unknown;
    readonly sha256: string;
    readonly created_at: string;
  },
  build: (head: ChainHead) => readonly TraceEvent[],
): Promise<boolean> {
  return await store.db.transaction().execute(async (trx) => {
    await sql`UPDATE runs SET status = status WHERE id = ${run.id}`
      .execute(trx);
    const started = await trx.updateTable("runs").set({ status: "running" })
      .where("id", "=", run.id).where("status", "=", "planned")
      .executeTakeFirst();
    if (Number(started.numUpdatedRows) !== 1) return false;
    await trx.insertInto("workflows").values({
      trace_id: run.trace_id,
      name: workflow.name,
      snapshot: canonicalize(workflow.snapshot),
      sha256: workflow.sha256,
      created_at: workflow.created_at,
    }).onConflict((oc) => oc.column("trace_id").doNothing()).execute();
    await appendAtHead(trx, store.dialect, run, build);
    return true;
  });
}
