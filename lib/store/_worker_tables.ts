/**
 * Migration 0004: what workers share through the store.
 *
 * - `run_cells`: a run's cells as a queue. A worker claims cells by setting
 *   its id and a lease (`lease_until`, epoch ms on the database's clock);
 *   a cell whose lease has expired may be claimed by another worker; `done`
 *   is set in the transaction that commits the cell, by the worker that
 *   holds it. The results table's unique cell key stays the last word.
 * - `rate_limits`: per provider, the next free request slot (requests per
 *   minute shared by every worker).
 * - `rate_usage`: per provider, the tokens each call holds (reserved before
 *   it is sent, settled with its usage after) and when (tokens per minute
 *   shared by every worker).
 *
 * @module
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { columnTypes } from "./_dialect.ts";
import type { StoreDialect } from "./open.ts";

// deno-lint-ignore no-explicit-any
type AnyDb = Kysely<any>;

/** The worker tables migration for one engine. */
export function workerTables(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.createTable("run_cells")
        .addColumn(
          "run_id",
          t.text,
          (c) => t.references(c.notNull(), "runs.id"),
        )
        .addColumn("case_key", t.text, (c) => c.notNull())
        .addColumn("repetition", "integer", (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("worker", t.text)
        .addColumn("lease_until", t.bigint)
        .addColumn("claims", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("done", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("run_cells_pk", [
          "run_id",
          "case_key",
          "repetition",
        ])
        .execute();
      await db.schema.createIndex("run_cells_queue").on("run_cells")
        .columns(["run_id", "done", "position"]).execute();

      await db.schema.createTable("rate_limits")
        .addColumn("key", t.text, (c) => c.primaryKey())
        .addColumn("next_ms", t.bigint, (c) => c.notNull())
        .execute();

      await db.schema.createTable("rate_usage")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("key", t.text, (c) => c.notNull())
        .addColumn("at_ms", t.bigint, (c) => c.notNull())
        .addColumn("tokens", "integer", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("rate_usage_window").on("rate_usage")
        .columns(["key", "at_ms"]).execute();
    },
  };
}
