// deno-lint-ignore-file no-console -- the one-line skip notice
/**
 * Runs a test on both engines: {@linkcode eachStore} registers it once on an
 * embedded libSQL database and once on a real PostgreSQL server, where each
 * store is a database of its own (cloned from a migrated template, dropped
 * on close), so test files running in parallel never share one.
 *
 * The server is named by `WB_TEST_POSTGRES_URL` (a URL whose user may create
 * databases, e.g. `postgres://postgres@127.0.0.1:5432/postgres`; `.ci/run`
 * starts a throwaway cluster and sets it). Without it the PostgreSQL tests
 * are skipped with a one-line notice, and fail under `WB_REQUIRE_TOOLS=1`,
 * as CI sets it. Never used by the product itself.
 *
 * @module
 */
import pg from "pg";
import { sha256Hex } from "../content/sha256.ts";
import { open, type Store, type StoreDialect } from "./open.ts";

/** The variable naming the PostgreSQL server tests use. */
export const TEST_POSTGRES_URL_VARIABLE = "WB_TEST_POSTGRES_URL";

function setting(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

const serverUrl = setting(TEST_POSTGRES_URL_VARIABLE);
const required = setting("WB_REQUIRE_TOOLS") === "1";
/** Set once per process, so the notice is printed once, not once per test file. */
const NOTED = "WB_TEST_POSTGRES_SKIP_NOTED";
if (serverUrl === undefined && !required && setting(NOTED) === undefined) {
  try {
    Deno.env.set(NOTED, "1");
  } catch {
    // Without env permission every file prints it; that is all.
  }
  console.log(
    `PostgreSQL store tests skipped: set ${TEST_POSTGRES_URL_VARIABLE} to a server's URL to run them`,
  );
}

/** What a store test receives. */
export interface StoreTestContext {
  /** The engine this registration runs on. */
  readonly dialect: StoreDialect;
  /** Opens a new, empty, migrated store on that engine (close it when done). */
  openStore(): Promise<Store>;
  /**
   * The URL of a new, empty, migrated database on that engine that other
   * processes can open too (a file in a temporary folder; a database of its
   * own on the server, credentials included), removed when the test ends.
   */
  databaseUrl(): Promise<string>;
  /** Deno's test context, for steps. */
  readonly t: Deno.TestContext;
}

/**
 * Registers tests on both engines. `eachStore.test(NAME, fn)` registers
 * `NAME [libsql]` and `NAME [postgres]`; `fn` opens stores with
 * `openStore()`. (An object with a `test` method, so that `deno fmt` lays
 * it out as it lays out `Deno.test`.)
 */
export const eachStore: {
  /** Registers `fn` as two tests, `NAME [libsql]` and `NAME [postgres]`. */
  test(name: string, fn: (context: StoreTestContext) => Promise<void>): void;
} = {
  test(name, fn) {
    Deno.test(`${name} [libsql]`, async (t) => {
      const dirs: string[] = [];
      try {
        await fn({
          dialect: "sqlite",
          openStore: () => open(":memory:"),
          async databaseUrl() {
            const dir = await Deno.makeTempDir();
            dirs.push(dir);
            const url = `file:${dir}/wb.db`;
            await (await open(url)).close();
            return url;
          },
          t,
        });
      } finally {
        for (const dir of dirs) await Deno.remove(dir, { recursive: true });
      }
    });
    Deno.test({
      name: `${name} [postgres]`,
      ignore: serverUrl === undefined && !required,
      // The pool's sockets close after the test's last store is closed.
      sanitizeResources: false,
      sanitizeOps: false,
      async fn(t) {
        if (serverUrl === undefined) {
          throw new Error(
            `WB_REQUIRE_TOOLS=1 but ${TEST_POSTGRES_URL_VARIABLE} is not set: start a PostgreSQL server (see .ci/run) and name it there`,
          );
        }
        const databases: string[] = [];
        try {
          await fn({
            dialect: "postgres",
            openStore: openPostgresTestStore,
            async databaseUrl() {
              const name = await createTestDatabase();
              databases.push(name);
              return databaseUrl(name);
            },
            t,
          });
        } finally {
          for (const name of databases) await dropTestDatabase(name);
        }
      },
    });
  },
};

/** What a test across both engines receives. */
export interface CrossStoreTestContext {
  /** Opens a new, empty, migrated PostgreSQL store (close it when done). */
  openPostgres(): Promise<Store>;
  /** Opens a new, empty, migrated libSQL database in a file of its own. */
  openLibsqlFile(): Promise<Store>;
  /** Deno's test context, for steps. */
  readonly t: Deno.TestContext;
}

/**
 * Registers tests that need both engines at once (a bundle moving between
 * them): skipped without a server, as the PostgreSQL half of
 * {@linkcode eachStore} is.
 */
export const bothStores: {
  /** Registers `fn` as the test `NAME [libsql+postgres]`. */
  test(
    name: string,
    fn: (context: CrossStoreTestContext) => Promise<void>,
  ): void;
} = {
  test(name, fn) {
    Deno.test({
      name: `${name} [libsql+postgres]`,
      ignore: serverUrl === undefined && !required,
      sanitizeResources: false,
      sanitizeOps: false,
      async fn(t) {
        if (serverUrl === undefined) {
          throw new Error(
            `WB_REQUIRE_TOOLS=1 but ${TEST_POSTGRES_URL_VARIABLE} is not set: start a PostgreSQL server (see .ci/run) and name it there`,
          );
        }
        const dirs: string[] = [];
        try {
          await fn({
            openPostgres: openPostgresTestStore,
            async openLibsqlFile() {
              const dir = await Deno.makeTempDir();
              dirs.push(dir);
              return await open(`file:${dir}/wb.db`);
            },
            t,
          });
        } finally {
          for (const dir of dirs) await Deno.remove(dir, { recursive: true });
        }
      },
    });
  },
};

let admin: pg.Pool | undefined;
let template: Promise<string> | undefined;

function adminPool(): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({ connectionString: serverUrl, max: 2 });
    admin.on("error", () => {});
  }
  return admin;
}

/** A database URL on the test server. */
function databaseUrl(database: string): string {
  const url = new URL(serverUrl!);
  url.pathname = `/${database}`;
  return url.href;
}

/**
 * The migrated template every test database is cloned from, named by the
 * hash of the migrations' source, created once per server (an advisory
 * lock keeps parallel test processes from creating it twice).
 */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const source = await Promise.all(
      [
        "migrations.ts",
        "_dialect.ts",
        "_promotion_guard.ts",
        "_worker_tables.ts",
      ].map((file) => Deno.readTextFile(new URL(file, import.meta.url))),
    );
    const name = `wb_template_${sha256Hex(source.join("\n")).slice(0, 16)}`;
    const client = await adminPool().connect();
    try {
      await client.query("select pg_advisory_lock(4242017)");
      const found = await client.query(
        "select 1 from pg_database where datname = $1",
        [name],
      );
      if (found.rowCount === 0) {
        const building = `${name}_building`;
        await client.query(`drop database if exists "${building}"`);
        await client.query(`create database "${building}"`);
        const store = await open(databaseUrl(building));
        await store.close();
        await client.query(`alter database "${building}" rename to "${name}"`);
      }
    } finally {
      await client.query("select pg_advisory_unlock(4242017)").catch(() => {});
      client.release();
    }
    return name;
  })();
  return template;
}

/** Creates a test database, cloned from the migrated template; returns its name. */
async function createTestDatabase(): Promise<string> {
  const from = await migratedTemplate();
  const name = `wb_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await adminPool().query(`create database "${name}" template "${from}"`);
  return name;
}

/** Drops a test database, ending any connection still open to it. */
async function dropTestDatabase(name: string): Promise<void> {
  await adminPool().query(`drop database if exists "${name}" with (force)`);
}

async function openPostgresTestStore(): Promise<Store> {
  const name = await createTestDatabase();
  const store = await open(databaseUrl(name), { poolSize: 4 });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await store.close();
    await dropTestDatabase(name);
  };
  return {
    db: store.db,
    dialect: store.dialect,
    url: store.url,
    close,
    [Symbol.asyncDispose]: close,
  };
}
