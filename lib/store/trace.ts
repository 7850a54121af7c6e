import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { Store } from "./open.ts";
import type { Database } from "./tables.ts";

type Executor = Kysely<Database> | Transaction<Database>;

/** Inserts trace events (inside the caller's transaction when one is given). */
export async function insertTraceEvents(
  db: Executor,
  events: readonly TraceEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await db.insertInto("trace_events").values(events.map((e) => ({
    trace_id: e.trace_id,
    index: e.index,
    type: e.type,
    step: e.step,
    at: e.at,
    data: canonicalize(e.data),
    prev_hash: e.prev_hash,
    hash: e.hash,
  }))).execute();
}

/** Stores a workflow snapshot once per trace (a second identical write is a no-op). */
export async function insertWorkflow(
  store: Store,
  row: {
    trace_id: string;
    name: string;
    snapshot: unknown;
    sha256: string;
    created_at: string;
  },
): Promise<void> {
  await store.db.insertInto("workflows").values({
    ...row,
    snapshot: canonicalize(row.snapshot),
  })
    .onConflict((oc) => oc.column("trace_id").doNothing()).execute();
}

/** The workflow snapshot of a trace, if one was recorded. */
export async function getWorkflow(
  store: Store,
  traceId: string,
): Promise<
  | { name: string; snapshot: unknown; sha256: string; created_at: string }
  | undefined
> {
  const row = await store.db.selectFrom("workflows").selectAll().where(
    "trace_id",
    "=",
    traceId,
  )
    .executeTakeFirst();
  return row && { ...row, snapshot: JSON.parse(row.snapshot) };
}

function toEvent(row: Selectable<Database["trace_events"]>): TraceEvent {
  return {
    trace_id: row.trace_id,
    index: row.index,
    type: row.type,
    step: row.step,
    at: row.at,
    data: JSON.parse(row.data),
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Every event of a trace, in order (check them with `verifyChain`).
 *
 * @param store The database.
 * @param traceId The trace.
 * @returns The events, index 0 first.
 *
 * @example Reading a trace back
 * ```ts
 * import { listTraceEvents, open, Tracer, verifyChain } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "demo", steps: [{ id: "a" }] });
 * await tracer.step("a", () => Promise.resolve(42));
 * const events = await listTraceEvents(store, tracer.traceId);
 * assert.deepEqual(events.map((e) => e.type), ["workflow_started", "step_started", "step_finished"]);
 * assert.equal(verifyChain(events), null);
 * ```
 */
export async function listTraceEvents(
  store: Store,
  traceId: string,
): Promise<TraceEvent[]> {
  const rows = await store.db.selectFrom("trace_events").selectAll()
    .where("trace_id", "=", traceId).orderBy("index").execute();
  return rows.map(toEvent);
}

/** The events of one type in a trace, in order. */
export async function listTraceEventsOfType(
  store: Store,
  traceId: string,
  type: string,
): Promise<TraceEvent[]> {
  const rows = await store.db.selectFrom("trace_events").selectAll()
    .where("trace_id", "=", traceId).where("type", "=", type)
    .orderBy("index").execute();
  return rows.map(toEvent);
}

/** A trace's events after an index, in order. */
export async function listTraceEventsAfter(
  store: Store,
  traceId: string,
  index: number,
): Promise<TraceEvent[]> {
  const rows = await store.db.selectFrom("trace_events").selectAll()
    .where("trace_id", "=", traceId).where("index", ">", index)
    .orderBy("index").execute();
  return rows.map(toEvent);
}

/**
 * Events of one type whose stored (canonical JSON) data contains `fragment`
 * literally, e.g. `"scope":"step"`; callers check the parsed data exactly.
 */
export async function findTraceEvents(
  store: Store,
  type: string,
  fragment: string,
): Promise<TraceEvent[]> {
  const pattern = `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await store.db.selectFrom("trace_events").selectAll()
    .where("type", "=", type)
    .where(sql<boolean>`${sql.ref("data")} like ${pattern} escape '\\'`)
    .orderBy("trace_id").orderBy("index").execute();
  return rows.map(toEvent);
}

/** The last event of a trace, to continue its chain. */
export async function lastTraceEvent(
  store: Store,
  traceId: string,
): Promise<TraceEvent | undefined> {
  const row = await store.db.selectFrom("trace_events").selectAll()
    .where("trace_id", "=", traceId).orderBy("index", "desc").limit(1)
    .executeTakeFirst();
  return row && toEvent(row);
}
