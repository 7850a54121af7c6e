import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./tables.ts";
import { guardedDialect } from "./_storage_errors.ts";

/** PostgreSQL's type id of `bigint` (`count(*)`, identity columns). */
const INT8_OID = 20;

/**
 * A Kysely handle on a PostgreSQL database through a `pg` connection pool.
 * `bigint` values are read as numbers (counts and sequence numbers stay far
 * below 2^53); every other type is read as `pg` reads it. The pool connects
 * lazily, so an unreachable server fails on the first statement.
 */
export function openPostgres(
  url: string,
  options: { busyTimeoutMs: number; poolSize: number; database: string },
): { db: Kysely<Database>; close(): Promise<void> } {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    application_name: "workbench",
    // The busy timeout's counterpart: how long a statement waits for a lock.
    options: `-c lock_timeout=${
      Math.max(0, Math.round(options.busyTimeoutMs))
    }`,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary"
          ? Number
          : pg.types.getTypeParser(
            oid,
            format,
          )) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops emits "error" on the pool; unhandled,
  // it would end the process. The next query reports the failure instead.
  pool.on("error", () => {});
  const db = new Kysely<Database>({
    dialect: guardedDialect(new PostgresDialect({ pool }), options.database),
  });
  return { db, close: () => db.destroy() };
}
