/**
 * Reads for production monitoring: the calls users' code recorded for a
 * task (receipts with a `model_call` trace event naming the task), the
 * receipts a production window's results point at, and the runs that hold
 * scored production windows.
 *
 * @module
 */
import type { Receipt, ReceiptFigures } from "../schema/receipt.ts";
import type { CellResult } from "../schema/result.ts";
import type { Store } from "./open.ts";
import { getRun, receiptFromRow, type RunRecord } from "./runs.ts";
import { withBodies } from "./bodies.ts";
import { eachReceiptFigure, listReceiptFiguresByIds } from "./scores.ts";

/** The experiment id every production window's run carries. */
export const PRODUCTION_EXPERIMENT = "production";

/** The dataset id a production window's run carries: `production:<task>:<window>`. */
export function productionDatasetId(task: string, window: string): string {
  return `${PRODUCTION_EXPERIMENT}:${task}:${window}`;
}

/** A recorded call of a task, with the input its trace event carries. */
export interface TaskCall {
  /** The receipt. */
  readonly receipt: Receipt;
  /** The task input recorded with the call; `undefined` when none was. */
  readonly input: unknown;
  /** The trace event's index and hash (what binds the call into its trace). */
  readonly event: { readonly index: number; readonly hash: string };
}

const CHUNK = 500;

/**
 * The calls recorded for a task (`recordCall` with `task`, or a client
 * wrapper given `task`) whose receipts were created in `[since, until)`,
 * oldest first.
 */
export async function listTaskCalls(
  store: Store,
  options: { task: string; since: string; until?: string | undefined },
): Promise<TaskCall[]> {
  // Event data is canonical JSON: `"task":"<name>"` appears as written.
  const needle = `%${JSON.stringify({ task: options.task }).slice(1, -1)}%`;
  const events = await store.db.selectFrom("trace_events")
    .select(["index", "hash", "data"])
    .where("type", "=", "model_call")
    .where("data", "like", needle)
    .execute();
  const byReceipt = new Map<
    string,
    { input: unknown; index: number; hash: string }
  >();
  for (const e of events) {
    const data = JSON.parse(e.data) as Record<string, unknown>;
    if (data["task"] !== options.task) continue;
    if (typeof data["receipt_id"] !== "string") continue;
    byReceipt.set(data["receipt_id"], {
      input: data["input"],
      index: e.index,
      hash: e.hash,
    });
  }
  const out: TaskCall[] = [];
  const ids = [...byReceipt.keys()];
  for (let i = 0; i < ids.length; i += CHUNK) {
    let query = store.db.selectFrom("receipts").selectAll()
      .where("id", "in", ids.slice(i, i + CHUNK))
      .where("created_at", ">=", options.since);
    if (options.until !== undefined) {
      query = query.where("created_at", "<", options.until);
    }
    for (const row of await withBodies(store.db, await query.execute())) {
      const receipt = receiptFromRow(row);
      const found = byReceipt.get(receipt.id)!;
      out.push({
        receipt,
        input: found.input,
        event: { index: found.index, hash: found.hash },
      });
    }
  }
  return out.sort((a, b) =>
    a.receipt.created_at < b.receipt.created_at
      ? -1
      : a.receipt.created_at > b.receipt.created_at
      ? 1
      : a.receipt.id < b.receipt.id
      ? -1
      : 1
  );
}

/** The production windows scored for a task: the latest run of each window, oldest window first. */
export async function listWindowRuns(
  store: Store,
  task: string,
): Promise<RunRecord[]> {
  const rows = await store.db.selectFrom("runs").select([
    "id",
    "dataset_id",
    "created_at",
  ])
    .where("experiment_id", "=", PRODUCTION_EXPERIMENT)
    .where("task", "=", task)
    .where("status", "=", "completed")
    .orderBy("created_at").orderBy("id").execute();
  const latest = new Map<string, string>();
  for (const row of rows) latest.set(row.dataset_id, row.id);
  const runs = await Promise.all(
    [...latest.values()].map((id) => getRun(store, id)),
  );
  return runs.sort((a, b) =>
    a.dataset_id < b.dataset_id ? -1 : a.dataset_id > b.dataset_id ? 1 : 0
  );
}

/** The latest completed run of a production window, if it was scored. */
export async function findWindowRun(
  store: Store,
  task: string,
  window: string,
): Promise<RunRecord | undefined> {
  const row = await store.db.selectFrom("runs").select("id")
    .where("experiment_id", "=", PRODUCTION_EXPERIMENT)
    .where("dataset_id", "=", productionDatasetId(task, window))
    .where("status", "=", "completed")
    .orderBy("created_at", "desc").orderBy("id", "desc").limit(1)
    .executeTakeFirst();
  return row ? await getRun(store, row.id) : undefined;
}

/**
 * A run's receipts' figures: a suite run's own receipts, or, for a
 * production window (whose results point at calls that belong to no run),
 * the receipts its results name.
 */
export async function listRunReceiptFigures(
  store: Store,
  run: Pick<RunRecord, "id" | "experiment_id">,
  results: readonly Pick<CellResult, "generation_io_id" | "judge_io_ids">[],
): Promise<ReceiptFigures[]> {
  const figures: ReceiptFigures[] = [];
  await eachRunReceiptFigure(
    store,
    run,
    [
      ...results.flatMap((r) => r.generation_io_id ? [r.generation_io_id] : []),
      ...results.flatMap((r) => r.judge_io_ids),
    ],
    (f) => figures.push(f),
  );
  return figures;
}

/**
 * {@linkcode listRunReceiptFigures}, one receipt at a time, given the ids
 * the run's results name, generation calls' first (read only for a
 * production window, in that order). Internal.
 */
export async function eachRunReceiptFigure(
  store: Store,
  run: Pick<RunRecord, "id" | "experiment_id">,
  named: Iterable<string>,
  each: (figures: ReceiptFigures) => void,
): Promise<void> {
  if (run.experiment_id !== PRODUCTION_EXPERIMENT) {
    return await eachReceiptFigure(store, run.id, each);
  }
  (await listReceiptFiguresByIds(store, [...named])).forEach((f) => each(f));
}
