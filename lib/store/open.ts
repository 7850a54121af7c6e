import { type Kysely, sql } from "kysely";
import type { MigrationProvider } from "kysely/migration";
import { ConfigError, StorageError } from "../errors.ts";
import { MIGRATION_NAMES } from "./_migration_names.ts";
import type { Database } from "./tables.ts";
import { withoutCredentials } from "./_url.ts";
import { storageError } from "./_storage_errors.ts";

/** The database used when neither an argument nor `WB_DATABASE_URL` names one. */
export const DEFAULT_DATABASE_URL = "file:workbench.db";

/**
 * The SQL engine behind a store: `sqlite` for libSQL (a local file, memory
 * or a libSQL server), `postgres` for a PostgreSQL server.
 */
export type StoreDialect = "sqlite" | "postgres";

/** Options for {@linkcode open}. */
export interface OpenOptions {
  /**
   * Auth token for a libSQL server (PostgreSQL takes its password from the
   * URL or `PGPASSWORD`).
   * @default {Deno.env.get("WB_DATABASE_AUTH_TOKEN")}
   */
  authToken?: string;
  /**
   * How long a writer waits for another connection's lock, in milliseconds
   * (SQLite's busy timeout; PostgreSQL's `lock_timeout`).
   * @default {Number(Deno.env.get("WB_BUSY_TIMEOUT_MS")) || 5000}
   */
  busyTimeoutMs?: number;
  /**
   * Connections a PostgreSQL store may hold open at once.
   * @default {10}
   */
  poolSize?: number;
}

/** An open workbench database: the Kysely handle and which engine it is. */
export interface Store {
  /**
   * The typed query builder over every table (internal: queries live in `lib/store/`).
   * @ignore
   */
  readonly db: Kysely<Database>;
  /** The SQL engine: `sqlite` (libSQL) or `postgres`. */
  readonly dialect: StoreDialect;
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
 * server, with the token from `options.authToken` or
 * `WB_DATABASE_AUTH_TOKEN`; `postgres://` (or `postgresql://`) URLs reach a
 * PostgreSQL server, with the password from the URL or `PGPASSWORD`. File
 * databases use WAL and a busy timeout so several processes can write the
 * same file. Every open applies the migrations a database lacks (one read
 * when it is current).
 * Credentials are never stored: `store.url` and every error drop them.
 *
 * @param url Where the database lives.
 * @param options Auth token, busy timeout and pool size.
 * @returns The open store; close it when done.
 * @throws {ConfigError} If the URL's scheme is not supported or the database cannot be reached.
 * @throws {StorageError} If the database cannot be opened, written or reached (every later query too).
 *
 * @example An in-memory store
 * ```ts
 * import { open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const rows = await store.db.selectFrom("prompt_versions").selectAll().execute();
 * assert.equal(rows.length, 0);
 * assert.equal(store.dialect, "sqlite");
 * ```
 */
export async function open(
  url?: string,
  options: OpenOptions = {},
): Promise<Store> {
  const target = url ?? Deno.env.get("WB_DATABASE_URL") ?? DEFAULT_DATABASE_URL;
  const authToken = options.authToken ?? Deno.env.get("WB_DATABASE_AUTH_TOKEN");
  const database = withoutCredentials(target);
  const cannotOpen = (error: unknown) => {
    if (error instanceof StorageError) return error;
    const storage = storageError(error, database);
    return storage !== error ? storage : new ConfigError(
      `Cannot open the database "${database}": ${
        error instanceof Error ? error.message : String(error)
      }. Check the URL (--db or WB_DATABASE_URL), that a file's directory exists, and for a server that it is reachable and its credentials are right`,
      { cause: error },
    );
  };
  const busyTimeoutMs = options.busyTimeoutMs ?? busyTimeout();
  let opened: {
    db: Kysely<Database>;
    close(): Promise<void>;
    dialect: StoreDialect;
    file: boolean;
  };
  // Each engine's driver is imported only when a store of its kind opens.
  if (/^postgres(ql)?:\/\//.test(target)) {
    const { openPostgres } = await import("./_open_postgres.ts");
    opened = {
      ...openPostgres(target, {
        busyTimeoutMs,
        poolSize: options.poolSize ?? 10,
        database,
      }),
      dialect: "postgres",
      file: false,
    };
  } else {
    const clientUrl = target === ":memory:" ? "file::memory:" : target;
    if (!/^(file:|libsql:|https?:|wss?:)/.test(clientUrl)) {
      throw new ConfigError(
        `Unsupported database URL "${database}": use file:PATH, :memory:, libsql://HOST, http(s)://HOST or postgres://USER@HOST/DB`,
      );
    }
    try {
      const { openLibsql } = await import("./_open_libsql.ts");
      opened = {
        ...await openLibsql(clientUrl, {
          busyTimeoutMs,
          database,
          ...(authToken ? { authToken } : {}),
        }),
        dialect: "sqlite",
        file: clientUrl.startsWith("file:"),
      };
    } catch (error) {
      throw cannotOpen(error);
    }
  }
  const { db, close, dialect, file } = opened;
  try {
    await migrate(db, dialect);
  } catch (error) {
    await close();
    // A server that cannot be reached fails here, on the first statement.
    throw file ? storageError(error, database) : cannotOpen(error);
  }
  return {
    db,
    dialect,
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

async function migrate(
  db: Kysely<Database>,
  dialect: StoreDialect,
): Promise<void> {
  // The usual case, a database already migrated: one read instead of the
  // migrator's table checks and lock, and neither the migrations nor the
  // migrator loaded. Anything else (a new database, one behind or ahead of
  // this code) goes through the migrator.
  if (await isCurrent(db, MIGRATION_NAMES)) return;
  const [{ Migrator }, { migrations }] = await Promise.all([
    import("kysely/migration"),
    import("./migrations.ts"),
  ]);
  const all = migrations(dialect);
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(all),
  };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  // A database that cannot be reached or written is that, not a migration's fault.
  if (error instanceof StorageError) throw error;
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(
      `Database migration ${failed ?? ""} failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

/** Whether exactly these migrations, and no others, are applied. */
async function isCurrent(
  db: Kysely<Database>,
  names: readonly string[],
): Promise<boolean> {
  let applied: string[];
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`
      .execute(db);
    applied = rows.rows.map((r) => r.name);
  } catch {
    // No migration table yet, or the database cannot be read: the migrator
    // creates the one and reports the other.
    return false;
  }
  return applied.length === names.length &&
    names.every((name) => applied.includes(name));
}

/** The names of the migrations applied to a store, oldest first. */
export async function appliedMigrations(store: Store): Promise<string[]> {
  const rows = await sql<
    { name: string }
  >`select name from kysely_migration order by name`
    .execute(store.db);
  return rows.rows.map((r) => r.name);
}
