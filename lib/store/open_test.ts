import assert from "node:assert/strict";
import { sql } from "kysely";
import { ConfigError, StorageError } from "../errors.ts";
import { appliedMigrations, open } from "./open.ts";
import { APPEND_ONLY_TABLES, migrations } from "./migrations.ts";
import { MIGRATION_NAMES } from "./_migration_names.ts";
import { eachStore } from "./test_stores.ts";
import { withoutCredentials } from "./_url.ts";
import { DENO_RUN } from "../_deno_run.ts";

const MIGRATED = [
  "0001_initial",
  "0002_run_sessions",
  "0003_promotion_guard",
  "0004_worker_tables",
  "0005_stored_bodies",
  "0006_request_parts",
  "0007_receipt_references",
  "0008_connection_cold",
];

Deno.test("open() migrates a new database and is idempotent on reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `file:${dir}/wb.db`;
    const first = await open(url);
    assert.deepEqual(await appliedMigrations(first), MIGRATED);
    await first.close();
    const second = await open(url);
    assert.deepEqual(await appliedMigrations(second), MIGRATED);
    const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`
      .execute(second.db);
    assert.equal(mode.rows[0]?.journal_mode, "wal");
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

eachStore.test(
  "open() migrates a new database once, however often it is opened",
  async ({ openStore }) => {
    await using store = await openStore();
    assert.deepEqual(await appliedMigrations(store), MIGRATED);
    // Opening the same database again (as every command does) applies nothing.
    if (store.dialect === "postgres") {
      await using again = await open(store.url);
      assert.deepEqual(await appliedMigrations(again), MIGRATED);
      assert.equal(again.dialect, "postgres");
    }
  },
);

Deno.test("open() gives every pooled connection the busy timeout and foreign keys", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await open(`file:${dir}/wb.db`, {
      busyTimeoutMs: 4321,
    });
    // Concurrent statements borrow several of the client's connections.
    const pragmas = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const [timeout, keys] = await Promise.all([
          sql<{ timeout: number }>`PRAGMA busy_timeout`.execute(store.db),
          sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(
            store.db,
          ),
        ]);
        return [timeout.rows[0]?.timeout, keys.rows[0]?.foreign_keys];
      }),
    );
    for (const [timeout, keys] of pragmas) {
      assert.equal(timeout, 4321);
      assert.equal(keys, 1);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MIGRATION_NAMES, what open() checks a store against, names every migration in order on both engines", () => {
  for (const dialect of ["sqlite", "postgres"] as const) {
    assert.deepEqual(Object.keys(migrations(dialect)), [...MIGRATION_NAMES]);
  }
  assert.deepEqual([...MIGRATION_NAMES].sort(), [...MIGRATION_NAMES]);
});

Deno.test("open() refuses an unsupported URL scheme", async () => {
  await assert.rejects(
    () => open("mysql://x"),
    (error) =>
      error instanceof ConfigError &&
      /^Unsupported database URL "mysql:\/\/x": use file:PATH, :memory:, libsql:\/\/HOST, http\(s\):\/\/HOST or postgres:\/\/USER@HOST\/DB$/
        .test(error.message),
  );
});

Deno.test("open() names an unreachable PostgreSQL server without its password", async () => {
  // Port 1 on the loopback: nothing listens there, the connection is refused.
  const error = await open("postgres://wb:s3cret-pw@127.0.0.1:1/wb").then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof StorageError, String(error));
  assert.equal(error.failure, "unreachable");
  assert.equal(error.database, "postgres://wb@127.0.0.1:1/wb");
  assert.match(
    error.message,
    /^Cannot reach the database server "postgres:\/\/wb@127\.0\.0\.1:1\/wb"; check that the server is running/,
  );
  assert.equal(error.message.includes("s3cret-pw"), false);
});

Deno.test("withoutCredentials() drops passwords and tokens, and keeps everything else", () => {
  const cases: [string, string][] = [
    ["file:wb.db", "file:wb.db"],
    ["postgres://wb@db.example:5432/wb", "postgres://wb@db.example:5432/wb"],
    ["postgres://wb:pw@db.example:5432/wb", "postgres://wb@db.example:5432/wb"],
    [
      "postgresql://db.example/wb?password=pw&sslmode=require",
      "postgresql://db.example/wb?sslmode=require",
    ],
    ["libsql://u:p@db.example", "libsql://db.example"],
    ["http://127.0.0.1:8080?authToken=t", "http://127.0.0.1:8080/"],
    ["postgres://wb:pw@[bad", "postgres://(unparsable URL)"],
  ];
  for (const [url, expected] of cases) {
    assert.equal(withoutCredentials(url), expected, url);
  }
});

eachStore.test(
  "append-only tables refuse raw SQL UPDATE and DELETE",
  async ({ openStore }) => {
    await using store = await openStore();
    await sql`INSERT INTO prompt_versions (id, task, version, system, template, params, sha256, author, note, created_at)
     VALUES ('t@v1', 't', 1, 's', 'x', '{}', 'h', 'a', 'n', '2026-01-01T00:00:00Z')`
      .execute(store.db);
    await assert.rejects(
      () =>
        sql`UPDATE prompt_versions SET template = 'edited' WHERE id = 't@v1'`
          .execute(store.db),
      /prompt_versions is append-only: UPDATE is refused/,
    );
    await assert.rejects(
      () => sql`DELETE FROM prompt_versions`.execute(store.db),
      /prompt_versions is append-only: DELETE is refused/,
    );
    if (store.dialect === "postgres") {
      await assert.rejects(
        () => sql`TRUNCATE prompt_versions`.execute(store.db),
        /prompt_versions is append-only: TRUNCATE is refused/,
      );
    }
    const row = await sql<
      { template: string }
    >`SELECT template FROM prompt_versions`
      .execute(store.db);
    assert.deepEqual(row.rows, [{ template: "x" }]);
    const triggers = store.dialect === "postgres"
      ? await sql<
        { name: string }
      >`SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal`
        .execute(store.db)
      : await sql<
        { name: string }
      >`SELECT name FROM sqlite_master WHERE type = 'trigger'`
        .execute(store.db);
    const names = new Set(triggers.rows.map((r) => r.name));
    for (const table of APPEND_ONLY_TABLES) {
      assert.ok(
        names.has(`${table}_no_update`),
        `${table} has no UPDATE guard`,
      );
      assert.ok(
        names.has(`${table}_no_delete`),
        `${table} has no DELETE guard`,
      );
    }
  },
);

eachStore.test("text sorts by code point on both engines", async ({ openStore }) => {
  await using store = await openStore();
  const keys = ["b", "B", "a_1", "a-1", "a1", "ä", "A"];
  for (const [i, key] of keys.entries()) {
    await store.db.insertInto("labels").values({
      id: `l${i}`,
      task: "t",
      case_key: key,
      repetition: null,
      output_sha256: "h",
      labeller: "x",
      scores: "{}",
      note: null,
      created_at: "2026-01-01T00:00:00Z",
    }).execute();
  }
  const rows = await store.db.selectFrom("labels").select("case_key")
    .orderBy("case_key").execute();
  assert.deepEqual(rows.map((r) => r.case_key), [...keys].sort());
  if (store.dialect === "postgres") {
    // The server's own locale may sort the same keys otherwise (an ICU
    // locale ignores case and punctuation first): the columns' "C"
    // collation is what makes the order above hold on any server.
    const icu = await sql<
      { case_key: string }
    >`SELECT case_key FROM labels ORDER BY case_key COLLATE "en-US-x-icu"`
      .execute(store.db);
    assert.notDeepEqual(icu.rows.map((r) => r.case_key), [...keys].sort());
    const collations = await sql<{ name: string | null }>`
      SELECT DISTINCT collation_name AS name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type = 'text'
        AND table_name <> 'kysely_migration'`.execute(store.db);
    assert.deepEqual(collations.rows, [{ name: "C" }]);
  }
});

Deno.test("two processes can write the same file database at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `file:${dir}/shared.db`;
    await (await open(url)).close();
    const writer =
      new URL("./testdata/concurrent_writer.ts", import.meta.url).pathname;
    const spawn = (name: string) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          ...DENO_RUN,
          writer,
          url,
          name,
          "200",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const outputs = await Promise.all([spawn("a"), spawn("b")]);
    for (const out of outputs) {
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    }
    await using store = await open(url);
    const rows = await store.db.selectFrom("labels")
      .select((eb) => ["labeller", eb.fn.countAll<number>().as("n")])
      .groupBy("labeller").orderBy("labeller").execute();
    assert.deepEqual(rows.map((r) => [r.labeller, Number(r.n)]), [
      ["a", 200],
      ["b", 200],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
