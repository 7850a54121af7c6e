/**
 * Storage failures as {@linkcode StorageError}s: every query Kysely runs
 * goes through a guarded driver that turns the database's own errors (a
 * read-only file, a full disk, a lock past the busy timeout, a server that
 * cannot be reached) into one actionable error naming the database.
 *
 * @module
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from "kysely";
import { StorageError, type StorageFailure } from "../errors.ts";
import { decodedResult, encodedQuery } from "./_nul_text.ts";

const FIXES: Record<StorageFailure, string> = {
  read_only:
    "make the file and its directory writable (or pass --db with a copy that is), then run the command again; a run it interrupted resumes with `wb experiment --resume`",
  disk_full:
    "free space, then run the command again; the last transaction was rolled back, and a run it interrupted resumes with `wb experiment --resume`",
  locked:
    "another process is writing: retry once it is done, or give a longer busy timeout; a run it interrupted resumes with `wb experiment --resume`",
  cannot_open:
    "check that the directory exists and that you may create and write files in it",
  io: "check the disk, then run the command again",
  unreachable:
    "check that the server is running and reachable (the URL in --db or WB_DATABASE_URL) and the credentials in the environment; a run it interrupted resumes with `wb experiment --resume`",
};

/** The failure an error from the database client means, if it is one. */
function failureOf(error: unknown): StorageFailure | null {
  if (!(error instanceof Error)) return null;
  const code = String((error as { code?: unknown }).code ?? "");
  const text = `${code} ${error.message}`;
  if (
    /SQLITE_READONLY|read-?only (database|file system|transaction)|EROFS|^25006 /i
      .test(text)
  ) {
    return "read_only";
  }
  if (/SQLITE_FULL|database or disk is full|ENOSPC|No space left/i.test(text)) {
    return "disk_full";
  }
  if (
    /SQLITE_BUSY|SQLITE_LOCKED|database is locked|^55P03 |lock timeout/i.test(
      text,
    )
  ) {
    return "locked";
  }
  if (
    /SQLITE_CANTOPEN|SQLITE_PERM|unable to open (database|connection)/i.test(
      text,
    )
  ) {
    return "cannot_open";
  }
  if (/SQLITE_IOERR|disk I\/O error/i.test(text)) return "io";
  if (
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|fetch failed|connection (refused|reset|closed)|Connection terminated|error sending request|tcp connect error/i
      .test(text)
  ) return "unreachable";
  return null;
}

/**
 * The error to throw for an error from the database client: a
 * {@linkcode StorageError} when it is a storage failure (the original is
 * its cause), the error itself otherwise.
 */
export function storageError(error: unknown, database: string): unknown {
  if (error instanceof StorageError) return error;
  const failure = failureOf(error);
  return failure === null
    ? error
    : new StorageError(failure, database, FIXES[failure], { cause: error });
}

/**
 * A dialect whose driver turns storage failures into {@linkcode StorageError}s,
 * and whose statements carry text holding NUL both ways (`_nul_text.ts`).
 */
export function guardedDialect(dialect: Dialect, database: string): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new GuardedDriver(dialect.createDriver(), database),
  };
}

class GuardedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly #database: string;

  constructor(inner: DatabaseConnection, database: string) {
    this.inner = inner;
    this.#database = database;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return decodedResult(
        await this.inner.executeQuery<R>(encodedQuery(query)),
      );
    } catch (error) {
      throw storageError(error, this.#database);
    }
  }

  async *streamQuery<R>(
    query: CompiledQuery,
    chunkSize: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      for await (
        const chunk of this.inner.streamQuery<R>(encodedQuery(query), chunkSize)
      ) yield decodedResult(chunk);
    } catch (error) {
      throw storageError(error, this.#database);
    }
  }
}

class GuardedDriver implements Driver {
  readonly #inner: Driver;
  readonly #database: string;

  constructor(inner: Driver, database: string) {
    this.#inner = inner;
    this.#database = database;
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw storageError(error, this.#database);
    }
  }

  init(): Promise<void> {
    return this.#guard(() => this.#inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.#guard(() => this.#inner.acquireConnection());
    return new GuardedConnection(inner, this.#database);
  }

  beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    return this.#guard(() =>
      this.#inner.beginTransaction(unwrap(connection), settings)
    );
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.commitTransaction(unwrap(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() =>
      this.#inner.rollbackTransaction(unwrap(connection))
    );
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.releaseConnection(unwrap(connection)));
  }

  destroy(): Promise<void> {
    return this.#guard(() => this.#inner.destroy());
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof GuardedConnection
    ? connection.inner
    : connection;
}
