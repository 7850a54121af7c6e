/**
 * Receipts recorded from users' own SDK calls (`recordCall`, the client
 * wrappers): the receipt and its trace event in one transaction.
 *
 * @module
 */
import type { Receipt } from "../schema/receipt.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { Store } from "./open.ts";
import { insertCellRowsIn, receiptRow } from "./runs.ts";
import { insertTraceEvents } from "./trace.ts";

/** Writes a receipt (append-only) and its trace events together. */
export async function insertRecordedCall(
  store: Store,
  receipt: Receipt,
  events: readonly TraceEvent[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    const rows = receiptRow(receipt);
    await insertCellRowsIn(trx, store.dialect, {
      receipts: [rows.receipt],
      bodies: rows.bodies,
      results: [],
      events: [],
    });
    await insertTraceEvents(trx, events);
  });
}
