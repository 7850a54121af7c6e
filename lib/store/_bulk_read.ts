/**
 * Bulk reads for local database files: tens of thousands of rows (a run's
 * results, its receipts' figures) through a connection of their own that
 * returns rows as arrays, instead of through the client, which builds
 * every row property by property and dominated the time to read a large
 * run. Other databases (in memory, remote) return `null`: the caller reads
 * them the usual way.
 *
 * @module
 */
import Database from "libsql";
import type { Store } from "./open.ts";
import { decodeText } from "./_nul_text.ts";

/** The path of the local database file a store was opened on, if it is one. */
export function localPath(store: Store): string | null {
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
 * Runs one read-only query on a local database file (see
 * {@linkcode localPath}) and returns its rows as objects keyed by column
 * name. Synchronous: a worker thread reads with it too.
 */
export function bulkRows<T>(
  path: string,
  sql: string,
  args: readonly (string | number | null)[],
): T[] {
  const db = new Database(path, { timeout: 5000 });
  try {
    const statement = db.prepare(sql);
    const columns = statement.columns().map((c) => c.name);
    const rows = statement.raw(true).all([...args]) as unknown[][];
    return rows.map((values) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) {
        row[columns[i]!] = stored(values[i]);
      }
      return row as T;
    });
  } finally {
    db.close();
  }
}

/**
 * {@linkcode bulkRows}, one row at a time: `each` sees every row as the
 * statement steps to it, so the caller can keep a reduced form of each row
 * instead of every row whole. Synchronous.
 */
export function eachRow<T>(
  path: string,
  sql: string,
  args: readonly (string | number | null)[],
  each: (row: T) => void,
): void {
  const db = new Database(path, { timeout: 5000 });
  try {
    const statement = db.prepare(sql);
    const columns = statement.columns().map((c) => c.name);
    for (const values of statement.raw(true).iterate([...args])) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) {
        row[columns[i]!] = stored((values as unknown[])[i]);
      }
      each(row as T);
    }
  } finally {
    db.close();
  }
}

/** A value as written: text decoded (see `_nul_text.ts`). */
function stored(value: unknown): unknown {
  return typeof value === "string" ? decodeText(value) : value;
}
