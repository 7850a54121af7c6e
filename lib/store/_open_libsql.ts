import type { Client, Config } from "@libsql/client";
import { Kysely } from "kysely";
import type { Database } from "./tables.ts";
import { guardedDialect } from "./_storage_errors.ts";
import { libsqlDialect } from "./_libsql_dialect.ts";

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
  const client = (await clientMaker(isFile))({
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
  const db = new Kysely<Database>({
    dialect: guardedDialect(libsqlDialect(client), options.database),
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
 * The client maker for a URL: a file or memory needs only the SQLite client,
 * a server the whole package (its HTTP and WebSocket clients), so a local
 * command does not load what it cannot use.
 */
async function clientMaker(
  isFile: boolean,
): Promise<(config: Config) => Client> {
  return isFile
    ? (await import("@libsql/client/sqlite3")).createClient
    : (await import("@libsql/client")).createClient;
}
