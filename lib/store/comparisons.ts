/**
 * Stored verdicts: the queries behind `lib/compare/`.
 *
 * @module
 */
import type { Selectable } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import { NotFoundError } from "../errors.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { Store } from "./open.ts";
import type { Database } from "./tables.ts";
import { insertTraceEvents } from "./trace.ts";

/** A comparison row, JSON columns parsed. */
export interface ComparisonRow {
  /** The comparison id. */
  readonly id: string;
  /** The task both runs belong to. */
  readonly task: string;
  /** The baseline run. */
  readonly baseline_run_id: string;
  /** The candidate run. */
  readonly candidate_run_id: string;
  /** The verdict mode. */
  readonly mode: string;
  /** The limits applied. */
  readonly limits: unknown;
  /** `APPROVED`, `REJECTED` or `INCONCLUSIVE`. */
  readonly verdict: string;
  /** The whole verdict (reasons, deltas, intervals). */
  readonly body: unknown;
  /** The baseline scorecard's content hash. */
  readonly baseline_scorecard_sha256: string;
  /** The candidate scorecard's content hash. */
  readonly candidate_scorecard_sha256: string;
  /** sha256 of the canonical body, as stored. */
  readonly sha256: string;
  /** The trace the `comparison_made` event went to. */
  readonly trace_id: string | null;
  /** When it was made. */
  readonly created_at: string;
}

function toComparison(row: Selectable<Database["comparisons"]>): ComparisonRow {
  return {
    ...row,
    limits: JSON.parse(row.limits),
    body: JSON.parse(row.body),
  };
}

/** Stores a verdict together with its trace events, in one transaction. */
export async function insertComparison(
  store: Store,
  row: ComparisonRow,
  events: readonly TraceEvent[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx.insertInto("comparisons").values({
      ...row,
      limits: canonicalize(row.limits),
      body: canonicalize(row.body),
    }).execute();
    await insertTraceEvents(trx, events);
  });
}

/**
 * A comparison by id (a unique prefix of at least 8 characters is accepted).
 *
 * @throws {NotFoundError} If no comparison (or more than one) matches.
 */
export async function getComparison(
  store: Store,
  id: string,
): Promise<ComparisonRow> {
  let row = await store.db.selectFrom("comparisons").selectAll()
    .where("id", "=", id).executeTakeFirst();
  if (!row && id.length >= 8) {
    const rows = await store.db.selectFrom("comparisons").selectAll()
      .where("id", "like", `${id}%`).limit(2).execute();
    if (rows.length === 1) row = rows[0];
  }
  if (!row) {
    throw new NotFoundError(
      "comparison",
      id,
      "make one with `wb compare --baseline RUN --candidate RUN`",
    );
  }
  return toComparison(row);
}

/** Comparisons, newest first, optionally of one task. */
export async function listComparisons(
  store: Store,
  options: { task?: string | undefined } = {},
): Promise<ComparisonRow[]> {
  let query = store.db.selectFrom("comparisons").selectAll()
    .orderBy("created_at", "desc").orderBy("id", "desc");
  if (options.task) query = query.where("task", "=", options.task);
  return (await query.execute()).map(toComparison);
}
