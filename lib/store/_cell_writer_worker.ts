/// <reference lib="deno.worker" />
/**
 * The writer thread of `openCellWriter` (cell_writer.ts): its own
 * connection to the database file, inserting each batch of cell rows in one
 * transaction.
 *
 * It talks to libSQL directly, with one prepared statement per table and
 * row count, reused for every batch: the client prepares a new statement for
 * every query and frees it only when garbage is collected, and each of
 * these statements keeps a copy of the megabytes of text bound to it until
 * then, so a long run's memory grew by the size of everything it wrote.
 *
 * @module
 */
import Database from "libsql";
import type { CellRows } from "./runs.ts";

/** A message to the writer thread. */
export type WriterRequest =
  | {
    readonly type: "open";
    readonly path: string;
    readonly busyTimeoutMs: number;
  }
  | { readonly type: "write"; readonly id: number; readonly rows: CellRows }
  | { readonly type: "close" };

/** A message from the writer thread. */
export type WriterReply =
  | { readonly type: "opened" }
  | { readonly type: "written"; readonly id: number }
  | {
    readonly type: "failed";
    readonly id: number | null;
    readonly name: string;
    readonly message: string;
  }
  | { readonly type: "closed" };

/** Rows per INSERT statement (as `commitCells` inserts them). */
const ROWS_PER_INSERT = 200;

type Connection = Database.Database;
type Statement = Database.Statement;

let db: Connection | undefined;
const statements = new Map<string, Statement>();

function reply(message: WriterReply): void {
  self.postMessage(message);
}

function statement(
  table: string,
  columns: readonly string[],
  rows: number,
): Statement {
  const key = `${table}|${rows}|${columns.join(",")}`;
  let prepared = statements.get(key);
  if (!prepared) {
    const tuple = `(${columns.map(() => "?").join(", ")})`;
    prepared = db!.prepare(
      `insert into "${table}" (${
        columns.map((c) => `"${c}"`).join(", ")
      }) values ${Array.from({ length: rows }, () => tuple).join(", ")}`,
    );
    statements.set(key, prepared);
  }
  return prepared;
}

function insert(table: string, rows: readonly object[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const parameters: unknown[] = [];
    for (const row of chunk) {
      for (const column of columns) {
        parameters.push((row as Record<string, unknown>)[column]);
      }
    }
    statement(table, columns, chunk.length).run(parameters);
  }
}

function write(rows: CellRows): void {
  db!.exec("BEGIN IMMEDIATE");
  try {
    insert("model_io", rows.receipts);
    insert("results", rows.results);
    insert("trace_events", rows.events);
    db!.exec("COMMIT");
  } catch (error) {
    if (db!.inTransaction) db!.exec("ROLLBACK");
    throw error;
  }
}

function handle(request: WriterRequest): void {
  const id = request.type === "write" ? request.id : null;
  try {
    if (request.type === "open") {
      db = new Database(request.path, { timeout: request.busyTimeoutMs });
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = ON");
      reply({ type: "opened" });
    } else if (request.type === "write") {
      write(request.rows);
      reply({ type: "written", id: request.id });
    } else {
      statements.clear();
      db?.close();
      db = undefined;
      reply({ type: "closed" });
    }
  } catch (error) {
    reply({
      type: "failed",
      id,
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

self.onmessage = (event: MessageEvent<WriterRequest>) => handle(event.data);
