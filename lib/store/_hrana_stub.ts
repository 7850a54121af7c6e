/**
 * A test helper: a small libSQL server on 127.0.0.1 that speaks the Hrana
 * protocol over HTTP (JSON encoding, versions 2 and 3: `POST /v2/pipeline`
 * and `POST /v3/pipeline`), the protocol `@libsql/client` uses for
 * `http://` URLs, and runs the statements on a local SQLite file through
 * the `libsql` package.
 *
 * Each stream (a request without a baton opens one) has its own connection
 * to the file, kept until the stream is closed, so interactive transactions
 * work across requests; every response carries the stream's next baton (or
 * none once it is closed). Supported stream requests: `execute`, `batch`
 * (with `ok`, `error`, `not`, `and`, `or` and `is_autocommit` step
 * conditions), `sequence`, `store_sql`, `close_sql`, `get_autocommit` and
 * `close`. Values: null, integer (a decimal string), float, text and blob
 * (base64). Not supported: cursors (`/v3/cursor`), the protobuf encoding
 * (`/v3-protobuf`, answered 404 so a client that probes it falls back to
 * JSON) and `describe`.
 *
 * A statement that finds the file locked by another stream's transaction
 * waits (asynchronously, up to 5 s) instead of failing at once, as a real
 * server's connections wait out their busy timeout. Every request is
 * recorded with its `Authorization` header.
 *
 * Use: `await using server = startHranaStub({ path, authToken: "t" })`,
 * then `open(server.url, { authToken: "t" })`.
 *
 * @module
 */
import Database from "libsql";

/** Options for {@linkcode startHranaStub}. */
export interface HranaStubOptions {
  /** The SQLite file the server keeps the database in (created if absent). */
  path: string;
  /**
   * When set, requests must carry `Authorization: Bearer <authToken>`;
   * others are refused with 401.
   */
  authToken?: string;
}

/** A request the server received. */
export interface HranaStubRequest {
  readonly method: string;
  /** The path, e.g. `/v2/pipeline`. */
  readonly path: string;
  /** The `Authorization` header, or null when absent. */
  readonly authorization: string | null;
}

/** A running server. */
export interface HranaStub {
  /** The base URL to open, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The SQLite file the server writes. */
  readonly path: string;
  /** Every request, in arrival order. */
  readonly requests: readonly HranaStubRequest[];
  /** Streams opened and not yet closed. */
  openStreams(): number;
  /** Statements that found the file locked by another stream and waited. */
  busyWaits(): number;
  /** Stops the server and closes its connections. */
  close(): Promise<void>;
  /** Stops the server (for `await using`). */
  [Symbol.asyncDispose](): Promise<void>;
}

type Value =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

interface Stmt {
  sql?: string | null;
  sql_id?: number | null;
  args?: Value[];
  named_args?: { name: string; value: Value }[];
  want_rows?: boolean;
}

type BatchCond =
  | { type: "ok"; step: number }
  | { type: "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and"; conds: BatchCond[] }
  | { type: "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

interface BatchStep {
  condition?: BatchCond | null;
  stmt: Stmt;
}

type StreamRequest =
  | { type: "close" }
  | { type: "execute"; stmt: Stmt }
  | { type: "batch"; batch: { steps: BatchStep[] } }
  | { type: "sequence"; sql?: string | null; sql_id?: number | null }
  | { type: "store_sql"; sql_id: number; sql: string }
  | { type: "close_sql"; sql_id: number }
  | { type: "get_autocommit" }
  | { type: string };

interface ProtoError {
  message: string;
  code: string | null;
}

interface StmtResult {
  cols: { name: string; decltype: string | null }[];
  rows: Value[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
}

type StreamResult =
  | { type: "ok"; response: Record<string, unknown> & { type: string } }
  | { type: "error"; error: ProtoError };

interface Connection {
  readonly db: Database.Database;
  readonly counters: Database.Statement;
  /** A statement gave up waiting for a lock and is left active: never reuse the connection. */
  abandoned: boolean;
}

interface Stream {
  conn: Connection;
  readonly sqls: Map<number, string>;
}

/** An error a stream request answers with (the stream stays usable). */
class RequestError extends Error {
  constructor(message: string, readonly code: string | null = null) {
    super(message);
  }
}

const BUSY_WAIT_MS = 5000;

/**
 * Starts the server on 127.0.0.1 with an ephemeral port.
 *
 * @param options The database file and the token to require.
 * @returns The running server; close it when done.
 */
export function startHranaStub(options: HranaStubOptions): HranaStub {
  const requests: HranaStubRequest[] = [];
  const streams = new Map<string, Stream>();
  const active = new Set<Stream>();
  const idle: Connection[] = [];
  const all: Connection[] = [];
  let closing = false;
  let waits = 0;

  const connect = (): Connection => {
    const reused = idle.pop();
    if (reused) return reused;
    const db = new Database(options.path);
    const counters = db.prepare(
      "SELECT changes(), last_insert_rowid(), total_changes()",
    );
    counters.raw(true).safeIntegers(true);
    const conn: Connection = { db, counters, abandoned: false };
    all.push(conn);
    return conn;
  };
  // A real server keeps its databases in WAL mode.
  const first = connect();
  first.db.exec("PRAGMA journal_mode = WAL");
  idle.push(first);

  const release = (stream: Stream) => {
    active.delete(stream);
    // A stream closed inside a transaction rolls it back, as sqld does.
    if (stream.conn.db.inTransaction) {
      try {
        stream.conn.db.exec("ROLLBACK");
      } catch {
        // The transaction is gone either way.
      }
    }
    if (stream.conn.abandoned) {
      all.splice(all.indexOf(stream.conn), 1);
      try {
        stream.conn.db.close();
      } catch {
        // Closed or not, it is never used again.
      }
    } else idle.push(stream.conn);
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, async (request) => {
    const url = new URL(request.url);
    const authorization = request.headers.get("authorization");
    requests.push({
      method: request.method,
      path: url.pathname,
      authorization,
    });
    if (
      options.authToken !== undefined &&
      authorization !== `Bearer ${options.authToken}`
    ) {
      await request.body?.cancel();
      return Response.json(
        { message: "Unauthorized: wrong or missing auth token", code: null },
        { status: 401 },
      );
    }
    const route = `${request.method} ${url.pathname}`;
    if (route === "GET /" || route === "GET /health") {
      return new Response("", { status: 200 });
    }
    if (route === "GET /v2" || route === "GET /v3") {
      return new Response("", { status: 200 });
    }
    if (route === "POST /v2/pipeline" || route === "POST /v3/pipeline") {
      return await pipeline(await request.json());
    }
    await request.body?.cancel();
    return new Response("Not found", {
      status: 404,
      headers: { "content-type": "text/plain" },
    });
  });

  async function pipeline(body: unknown): Promise<Response> {
    const { baton, requests: items } = body as {
      baton?: string | null;
      requests: StreamRequest[];
    };
    let stream: Stream | undefined;
    if (baton !== undefined && baton !== null) {
      stream = streams.get(baton);
      if (!stream) {
        return Response.json(
          { message: `Stream for baton "${baton}" not found`, code: null },
          { status: 400 },
        );
      }
      streams.delete(baton);
    } else {
      stream = { conn: connect(), sqls: new Map() };
      active.add(stream);
    }
    const results: StreamResult[] = [];
    let open = true;
    for (const item of items) {
      if (!open) {
        results.push(failure(new RequestError("The stream is closed")));
        continue;
      }
      if (item.type === "close") {
        release(stream);
        open = false;
        results.push({ type: "ok", response: { type: "close" } });
        continue;
      }
      try {
        const response = await handle(stream, item);
        results.push({ type: "ok", response });
      } catch (error) {
        results.push(failure(error));
      }
    }
    let next: string | null = null;
    if (open) {
      if (closing) release(stream);
      else {
        next = crypto.randomUUID();
        streams.set(next, stream);
      }
    }
    return Response.json({ baton: next, base_url: null, results });
  }

  async function handle(
    stream: Stream,
    item: StreamRequest,
  ): Promise<Record<string, unknown> & { type: string }> {
    switch (item.type) {
      case "execute": {
        const { stmt } = item as { stmt: Stmt };
        return { type: "execute", result: await execute(stream, stmt) };
      }
      case "batch": {
        const { batch } = item as { batch: { steps: BatchStep[] } };
        return { type: "batch", result: await runBatch(stream, batch.steps) };
      }
      case "sequence": {
        const text = sqlOf(
          stream,
          item as { sql?: string | null; sql_id?: number | null },
        );
        stream.conn.db.exec(text);
        return { type: "sequence" };
      }
      case "store_sql": {
        const { sql, sql_id } = item as { sql: string; sql_id: number };
        if (stream.sqls.has(sql_id)) {
          throw new RequestError(`SQL text ${sql_id} is already stored`);
        }
        stream.sqls.set(sql_id, sql);
        return { type: "store_sql" };
      }
      case "close_sql": {
        stream.sqls.delete((item as { sql_id: number }).sql_id);
        return { type: "close_sql" };
      }
      case "get_autocommit":
        return {
          type: "get_autocommit",
          is_autocommit: !stream.conn.db.inTransaction,
        };
      default:
        throw new RequestError(
          `Stream request "${item.type}" is not supported by this test server`,
        );
    }
  }

  async function runBatch(
    stream: Stream,
    steps: BatchStep[],
  ): Promise<{
    step_results: (StmtResult | null)[];
    step_errors: (ProtoError | null)[];
  }> {
    const results: (StmtResult | null)[] = [];
    const errors: (ProtoError | null)[] = [];
    const holds = (cond: BatchCond): boolean => {
      switch (cond.type) {
        case "ok":
          return results[cond.step] != null;
        case "error":
          return errors[cond.step] != null;
        case "not":
          return !holds(cond.cond);
        case "and":
          return cond.conds.every(holds);
        case "or":
          return cond.conds.some(holds);
        case "is_autocommit":
          return !stream.conn.db.inTransaction;
        default:
          throw new RequestError(
            `Batch condition "${
              (cond as { type: string }).type
            }" is not supported`,
          );
      }
    };
    for (const step of steps) {
      if (step.condition && !holds(step.condition)) {
        results.push(null);
        errors.push(null);
        continue;
      }
      try {
        results.push(await execute(stream, step.stmt));
        errors.push(null);
      } catch (error) {
        results.push(null);
        errors.push(protoError(error));
      }
    }
    return { step_results: results, step_errors: errors };
  }

  async function execute(stream: Stream, stmt: Stmt): Promise<StmtResult> {
    const conn = stream.conn;
    const bound = bindings(stmt);
    const deadline = Date.now() + BUSY_WAIT_MS;
    // A statement that found the file locked is stepped again, not prepared
    // again: `libsql` leaves it active (unreset), and an abandoned active
    // statement would make the connection's COMMIT fail.
    let statement: Database.Statement | undefined;
    for (;;) {
      try {
        statement ??= conn.db.prepare(sqlOf(stream, stmt));
        return step(conn, statement, bound, stmt.want_rows !== false);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const busy = typeof code === "string" && code.startsWith("SQLITE_BUSY");
        if (!busy || Date.now() > deadline || closing) {
          if (busy && statement) conn.abandoned = true;
          throw error;
        }
        waits++;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
  }

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    path: options.path,
    requests,
    openStreams: () => active.size,
    busyWaits: () => waits,
    async close() {
      if (closing) return;
      closing = true;
      await server.shutdown();
      for (const stream of active) release(stream);
      streams.clear();
      for (const conn of all) conn.db.close();
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

function sqlOf(
  stream: Stream,
  stmt: { sql?: string | null; sql_id?: number | null },
): string {
  if (typeof stmt.sql === "string") return stmt.sql;
  if (typeof stmt.sql_id === "number") {
    const text = stream.sqls.get(stmt.sql_id);
    if (text === undefined) {
      throw new RequestError(`SQL text ${stmt.sql_id} is not stored`);
    }
    return text;
  }
  throw new RequestError("The statement has neither sql nor sql_id");
}

function bindings(stmt: Stmt): unknown {
  const named = stmt.named_args ?? [];
  const positional = (stmt.args ?? []).map(fromValue);
  if (named.length > 0 && positional.length > 0) {
    throw new RequestError(
      "Statements with both positional and named arguments are not supported by this test server",
    );
  }
  return named.length > 0
    ? Object.fromEntries(
      named.map((a) => [a.name.replace(/^[:@$]/, ""), fromValue(a.value)]),
    )
    : positional;
}

function step(
  conn: Connection,
  statement: Database.Statement,
  bound: unknown,
  wantRows: boolean,
): StmtResult {
  const before = totalChanges(conn);
  let rows: unknown[][] = [];
  const cols = statement.reader
    ? statement.columns().map((c) => ({ name: c.name, decltype: c.type }))
    : [];
  if (statement.reader) {
    rows = statement.raw(true).safeIntegers(true).all(bound) as unknown[][];
  } else {
    statement.run(bound);
  }
  const [changes, lastRowid, total] = conn.counters.all()[0] as bigint[];
  return {
    cols,
    rows: wantRows ? rows.map((r) => r.map(toValue)) : [],
    affected_row_count: total === before ? 0 : Number(changes),
    last_insert_rowid: String(lastRowid),
  };
}

function totalChanges(conn: Connection): bigint {
  return (conn.counters.all()[0] as bigint[])[2]!;
}

function fromValue(value: Value): unknown {
  switch (value.type) {
    case "null":
      return null;
    case "integer":
      return BigInt(value.value);
    case "float":
      return value.value;
    case "text":
      return value.value;
    case "blob":
      return Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0));
    default:
      throw new RequestError(
        `Value type "${(value as { type: string }).type}" is not supported`,
      );
  }
}

function toValue(value: unknown): Value {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") {
    return { type: "integer", value: value.toString() };
  }
  if (typeof value === "number") return { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof Uint8Array) {
    let binary = "";
    for (const byte of value) binary += String.fromCharCode(byte);
    return { type: "blob", base64: btoa(binary) };
  }
  throw new TypeError(`Cannot encode a ${typeof value} as a Hrana value`);
}

function protoError(error: unknown): ProtoError {
  if (error instanceof RequestError) {
    return { message: error.message, code: error.code };
  }
  const code = (error as { code?: unknown }).code;
  return {
    message: error instanceof Error ? error.message : String(error),
    code: typeof code === "string" ? code : null,
  };
}

function failure(error: unknown): StreamResult {
  return { type: "error", error: protoError(error) };
}
