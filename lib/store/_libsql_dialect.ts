/**
 * Kysely over a `@libsql/client` client: SQLite's adapter (saying, rightly,
 * that its DDL is transactional), compiler and introspector, and a driver
 * whose connections run each statement on the client, or on the client's
 * transaction while one is open.
 *
 * Written here rather than taken from `@libsql/kysely-libsql`: that package
 * imports its own, older `@libsql/client` (0.8) at load, a second copy of the
 * client and its native library in every process that opens a store (about 4
 * MB of peak RSS per command, measured in docs/bench.md part 9).
 *
 * @module
 */
import type { Client, InArgs, Transaction } from "@libsql/client";
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";

/** A Kysely dialect on a libSQL client the caller owns (and closes). */
export function libsqlDialect(client: Client): Dialect {
  return {
    createAdapter: () => new TransactionalDdlAdapter(),
    createDriver: () => new LibsqlDriver(client),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
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
class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class LibsqlDriver implements Driver {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new LibsqlConnection(this.#client));
  }

  beginTransaction(connection: DatabaseConnection): Promise<void> {
    return (connection as LibsqlConnection).begin();
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return (connection as LibsqlConnection).end("commit");
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return (connection as LibsqlConnection).end("rollback");
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

class LibsqlConnection implements DatabaseConnection {
  readonly #client: Client;
  #transaction: Transaction | undefined;

  constructor(client: Client) {
    this.#client = client;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await (this.#transaction ?? this.#client).execute({
      sql: query.sql,
      args: query.parameters as InArgs,
    });
    return {
      rows: result.rows as R[],
      numAffectedRows: BigInt(result.rowsAffected),
      ...(result.lastInsertRowid === undefined
        ? {}
        : { insertId: result.lastInsertRowid }),
    };
  }

  // deno-lint-ignore require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error(
      "streaming queries are not supported on libSQL; read in pages (limit/offset) instead",
    );
  }

  async begin(): Promise<void> {
    if (this.#transaction) {
      throw new Error(
        "a libSQL transaction is already open on this connection",
      );
    }
    this.#transaction = await this.#client.transaction("write");
  }

  /**
   * Commits or rolls back. A commit that fails (a full disk) keeps the
   * transaction for the rollback Kysely then asks for; a rollback ends it.
   */
  async end(how: "commit" | "rollback"): Promise<void> {
    const transaction = this.#transaction;
    if (!transaction) throw new Error(`no libSQL transaction to ${how}`);
    if (how === "commit") await transaction.commit();
    this.#transaction = undefined;
    if (how === "rollback") await transaction.rollback();
  }
}
