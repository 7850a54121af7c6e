/**
 * The few pieces of SQL that differ between the two engines, for the
 * statements written out by hand (everything else goes through Kysely,
 * which compiles for each engine).
 *
 * @module
 */
import { type ColumnDefinitionBuilder, type RawBuilder, sql } from "kysely";
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

/** The column types and constraints that differ between the two engines. */
export interface ColumnTypes {
  /**
   * Text. On PostgreSQL with the "C" collation, so that text sorts by code
   * point as SQLite sorts it, whatever the server's locale.
   */
  readonly text: RawBuilder<unknown>;
  /** A double: SQLite's `real`, PostgreSQL's `double precision`. */
  readonly real: RawBuilder<unknown>;
  /** An insertion-order key's type. */
  readonly serial: RawBuilder<unknown>;
  /** A 64-bit integer (epoch milliseconds): SQLite's `integer`, PostgreSQL's `bigint`. */
  readonly bigint: RawBuilder<unknown>;
  /** An insertion-order primary key. */
  serialKey(c: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /**
   * A foreign key. On PostgreSQL deferrable, so that an import, which
   * writes children before parents, checks it at commit as SQLite's
   * `defer_foreign_keys` does.
   */
  references(c: ColumnDefinitionBuilder, ref: string): ColumnDefinitionBuilder;
}

/** The column types of one engine. */
export function columnTypes(dialect: StoreDialect): ColumnTypes {
  if (dialect === "postgres") {
    return {
      text: sql`text collate "C"`,
      real: sql`double precision`,
      serial: sql`bigint`,
      bigint: sql`bigint`,
      serialKey: (c) => c.primaryKey().generatedByDefaultAsIdentity(),
      references: (c, ref) =>
        c.references(ref).modifyEnd(sql`deferrable initially immediate`),
    };
  }
  return {
    text: sql`text`,
    real: sql`real`,
    serial: sql`integer`,
    bigint: sql`integer`,
    serialKey: (c) => c.primaryKey().autoIncrement(),
    references: (c, ref) => c.references(ref),
  };
}

/**
 * The database's clock, in epoch milliseconds, as an SQL expression: leases
 * are timed by it, so workers on machines whose clocks differ agree.
 */
export function nowMs(dialect: StoreDialect): RawBuilder<number> {
  return dialect === "postgres"
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)`;
}

/** The larger of two values: SQLite's two-argument `max`, PostgreSQL's `greatest`. */
export function larger(
  dialect: StoreDialect,
  a: RawBuilder<unknown>,
  b: RawBuilder<unknown>,
): RawBuilder<number> {
  return dialect === "postgres"
    ? sql<number>`greatest(${a}, ${b})`
    : sql<number>`max(${a}, ${b})`;
}
