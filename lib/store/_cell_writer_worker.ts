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
import {
  NUMBER,
  type PackedRows,
  TEXT,
  type WriterReply,
  type WriterRequest,
} from "./_cell_writer_protocol.ts";
import { encodeText } from "./_nul_text.ts";

/** Rows per INSERT statement (as `commitCells` inserts them). */
const ROWS_PER_INSERT = 200;

type Connection = Database.Database;
type Statement = Database.Statement;

/**
 * The worker's global scope, typed here rather than by a `deno.worker` lib
 * directive (a published package may not change its users' globals).
 */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WriterRequest>) => void) | null;
  postMessage(message: WriterReply): void;
};

let db: Connection | undefined;
const statements = new Map<string, Statement>();

function reply(message: WriterReply): void {
  scope.postMessage(message);
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
      }) values ${Array.from({ length: rows }, () => tuple).join(", ")}${
        // Bodies are content-addressed: a row already there is the same row.
        table === "bodies" ? " on conflict do nothing" : ""}`,
    );
    statements.set(key, prepared);
  }
  return prepared;
}

const decoder = new TextDecoder();

function insert(rows: PackedRows): void {
  const { table, columns, kinds, numbers, text, ends } = rows;
  if (columns.length === 0) return;
  const width = columns.length;
  const count = kinds.length / width;
  for (let first = 0; first < count; first += ROWS_PER_INSERT) {
    const n = Math.min(ROWS_PER_INSERT, count - first);
    const parameters: unknown[] = new Array(n * width);
    for (let j = 0; j < n * width; j++) {
      const i = first * width + j;
      const kind = kinds[i];
      parameters[j] = kind === TEXT
        ? encodeText(
          decoder.decode(text.subarray(i === 0 ? 0 : ends[i - 1], ends[i])),
        )
        : kind === NUMBER
        ? numbers[i]
        : null;
    }
    statement(table, columns, n).run(parameters);
  }
}

function write(tables: readonly PackedRows[]): void {
  db!.exec("BEGIN IMMEDIATE");
  try {
    for (const rows of tables) insert(rows);
    db!.exec("COMMIT");
  } catch (error) {
    if (db!.inTransaction) db!.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Frees a batch's buffers now. They came from the runner's thread, and this
 * thread's heap is small, so its garbage collector ran too seldom to free
 * them: a long run's memory grew by everything it wrote.
 */
function release(rows: PackedRows): void {
  for (const view of [rows.kinds, rows.numbers, rows.text, rows.ends]) {
    if (!view.buffer.detached) view.buffer.transfer(0);
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
      try {
        write(request.tables);
      } finally {
        for (const rows of request.tables) release(rows);
      }
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

scope.onmessage = (event) => handle(event.data);
