/**
 * The few pieces of SQL that differ between the two engines, for the
 * statements written out by hand (everything else goes through Kysely,
 * which compiles for each engine).
 *
 * @module
 */
import { type RawBuilder, sql } from "kysely";
import type { StoreDialect } from "./open.ts";

/** The `index`th (0-based) bound parameter: `?` on SQLite, `$1`... on PostgreSQL. */
export function placeholder(dialect: StoreDialect, index: number): string {
  return dialect === "postgres" ? `$${index + 1}` : "?";
}

/**
 * An expression that orders a table's rows by insertion, as the last
 * tie-break after `created_at` (which two rows written in the same
 * millisecond share): SQLite's `rowid`, PostgreSQL's `ctid`. Only for
 * tables whose rows are never updated (an update moves a PostgreSQL row).
 */
export function insertionOrder(dialect: StoreDialect): RawBuilder<unknown> {
  return dialect === "postgres" ? sql`ctid` : sql`rowid`;
}

/**
 * Whether a JSON text column's value contains a string (SQLite's `instr`,
 * PostgreSQL's `strpos`), as a condition.
 */
export function textContains(
  dialect: StoreDialect,
  column: string,
  needle: string,
): RawBuilder<boolean> {
  return dialect === "postgres"
    ? sql<boolean>`strpos(${sql.ref(column)}, ${needle}) > 0`
    : sql<boolean>`instr(${sql.ref(column)}, ${needle}) > 0`;
}

/**
 * Makes a transaction check foreign keys at commit instead of at each
 * statement (an import writes children before parents).
 */
export function deferForeignKeys(dialect: StoreDialect): RawBuilder<unknown> {
  return dialect === "postgres"
    ? sql`SET CONSTRAINTS ALL DEFERRED`
    : sql`PRAGMA defer_foreign_keys = ON`;
}
