import { type Client, createClient } from "@libsql/client";
import { LibsqlDialect } from "@libsql/kysely-libsql";
import { Kysely, sql } from "kysely";
import { type MigrationProvider, Migrator } from "kysely/migration";
import { ConfigError } from "../errors.ts";
import { MIGRATIONS } from "./migrations.ts";
import { guardedDialect, storageError } from "./_storage_errors.ts";
import type { Database } from "./tables.ts";

/** The database used when neither an argument nor `WB_DATABASE_URL` names one. */
export const DEFAULT_DATABASE_URL = "file:workbench.db";

/** Options for {@linkcode open}. */
export interface OpenOptions {
  /**
   * Auth token for a libSQL server.
   * @default {Deno.env.get("WB_DATABASE_AUTH_TOKEN")}
   */
  authToken?: string;
  /**
   * How long a writer waits for another process's lock, in milliseconds.
   * @default {Number(Deno.env.get("WB_BUSY_TIMEOUT_MS")) || 5000}
   */
  busyTimeoutMs?: number;
}

/** An open workbench database: the Kysely handle plus the raw client. */
export interface Store {
  /**
   * The typed query builder over every table (internal: queries live in `lib/store/`).
   * @ignore
   */
  readonly db: Kysely<Database>;
  /**
   * The underlying libSQL client.
   * @ignore
   */
  readonly client: Client;
  /** The URL the store was opened with (no credentials). */
  readonly url: string;
  /** Closes the connection. */
  close(): Promise<void>;
  /** Closes the connection (for `await using`). */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Opens (and creates, and migrates) a workbench database.
 *
 * The URL is, in order: the argument, `WB_DATABASE_URL`, then
 * `file:workbench.db` in the working directory. `:memory:` gives a private
 * in-memory database; `libsql://` and `http(s)://` URLs reach a libSQL
 * server, with the token from `options.authToken` or `WB_DATABASE_AUTH_TOKEN`.
 * File databases use WAL and a busy timeout so several processes can write
 * the same file. Migrations are applied on every open and are idempotent.
 *
 * @param url Where the database lives.
 * @param options Auth token and busy timeout.
 * @returns The open store; close it when done.
 * @throws {ConfigError} If the URL's scheme is not supported.
 *
 * @example An in-memory store
 * ```ts
 * import { open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const rows = await store.db.selectFrom("prompt_versions").selectAll().execute();
 * assert.equal(rows.length, 0);
 * ```
 */
export async function open(
  url?: string,
  options: OpenOptions = {},
): Promise<Store> {
  const target = url ?? Deno.env.get("WB_DATABASE_URL") ?? DEFAULT_DATABASE_URL;
  const clientUrl = target === ":memory:" ? "file::memory:" : target;
  if (!/^(file:|libsql:|https?:|wss?:)/.test(clientUrl)) {
    throw new ConfigError(
      `Unsupported database URL '${target}': use file:PATH, :memory:, libsql://HOST or http(s)://HOST`,
    );
  }
  const authToken = options.authToken ?? Deno.env.get("WB_DATABASE_AUTH_TOKEN");
  const isFile = clientUrl.startsWith("file:");
  // The client keeps a pool of connections to a file and opens them as it
  // needs them: the busy timeout goes in its config so that every one of them
  // waits for another process's lock, not only the first.
  const database = withoutCredentials(target);
  const cannotOpen = (error: unknown) => {
    const storage = storageError(error, database);
    return storage !== error ? storage : new ConfigError(
      `Cannot open the database '${withoutCredentials(target)}': ${
        error instanceof Error ? error.message : String(error)
      }. Check the URL (--db or WB_DATABASE_URL), that a file's directory exists, and for a server that it is reachable and WB_DATABASE_AUTH_TOKEN is right`,
      { cause: error },
    );
  };
  let client: Client;
  try {
    client = createClient({
      url: clientUrl,
      ...(authToken ? { authToken } : {}),
      ...(isFile ? { timeout: options.busyTimeoutMs ?? busyTimeout() } : {}),
    });
    if (isFile) {
      if (!clientUrl.includes(":memory:")) {
        await client.execute("PRAGMA journal_mode = WAL");
        await client.execute("PRAGMA synchronous = NORMAL");
      }
      await client.execute("PRAGMA foreign_keys = ON");
    }
  } catch (error) {
    throw cannotOpen(error);
  }
  // The dialect is typed against an older @libsql/client; the methods it
  // calls (execute, batch, transaction) are the same in the one we pin.
  const dialect = new LibsqlDialect({ client: client as never });
  const db = new Kysely<Database>({
    dialect: guardedDialect(dialect, database),
  });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    // A server that cannot be reached fails here, on the first statement.
    throw isFile ? storageError(error, database) : cannotOpen(error);
  }
  const close = async () => {
    await db.destroy();
    client.close();
  };
  return {
    db,
    client,
    url: database,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** `WB_BUSY_TIMEOUT_MS` when set to a positive number, else 5000. */
function busyTimeout(): number {
  const value = Number(Deno.env.get("WB_BUSY_TIMEOUT_MS"));
  return Number.isFinite(value) && value > 0 ? value : 5000;
}

/** A database URL without user info or an `authToken` parameter (which the client accepts). */
function withoutCredentials(url: string): string {
  if (!/^(libsql|https?|wss?):/.test(url)) return url;
  try {
    const parsed = new URL(url);
    if (
      !parsed.username && !parsed.password &&
      !parsed.searchParams.has("authToken")
    ) {
      return url;
    }
    parsed.username = "";
    parsed.password = "";
    parsed.searchParams.delete("authToken");
    return parsed.href;
  } catch {
    return url;
  }
}

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};

async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(
      `Database migration ${failed ?? ""} failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** The names of the migrations applied to a store, oldest first. */
export async function appliedMigrations(store: Store): Promise<string[]> {
  const rows = await sql<
    { name: string }
  >`select name from kysely_migration order by name`
    .execute(store.db);
  return rows.rows.map((r) => r.name);
}
