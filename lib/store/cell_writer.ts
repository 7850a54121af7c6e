/**
 * Where the runner's cells are written: in this thread, or, for a large run
 * on a local database file, in a writer thread with its own connection, so
 * SQLite's work (inserting, committing, checkpointing) runs beside the
 * runner's instead of between its calls. Either way a batch is one
 * transaction, and `write` resolves only once it is committed.
 *
 * `WB_WRITER_THREAD` chooses: `auto` (the default: a writer thread for runs
 * of at least {@linkcode WRITER_THREAD_MIN_CELLS} cells on a file
 * database), `on` (a writer thread whenever the database is a local file)
 * or `off` (never).
 *
 * @module
 */
import type { Store } from "./open.ts";
import { localPath } from "./_bulk_read.ts";
import { storageError } from "./_storage_errors.ts";
import {
  type CellRows,
  cellRows,
  type CellWrite,
  insertCellRows,
} from "./runs.ts";
import {
  NUMBER,
  type PackedRows,
  TEXT,
  type WriterReply,
  type WriterRequest,
} from "./_cell_writer_protocol.ts";

/** Cells a run must have for `auto` to start a writer thread (starting one takes a moment). */
export const WRITER_THREAD_MIN_CELLS = 2000;

/** How long the writer thread waits for another connection's lock, in ms (as `open` sets it). */
const BUSY_TIMEOUT_MS = 5000;

/** Writes batches of cells. */
export interface CellWriter {
  /** Whether a writer thread does the writing. */
  readonly threaded: boolean;
  /** Commits a batch of cells in one transaction: all of it or none. */
  write(cells: readonly CellWrite[]): Promise<void>;
  /** Stops the writer thread (after the writes in flight). */
  close(): Promise<void>;
}

function writerSetting(): "auto" | "on" | "off" {
  const name = "WB_WRITER_THREAD";
  try {
    if (
      Deno.permissions.querySync({ name: "env", variable: name }).state !==
        "granted"
    ) {
      return "auto";
    }
    const value = Deno.env.get(name)?.trim().toLowerCase();
    return value === "on" || value === "off" ? value : "auto";
  } catch {
    return "auto";
  }
}

/** Options for {@linkcode openCellWriter}. */
export interface OpenCellWriterOptions {
  /** Overrides `WB_WRITER_THREAD` (tests). */
  thread?: "auto" | "on" | "off";
}

/**
 * A cell writer for a run of `cells` cells: threaded or not, as
 * `WB_WRITER_THREAD` (or `options.thread`) and the database allow.
 */
export async function openCellWriter(
  store: Store,
  cells: number,
  options: OpenCellWriterOptions = {},
): Promise<CellWriter> {
  const setting = options.thread ?? writerSetting();
  const path = localPath(store);
  const threaded = path !== null && setting !== "off" &&
    (setting === "on" || cells >= WRITER_THREAD_MIN_CELLS);
  if (!threaded) {
    return {
      threaded: false,
      async write(batch) {
        if (batch.length > 0) await insertCellRows(store, cellRows(batch));
      },
      close: () => Promise.resolve(),
    };
  }
  return await startWriterThread(path, store.url);
}

async function startWriterThread(
  path: string,
  database: string,
): Promise<CellWriter> {
  const worker = new Worker(
    new URL("./_cell_writer_worker.ts", import.meta.url).href,
    { type: "module" },
  );
  const waiting = new Map<number, PromiseWithResolvers<void>>();
  let opened: PromiseWithResolvers<void> | null = Promise.withResolvers();
  let closed: PromiseWithResolvers<void> | null = null;
  let broken: Error | null = null;
  let next = 0;
  const fail = (error: Error) => {
    broken ??= error;
    opened?.reject(error);
    closed?.resolve();
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.onmessage = (event: MessageEvent<WriterReply>) => {
    const reply = event.data;
    if (reply.type === "opened") {
      opened?.resolve();
      opened = null;
    } else if (reply.type === "written") {
      waiting.get(reply.id)?.resolve();
      waiting.delete(reply.id);
    } else if (reply.type === "closed") {
      closed?.resolve();
    } else {
      const raw = new Error(reply.message);
      raw.name = reply.name;
      const error = storageError(raw, database) as Error;
      if (reply.id === null) fail(error);
      else {
        waiting.get(reply.id)?.reject(error);
        waiting.delete(reply.id);
      }
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    fail(new Error(`The database writer thread failed: ${event.message}`));
  };
  const send = (request: WriterRequest) => worker.postMessage(request);
  send({ type: "open", path, busyTimeoutMs: BUSY_TIMEOUT_MS });
  try {
    await opened.promise;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return {
    threaded: true,
    write(batch) {
      if (broken) return Promise.reject(broken);
      if (batch.length === 0) return Promise.resolve();
      const rows: CellRows = cellRows(batch);
      const id = next++;
      const waiter = Promise.withResolvers<void>();
      waiting.set(id, waiter);
      const tables = [
        pack("bodies", rows.bodies),
        pack("model_io", rows.receipts),
        pack("results", rows.results),
        pack("trace_events", rows.events),
      ];
      worker.postMessage(
        { type: "write", id, tables } satisfies WriterRequest,
        tables.flatMap((t) => [
          t.kinds.buffer,
          t.numbers.buffer,
          t.text.buffer,
          t.ends.buffer,
        ]),
      );
      return waiter.promise;
    },
    async close() {
      if (!broken) {
        closed = Promise.withResolvers();
        send({ type: "close" });
        await closed.promise;
      }
      worker.terminate();
    },
  };
}

const encoder = new TextEncoder();

/**
 * A table's rows packed for the writer thread: texts as UTF-8 in one
 * buffer, numbers in another, both transferred rather than copied (copying
 * thousands of strings between threads cost more than encoding them).
 */
function pack(table: string, rows: readonly object[]): PackedRows {
  const columns = rows.length === 0 ? [] : Object.keys(rows[0]!);
  const count = rows.length * columns.length;
  const kinds = new Uint8Array(count);
  const numbers = new Float64Array(count);
  const ends = new Uint32Array(count);
  let capacity = 0;
  for (const row of rows) {
    for (const column of columns) {
      const value = (row as Record<string, unknown>)[column];
      if (typeof value === "string") capacity += value.length * 3;
    }
  }
  const text = new Uint8Array(capacity);
  let at = 0;
  let i = 0;
  for (const row of rows) {
    for (const column of columns) {
      const value = (row as Record<string, unknown>)[column];
      if (typeof value === "string") {
        kinds[i] = TEXT;
        at += encoder.encodeInto(value, text.subarray(at)).written;
      } else if (typeof value === "number") {
        kinds[i] = NUMBER;
        numbers[i] = value;
      } else if (value !== null && value !== undefined) {
        throw new TypeError(
          `Cannot write column "${column}" of table "${table}": a ${typeof value} is neither text, a number nor null`,
        );
      }
      ends[i++] = at;
    }
  }
  return { table, columns, kinds, numbers, text: text.subarray(0, at), ends };
}
