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
import {
  type CellRows,
  cellRows,
  type CellWrite,
  insertCellRows,
} from "./runs.ts";
import type { WriterReply, WriterRequest } from "./_cell_writer_worker.ts";

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

/** The path of the local database file a store was opened on, if it is one. */
function localFile(store: Store): string | null {
  const match = /^file:([^?#]+)$/.exec(store.url);
  if (!match || store.url.includes(":memory:")) return null;
  try {
    return match[1]!.startsWith("//")
      ? decodeURIComponent(new URL(store.url).pathname)
      : decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}

/**
 * A cell writer for a run of `cells` cells: threaded or not, as
 * `WB_WRITER_THREAD` and the database allow.
 */
export async function openCellWriter(
  store: Store,
  cells: number,
): Promise<CellWriter> {
  const setting = writerSetting();
  const path = localFile(store);
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
  return await startWriterThread(path);
}

async function startWriterThread(path: string): Promise<CellWriter> {
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
      const error = new Error(reply.message);
      error.name = reply.name;
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
      send({ type: "write", id, rows });
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
