/**
 * Text holding U+0000, on both engines. Model output is untrusted text and
 * may carry a NUL character: PostgreSQL's `text` refuses it (the cell's
 * commit would fail on every resume, so the run could never finish), and
 * the libSQL binding stores it but reads the text back cut at the NUL (the
 * stored output would silently differ from what the model said). So every
 * text parameter a statement binds is encoded and every text value read is
 * decoded, by one reversible rule, in each path to the database (the Kysely
 * dialects, the writer thread, the bulk reader):
 *
 * - a string that contains U+0000 or starts with U+0001 is stored as U+0001
 *   followed by the string with each U+0001 doubled and each U+0000 written
 *   as U+0001 `0`;
 * - any other string (all but these) is stored as it is.
 *
 * Encoded strings start with U+0001 and no other stored string does, so the
 * rule is one to one and reads give back exactly what was written.
 * Equality in SQL still holds (both sides are encoded alike); a LIKE
 * pattern over such text would need encoding too (none is used on them).
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

const ESCAPE = "\u0001";

/** Whether a string is stored encoded. */
function needsEncoding(text: string): boolean {
  return text.startsWith(ESCAPE) || text.includes("\u0000");
}

/** The stored form of a string (see the module doc). */
export function encodeText(text: string): string {
  if (!needsEncoding(text)) return text;
  return ESCAPE +
    text.replaceAll(ESCAPE, ESCAPE + ESCAPE).replaceAll("\u0000", ESCAPE + "0");
}

/** The string a stored form stands for. */
export function decodeText(stored: string): string {
  if (!stored.startsWith(ESCAPE)) return stored;
  let out = "";
  let from = 1;
  for (let at = stored.indexOf(ESCAPE, from); at !== -1;) {
    const next = stored[at + 1];
    out += stored.slice(from, at) + (next === "0" ? "\u0000" : ESCAPE);
    from = at + 2;
    at = stored.indexOf(ESCAPE, from);
  }
  return out + stored.slice(from);
}

/** A dialect whose statements' string parameters are encoded. */
export function nulSafeDialect(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new NulSafeDriver(dialect.createDriver()),
  };
}

/** Statement parameters with their text encoded; the same array when none needs it. */
export function encodeTexts(
  parameters: readonly unknown[],
): readonly unknown[] {
  if (!parameters.some((p) => typeof p === "string" && needsEncoding(p))) {
    return parameters;
  }
  return parameters.map((p) => typeof p === "string" ? encodeText(p) : p);
}

function encoded(query: CompiledQuery): CompiledQuery {
  const parameters = encodeTexts(query.parameters);
  return parameters === query.parameters ? query : { ...query, parameters };
}

class NulSafeConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;

  constructor(inner: DatabaseConnection) {
    this.inner = inner;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.inner.executeQuery<R>(encoded(query));
  }

  streamQuery<R>(
    query: CompiledQuery,
    chunkSize: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(encoded(query), chunkSize);
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof NulSafeConnection
    ? connection.inner
    : connection;
}

class NulSafeDriver implements Driver {
  readonly #inner: Driver;

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new NulSafeConnection(await this.#inner.acquireConnection());
  }

  beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    return this.#inner.beginTransaction(unwrap(connection), settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(unwrap(connection));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(unwrap(connection));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
