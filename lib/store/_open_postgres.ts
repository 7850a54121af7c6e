import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./tables.ts";
import { guardedDialect } from "./_storage_errors.ts";
import { decodeText, nulSafeDialect } from "./_nul_text.ts";

/** PostgreSQL's type id of `bigint` (`count(*)`, identity columns). */
const INT8_OID = 20;

/** PostgreSQL's type ids of `text`, `varchar` and `char`. */
const TEXT_OIDS = new Set([25, 1043, 1042]);

/**
 * A Kysely handle on a PostgreSQL database through a `pg` connection pool.
 * `bigint` values are read as numbers (counts and sequence numbers stay far
 * below 2^53); text is written and read through `_nul_text.ts`, so a NUL
 * character in model output round-trips; every other type is read as `pg`
 * reads it. The pool connects lazily, so an unreachable server fails on the
 * first statement.
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
        format === "binary"
          ? pg.types.getTypeParser(oid, format)
          : oid === INT8_OID
          ? Number
          : TEXT_OIDS.has(oid)
          ? decodeText
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
    dialect: guardedDialect(
      nulSafeDialect(new PostgresDialect({ pool })),
      options.database,
    ),
  });
  return { db, close: () => db.destroy() };
}
