import assert from "node:assert/strict";
import { appliedMigrations, open } from "./open.ts";
import { APPEND_ONLY_TABLES, MIGRATIONS } from "./migrations.ts";

Deno.test("open() migrates a new database and is idempotent on reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `file:${dir}/wb.db`;
    const first = await open(url);
    assert.deepEqual(await appliedMigrations(first), Object.keys(MIGRATIONS));
    await first.close();
    const second = await open(url);
    assert.deepEqual(await appliedMigrations(second), Object.keys(MIGRATIONS));
    const mode = await second.client.execute("PRAGMA journal_mode");
    assert.equal(mode.rows[0]?.[0], "wal");
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

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
          store.client.execute("PRAGMA busy_timeout"),
          store.client.execute("PRAGMA foreign_keys"),
        ]);
        return [timeout.rows[0]?.[0], keys.rows[0]?.[0]];
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

Deno.test("open() refuses an unsupported URL scheme", async () => {
  await assert.rejects(
    () => open("postgres://x"),
    /Unsupported database URL 'postgres:\/\/x'/,
  );
});

Deno.test("append-only tables refuse raw SQL UPDATE and DELETE", async () => {
  await using store = await open(":memory:");
  await store.client.execute(
    `INSERT INTO prompt_versions (id, task, version, system, template, params, sha256, author, note, created_at)
     VALUES ('t@v1', 't', 1, 's', 'x', '{}', 'h', 'a', 'n', '2026-01-01T00:00:00Z')`,
  );
  await assert.rejects(
    () =>
      store.client.execute(
        "UPDATE prompt_versions SET template = 'edited' WHERE id = 't@v1'",
      ),
    /prompt_versions is append-only: UPDATE is refused/,
  );
  await assert.rejects(
    () => store.client.execute("DELETE FROM prompt_versions"),
    /prompt_versions is append-only: DELETE is refused/,
  );
  const row = await store.client.execute(
    "SELECT template FROM prompt_versions",
  );
  assert.equal(row.rows[0]?.[0], "x");
  const triggers = await store.client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
  );
  const names = new Set(triggers.rows.map((r) => String(r[0])));
  for (const table of APPEND_ONLY_TABLES) {
    assert.ok(names.has(`${table}_no_update`), `${table} has no UPDATE guard`);
    assert.ok(names.has(`${table}_no_delete`), `${table} has no DELETE guard`);
  }
});

Deno.test("two processes can write the same file database at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `file:${dir}/shared.db`;
    (await open(url)).close();
    const writer =
      new URL("./testdata/concurrent_writer.ts", import.meta.url).pathname;
    const spawn = (name: string) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-ffi",
          "--allow-sys",
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
    const rows = await store.client.execute(
      "SELECT actor, count(*) AS n FROM labels GROUP BY actor ORDER BY actor"
        .replaceAll("actor", "labeller"),
    );
    assert.deepEqual(rows.rows.map((r) => [r[0], Number(r[1])]), [["a", 200], [
      "b",
      200,
    ]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
