import assert from "node:assert/strict";
import { createClient } from "@libsql/client/sqlite3";
import { Kysely, sql } from "kysely";
import { libsqlDialect } from "./_libsql_dialect.ts";

interface Tables {
  t: { id: number; v: string };
}

async function withDb(fn: (db: Kysely<Tables>) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const client = createClient({ url: `file:${dir}/d.db` });
  const db = new Kysely<Tables>({ dialect: libsqlDialect(client) });
  try {
    await sql`create table t (id integer primary key, v text not null)`
      .execute(db);
    await fn(db);
  } finally {
    await db.destroy();
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("libsqlDialect: a transaction commits its statements, a throw rolls them all back", async () => {
  await withDb(async (db) => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 1, v: "kept" }).execute();
      await trx.insertInto("t").values({ id: 2, v: "kept" }).execute();
    });
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("t").values({ id: 3, v: "lost" }).execute();
        throw new Error("boom");
      }),
      /boom/,
    );
    const rows = await db.selectFrom("t").select(["id", "v"]).orderBy("id")
      .execute();
    assert.deepEqual(rows, [{ id: 1, v: "kept" }, { id: 2, v: "kept" }]);
  });
});

Deno.test("libsqlDialect: results carry rows, affected rows and the inserted rowid", async () => {
  await withDb(async (db) => {
    const inserted = await db.insertInto("t").values({ id: 7, v: "a" })
      .executeTakeFirstOrThrow();
    assert.equal(inserted.insertId, 7n);
    const updated = await db.updateTable("t").set({ v: "b" }).where(
      "id",
      "=",
      7,
    )
      .executeTakeFirstOrThrow();
    assert.equal(updated.numUpdatedRows, 1n);
    assert.deepEqual(await db.selectFrom("t").selectAll().execute(), [
      { id: 7, v: "b" },
    ]);
  });
});
