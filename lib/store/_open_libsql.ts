import { createClient } from "@libsql/client";
import { LibsqlDialect } from "@libsql/kysely-libsql";
import { type Dialect, Kysely, SqliteAdapter } from "kysely";
import type { Database } from "./tables.ts";
import { guardedDialect } from "./_storage_errors.ts";

/**
 * A Kysely handle on a libSQL database: a file (WAL, a busy timeout and
 * foreign keys on every pooled connection), memory, or a libSQL server.
 * `close` destroys the handle and closes the client.
 */
export async function openLibsql(
  clientUrl: string,
  options: { busyTimeoutMs: number; database: string; authToken?: string },
): Promise<{ db: Kysely<Database>; close(): Promise<void> }> {
  const isFile = clientUrl.startsWith("file:");
  // The client keeps a pool of connections to a file and opens them as it
  // needs them: the busy timeout goes in its config so that every one of them
  // waits for another process's lock, not only the first.
  const client = createClient({
    url: clientUrl,
    ...(options.authToken ? { authToken: options.authToken } : {}),
    ...(isFile ? { timeout: options.busyTimeoutMs } : {}),
  });
  try {
    if (isFile) {
      if (!clientUrl.includes(":memory:")) {
        await client.execute("PRAGMA journal_mode = WAL");
        await client.execute("PRAGMA synchronous = NORMAL");
      }
      await client.execute("PRAGMA foreign_keys = ON");
    }
  } catch (error) {
    client.close();
    throw error;
  }
  // The dialect is typed against an older @libsql/client; the methods it
  // calls (execute, batch, transaction) are the same in the one we pin.
  const dialect = transactionalDdl(
    new LibsqlDialect({ client: client as never }),
  );
  const db = new Kysely<Database>({
    dialect: guardedDialect(dialect, options.database),
  });
  return {
    db,
    async close() {
      await db.destroy();
      client.close();
    },
  };
}

/**
 * SQLite's DDL is transactional, but Kysely's SQLite adapter says it is
 * not, so its migrator would run migrations statement by statement: a
 * process killed while a migration rebuilds a table (0005, 0007) would
 * leave it half done, and the next open would fail on the leftover table.
 * Said true, the migrator runs the pending migrations and their record in
 * one transaction, as it does on PostgreSQL.
 */
function transactionalDdl(dialect: Dialect): Dialect {
  return {
    createAdapter: () => new TransactionalDdlAdapter(),
    createDriver: () => dialect.createDriver(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}

class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
