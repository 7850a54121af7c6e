import { type Kysely, sql } from "kysely";
import assert from "node:assert/strict";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash, sha256Hex } from "../content/sha256.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { type Receipt, sealedContent } from "../schema/receipt.ts";
import { bodyRow, readBodies, requestBodies } from "./bodies.ts";
import { open, type Store } from "./open.ts";
import {
  findCachedReceipt,
  findCachedReceipts,
  insertCellRows,
  receiptRow,
} from "./runs.ts";
import { listReceiptFigures, listReceipts } from "./scores.ts";
import type { Database } from "./tables.ts";
import { eachStore } from "./test_stores.ts";

/** A system prompt long enough to be a request part of its own. */
const SYSTEM = `Answer briefly. ${
  "Score the answer against the rubric. ".repeat(10)
}`;

/** A receipt of run `run_b`; repetitions of a case share its request. */
function receipt(
  i: number,
  repetition: number,
  extra: Partial<Receipt> = {},
): Receipt {
  const text = `{"answer": "Résumé ${i}.${repetition} — 日本 \u{1F600}"}`;
  const body: Omit<Receipt, "sha256"> = {
    id: `io_${i}_${repetition}`,
    run_id: "run_b",
    trace_id: "trace_b",
    purpose: "generate",
    provider: "fake",
    model: "fake-fast-1",
    model_config_id: "fake-fast",
    request: {
      system: SYSTEM,
      messages: [{ role: "user", content: `case ${i}` }],
      params: { temperature: 0.2 },
    },
    response: {
      text,
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_tokens: null,
        cache_write_tokens: null,
      },
      response_id: `r${i}`,
      model: "fake-fast-1",
      stop_reason: "end",
      ...(repetition === 0 ? { connection_cold: true as const } : {}),
    },
    text,
    usage: {
      input_tokens: 10,
      output_tokens: 5,
      cache_read_tokens: null,
      cache_write_tokens: null,
    },
    cost: "0.000012",
    uncached_cost: "0.000012",
    currency: "USD",
    price_id: null,
    latency_ms: 12.5 + i,
    status: "ok",
    error: null,
    attempts: 1,
    cache_key: `key_${i}_${repetition}`,
    cached_from: null,
    provider_response_id: `r${i}`,
    stop_reason: "end",
    created_at: `2026-01-01T00:00:0${repetition}.000Z`,
    ...extra,
  };
  return { ...body, sha256: contentHash(body) };
}

async function write(store: Store, receipts: readonly Receipt[]) {
  const rows = receipts.map((r) => receiptRow(r));
  await insertCellRows(store, {
    receipts: rows.map((r) => r.receipt),
    bodies: rows.flatMap((r) => r.bodies),
    results: [],
    events: [],
  });
}

/** The ids of a run's receipts whose response marks the call cold. */
async function coldIds(store: Store): Promise<string[]> {
  return (await listReceiptFigures(store, "run_b"))
    .filter((f) => f.connection_cold === true).map((f) => f.id).sort();
}

async function count(store: Store, table: string): Promise<number> {
  const { rows } = await sql<
    { n: number | string }
  >`select count(*) as n from ${sql.table(table)}`.execute(store.db);
  return Number(rows[0]!.n);
}

eachStore.test("receipts store each distinct body once, idempotently, and read back as written", async ({ openStore }) => {
  await using store = await openStore();
  // Two cases x three repetitions: one system prompt, 2 requests (each
  // with a marker for the system prompt), 6 responses.
  const first = [0, 1].flatMap((i) => [0, 1, 2].map((r) => receipt(i, r)));
  await write(store, first);
  assert.equal(await count(store, "bodies"), 1 + 2 + 6);
  // A cache hit: its own id, the same request and the original's response.
  const hit = receipt(0, 0, {
    id: "io_hit",
    cached_from: "io_0_0",
    created_at: "2026-01-01T00:00:09.000Z",
  });
  await write(store, [hit]);
  assert.equal(await count(store, "bodies"), 9, "nothing new to store");

  const read = await listReceipts(store, "run_b");
  assert.deepEqual(
    read,
    [...first, hit].toSorted((a, b) =>
      a.created_at < b.created_at
        ? -1
        : a.created_at > b.created_at
        ? 1
        : a.id < b.id
        ? -1
        : 1
    ),
  );
  for (const r of read) {
    const { sha256, ...body } = r;
    assert.equal(contentHash(body), sha256, `receipt ${r.id}`);
  }
  // Each row names its bodies by the sha256 of their canonical JSON.
  const row = await store.db.selectFrom("model_io")
    .select(["request_sha256", "request_parts", "response_sha256"])
    .where("id", "=", "io_1_2").executeTakeFirstOrThrow();
  const { system, ...rest } = first[5]!.request;
  assert.equal(
    row.request_sha256,
    sha256Hex(canonicalize({ ...rest, system: "\u0000" })),
  );
  assert.deepEqual(JSON.parse(row.request_parts!), {
    system: sha256Hex(canonicalize(system)),
  });
  assert.equal(
    row.response_sha256,
    sha256Hex(canonicalize(first[5]!.response)),
  );

  assert.deepEqual(await coldIds(store), ["io_0_0", "io_1_0", "io_hit"]);

  const cached = await findCachedReceipts(store, ["key_1_1", "key_9_9"]);
  assert.deepEqual([...cached.keys()], ["key_1_1"]);
  assert.deepEqual(cached.get("key_1_1")!.response, first[4]!.response);
  assert.equal(
    cached.get("key_1_1")!.responseJson,
    canonicalize(first[4]!.response),
  );
  assert.deepEqual(await findCachedReceipt(store, "key_0_2"), first[2]);
  await assert.rejects(
    () => readBodies(store.db, ["f".repeat(64)]),
    NotFoundError,
  );
  await assert.rejects(
    () => sql`delete from bodies`.execute(store.db),
    /append-only/,
  );
});

eachStore.test("migration 0005 moves the bodies of receipts written before it, and keeps model_io append-only", async ({ dialect, databaseUrl }) => {
  const url = await databaseUrl();
  const receipts = [0, 1].flatMap((i) => [0, 1, 2].map((r) => receipt(i, r)));
  const withoutResponse = receipt(2, 0, {
    response: null,
    text: null,
    usage: null,
    status: "error",
    error: { kind: "server", message: "boom" },
  });
  receipts.push(withoutResponse);
  {
    // Put the database back as it was before 0005: model_io carrying its
    // bodies, no bodies table, 0005 not applied.
    await using store = await open(url);
    const real = dialect === "postgres" ? "double precision" : "real";
    for (
      const statement of [
        "drop view receipts",
        "drop table model_io",
        "drop table bodies",
        `create table model_io (id text primary key, run_id text, trace_id text,
          purpose text not null, provider text not null, model text not null,
          model_config_id text, request text not null, response text, text text,
          input_tokens integer, output_tokens integer, cache_read_tokens integer,
          cache_write_tokens integer, cost text, uncached_cost text, currency text,
          price_id text, latency_ms ${real} not null, status text not null,
          error text, attempts integer not null, cache_key text, cached_from text,
          provider_response_id text, stop_reason text, sha256 text not null,
          created_at text not null)`,
        "create index model_io_run on model_io (run_id)",
        "create index model_io_cache_key on model_io (cache_key)",
        `delete from kysely_migration where name in ('0005_stored_bodies', '0006_request_parts', '0007_receipt_references', '0008_connection_cold')`,
      ]
    ) await sql.raw(statement).execute(store.db);
    for (const r of receipts) {
      const {
        request_sha256: _q,
        request_parts: _p,
        response_sha256: _s,
        connection_cold: _c,
        ...rest
      } = receiptRow(r).receipt;
      await sql`insert into model_io ${
        sql.raw(`(${
          Object.keys(rest).map((c) => `"${c}"`).join(", ")
        }, "request", "response")`)
      } values (${
        sql.join([
          ...Object.values(rest),
          canonicalize(r.request),
          r.response === null ? null : canonicalize(r.response),
        ])
      })`.execute(store.db);
    }
  }
  await using store = await open(url);
  assert.equal(await count(store, "model_io"), receipts.length);
  assert.equal(await count(store, "bodies"), 3 + 6);
  assert.deepEqual(
    await listReceipts(store, "run_b"),
    receipts.toSorted((a, b) =>
      a.created_at < b.created_at
        ? -1
        : a.created_at > b.created_at
        ? 1
        : a.id < b.id
        ? -1
        : 1
    ),
  );
  assert.deepEqual(
    await coldIds(store),
    ["io_0_0", "io_1_0"],
  );
  await assert.rejects(
    () => sql`update model_io set cost = '1'`.execute(store.db),
    /append-only/,
  );
  // Writing after the migration still works: the response is one of the
  // moved bodies; the request is stored in parts (a marked body and the
  // system prompt, both new).
  await write(store, [receipt(0, 0, { id: "io_new" })]);
  assert.equal(await count(store, "bodies"), 11);
  assert.deepEqual(
    (await listReceipts(store, "run_b")).find((r) => r.id === "io_new")!
      .request,
    receipts[0]!.request,
  );
});

Deno.test("requestBodies() stores a request whole when its parts would not come back exactly", () => {
  // A nested member that looks like the marker, earlier in key order than
  // the real one: putting the part back would land in the wrong place.
  const request = {
    aaa: { system: "\u0000" },
    system: SYSTEM,
  };
  const canonical = canonicalize(request);
  const stored = requestBodies(request, canonical);
  assert.equal(stored.parts, null);
  assert.deepEqual(stored.bodies, [bodyRow(canonical)]);
  // Without the decoy the system prompt is a part of its own.
  const plain = requestBodies(
    { system: SYSTEM },
    canonicalize({ system: SYSTEM }),
  );
  assert.deepEqual(JSON.parse(plain.parts!), {
    system: sha256Hex(canonicalize(SYSTEM)),
  });
});

Deno.test("requestBodies() with its members' canonical JSON given stores exactly what it stores without", () => {
  const requests: Record<string, unknown>[] = [
    {
      system: SYSTEM,
      messages: [{ role: "user", content: `Case 1. ${"x".repeat(300)}` }],
      params: { temperature: 0.2, max_tokens: 1024 },
      repetition: 2,
      structured: undefined,
    },
    // The same system prompt again (its hash reused), a short request
    // (no parts), and the decoy that keeps a request whole.
    {
      system: SYSTEM,
      messages: [{ role: "user", content: "short" }],
      repetition: 0,
    },
    { system: "short", messages: [], repetition: 1 },
    { aaa: { system: "\u0000" }, system: SYSTEM },
    // A decoy inside an earlier part: putting that part back first would
    // put the decoy before the later part's marker.
    {
      messages: [{ system: "\u0000", content: "x".repeat(300) }],
      system: SYSTEM,
    },
  ];
  for (const request of requests) {
    const members: Record<string, string> = {};
    for (const [key, value] of Object.entries(request)) {
      if (value !== undefined) members[key] = canonicalize(value);
    }
    const canonical = canonicalize(request);
    assert.deepEqual(
      requestBodies(request, canonical, members),
      requestBodies(request, canonical),
    );
  }
  // Twice in a row (the second time from the remembered part row).
  const again = requestBodies(requests[0]!, canonicalize(requests[0]!));
  assert.equal(again.bodies[1]!.sha256, sha256Hex(canonicalize(SYSTEM)));
});

/**
 * A cache hit of `original`: its own id, run and times, the original's
 * response; sealed as a reference when `asReference`, as hits are written
 * now, over its whole content otherwise, as they were before 0007.
 */
function hitOf(
  original: Receipt,
  id: string,
  createdAt: string,
  asReference = false,
): Receipt {
  const { sha256: _, ...rest } = original;
  const body: Omit<Receipt, "sha256"> = {
    ...rest,
    id,
    run_id: "run_b",
    cost: "0",
    uncached_cost: original.cost,
    latency_ms: 0,
    attempts: 0,
    cached_from: original.id,
    ...(asReference ? { cached_sha256: original.sha256 } : {}),
    created_at: createdAt,
  };
  return { ...body, sha256: contentHash(sealedContent(body)) };
}

eachStore.test("a cache hit is stored as a reference to its original and reads back whole", async ({ openStore }) => {
  await using store = await openStore();
  const original = receipt(0, 0);
  await write(store, [original]);
  const hit = hitOf(original, "io_hit", "2026-01-01T00:00:09.000Z", true);
  const rows = receiptRow(hit);
  assert.deepEqual(rows.bodies, [], "no body of its own");
  await insertCellRows(store, {
    receipts: [rows.receipt],
    bodies: [],
    results: [],
    events: [],
  });
  const stored = await store.db.selectFrom("model_io").selectAll()
    .where("id", "=", "io_hit").executeTakeFirstOrThrow();
  // Nothing it shares with its original is repeated; the text of every
  // receipt is its response's, so no row repeats it.
  for (
    const column of [
      "request_sha256",
      "request_parts",
      "response_sha256",
      "text",
      "input_tokens",
      "output_tokens",
      "currency",
      "price_id",
      "provider_response_id",
      "stop_reason",
    ] as const
  ) assert.equal(stored[column], null, column);
  assert.equal(stored.cached_from, original.id);
  assert.equal(
    (await store.db.selectFrom("model_io").select("text")
      .where("id", "=", original.id).executeTakeFirstOrThrow()).text,
    null,
  );
  const read = await listReceipts(store, "run_b");
  assert.deepEqual(read, [original, hit]);
  for (const r of read) {
    assert.equal(contentHash(sealedContent(r)), r.sha256, `receipt ${r.id}`);
  }
  // Its sha256 covers its own fields and the original's sha256, not the
  // bodies: changing the original changes the hit's binding.
  assert.equal(
    contentHash({
      id: "io_hit",
      run_id: "run_b",
      trace_id: "trace_b",
      purpose: "generate",
      provider: "fake",
      model: "fake-fast-1",
      model_config_id: "fake-fast",
      cost: "0",
      uncached_cost: original.cost,
      latency_ms: 0,
      status: "ok",
      error: null,
      attempts: 0,
      cache_key: "key_0_0",
      cached_from: original.id,
      cached_sha256: original.sha256,
      created_at: "2026-01-01T00:00:09.000Z",
    }),
    hit.sha256,
  );
  // Figures read the original's usage; the hit's response is the
  // original's (cold), its cost its own.
  const figures = await listReceiptFigures(store, "run_b");
  assert.deepEqual(figures[1]!.usage, original.usage);
  assert.equal(figures[1]!.cost, "0");
  assert.deepEqual(await coldIds(store), ["io_0_0", "io_hit"]);
  // A cache lookup still finds the original, never the hit.
  assert.equal((await findCachedReceipt(store, "key_0_0"))!.id, original.id);
  assert.equal(
    (await findCachedReceipts(store, ["key_0_0"])).get("key_0_0")!.text,
    original.text,
  );
});

Deno.test("receiptRow() refuses a receipt whose text is not its response's where none is stored", () => {
  assert.throws(
    () => receiptRow(receipt(0, 0, { text: null })),
    (e) =>
      e instanceof ValidationError && /receipts\.io_0_0\.text/.test(e.message),
  );
  const { sha256: _, ...hit } = receipt(0, 0, {
    cached_from: "io_x",
    response: null,
  });
  assert.throws(
    () => receiptRow({ ...hit, sha256: contentHash(hit) }),
    (e) =>
      e instanceof ValidationError &&
      /receipts\.io_0_0\.response/.test(e.message),
  );
  // A text of its own (not the response's) is stored.
  assert.equal(
    receiptRow(receipt(0, 0, { text: "other" })).receipt.text,
    "other",
  );
});

/**
 * Puts the database at `url` back as it was before 0007 (no view, `text`
 * stored on every row, a hit repeating its original) holding `receipts`,
 * then runs `extra` statements.
 */
async function asBefore0007(
  url: string,
  dialect: string,
  receipts: readonly Receipt[],
  extra: readonly string[] = [],
): Promise<void> {
  await using store = await open(url);
  const real = dialect === "postgres" ? "double precision" : "real";
  for (
    const statement of [
      "drop view receipts",
      "drop table model_io",
      `create table model_io (id text primary key, run_id text, trace_id text,
        purpose text not null, provider text not null, model text not null,
        model_config_id text, request_sha256 text not null, response_sha256 text,
        text text, input_tokens integer, output_tokens integer,
        cache_read_tokens integer, cache_write_tokens integer, cost text,
        uncached_cost text, currency text, price_id text,
        latency_ms ${real} not null, status text not null, error text,
        attempts integer not null, cache_key text, cached_from text,
        provider_response_id text, stop_reason text, sha256 text not null,
        created_at text not null, request_parts text)`,
      `delete from kysely_migration where name in ('0007_receipt_references', '0008_connection_cold')`,
    ]
  ) await sql.raw(statement).execute(store.db);
  for (const r of receipts) {
    const rows = receiptRow(r);
    await store.db.insertInto("bodies").values(rows.bodies)
      .onConflict((oc) => oc.doNothing()).execute();
    const { connection_cold: _, ...before0008 } = rows.receipt;
    await store.db.insertInto("model_io").values({
      ...before0008,
      text: r.text,
    }).execute();
  }
  for (const statement of extra) await sql.raw(statement).execute(store.db);
}

/** A handle on the database at `url` that runs no migration. */
async function unmigrated(
  url: string,
): Promise<{ db: Kysely<Database>; close(): Promise<void> }> {
  if (url.startsWith("postgres")) {
    const { openPostgres } = await import("./_open_postgres.ts");
    return openPostgres(url, {
      busyTimeoutMs: 5000,
      poolSize: 1,
      database: url,
    });
  }
  const { openLibsql } = await import("./_open_libsql.ts");
  return await openLibsql(url, { busyTimeoutMs: 5000, database: url });
}

eachStore.test("migration 0007 runs in one transaction: failing at its last statement it changes nothing, and run again it completes", async ({ dialect, databaseUrl }) => {
  const url = await databaseUrl();
  const original = receipt(0, 0);
  const hit = hitOf(original, "io_hit", "2026-01-01T00:00:08.000Z");
  // A table where its view goes: 0007 fails at its last statement, after
  // rebuilding model_io, as a process killed there would.
  await asBefore0007(url, dialect, [original, hit], [
    "create table receipts (id text)",
  ]);
  await assert.rejects(() => open(url), /0007_receipt_references failed/);
  {
    const raw = await unmigrated(url);
    try {
      const rows = await raw.db.selectFrom("model_io").select([
        "id",
        "response_sha256",
        "text",
      ]).orderBy("id").execute();
      // The hit keeps its response and each text is still stored: the
      // rebuild was rolled back with the view that failed.
      assert.deepEqual(
        rows.map((r) => [r.id, r.response_sha256 !== null, r.text]),
        [
          ["io_0_0", true, original.text],
          ["io_hit", true, hit.text],
        ],
      );
      assert.deepEqual(
        (await sql<
          { name: string }
        >`select name from kysely_migration where name = '0007_receipt_references'`
          .execute(raw.db)).rows,
        [],
      );
      await sql.raw("drop table receipts").execute(raw.db);
    } finally {
      await raw.close();
    }
  }
  await using store = await open(url);
  assert.deepEqual(await listReceipts(store, "run_b"), [original, hit]);
  assert.equal(
    (await store.db.selectFrom("model_io").select("response_sha256")
      .where("id", "=", "io_hit").executeTakeFirstOrThrow()).response_sha256,
    null,
  );
});

eachStore.test("migration 0007 stores the cache hits written before it as references, and each text once", async ({ dialect, databaseUrl }) => {
  const url = await databaseUrl();
  const original = receipt(0, 0);
  const other = receipt(1, 0);
  const hit = hitOf(original, "io_hit", "2026-01-01T00:00:08.000Z");
  // A hit whose shared columns are not its original's is kept whole.
  const { sha256: _, ...odd } = hitOf(
    other,
    "io_odd",
    "2026-01-01T00:00:09.000Z",
  );
  const differing = { ...odd, stop_reason: "length" };
  const kept: Receipt = { ...differing, sha256: contentHash(differing) };
  const receipts = [original, other, hit, kept];
  await asBefore0007(url, dialect, receipts);
  await using store = await open(url);
  const stored = new Map(
    (await store.db.selectFrom("model_io").selectAll().execute())
      .map((r) => [r.id, r]),
  );
  assert.equal(stored.get("io_hit")!.response_sha256, null);
  assert.equal(stored.get("io_hit")!.input_tokens, null);
  // Its own request is kept: its sha256 covers its full content.
  assert.equal(
    stored.get("io_hit")!.request_sha256,
    stored.get(original.id)!.request_sha256,
  );
  assert.equal(stored.get("io_odd")!.stop_reason, "length");
  assert.notEqual(stored.get("io_odd")!.response_sha256, null);
  // 0008: a cold call's receipt says so in a column (read from its
  // response); a hit stored whole repeats its original's response, and so
  // its flag; a reference has none of its own and reads its original's.
  assert.deepEqual(
    [...stored.values()].map((r) => [r.id, r.connection_cold]).sort(),
    [["io_0_0", 1], ["io_1_0", 1], ["io_hit", null], ["io_odd", 1]],
  );
  assert.deepEqual(await coldIds(store), [
    "io_0_0",
    "io_1_0",
    "io_hit",
    "io_odd",
  ]);
  assert.ok([...stored.values()].every((r) => r.text === null));
  assert.deepEqual(
    await listReceipts(store, "run_b"),
    receipts.toSorted((a, b) => a.created_at < b.created_at ? -1 : 1),
  );
  // Rebuilt, model_io still refuses UPDATE and DELETE (and TRUNCATE on
  // PostgreSQL); the view is not a way around it.
  for (
    const statement of [
      "delete from model_io",
      "update model_io set cost = '1'",
      ...(dialect === "postgres"
        ? ["truncate model_io", "update receipts set cost = '1'"]
        : []),
    ]
  ) {
    await assert.rejects(
      () => sql.raw(statement).execute(store.db),
      dialect === "postgres" && statement.includes("receipts")
        ? /cannot update view/
        : /append-only/,
      statement,
    );
  }
  if (dialect !== "postgres") {
    await assert.rejects(
      () => sql`update receipts set cost = '1'`.execute(store.db),
      /cannot modify receipts because it is a view/,
    );
  }
  assert.equal(await count(store, "model_io"), receipts.length);
});

eachStore.test("findCachedReceipt() and findCachedReceipts() take the original made first of a key, by id within one millisecond", async ({ openStore }) => {
  await using store = await openStore();
  // Two originals of one key in one millisecond, the later one written
  // first (as two writers may): ids are made in order, so io_a came first.
  const same = {
    cache_key: "key_same",
    created_at: "2026-01-01T00:00:05.000Z",
  };
  await write(store, [receipt(7, 0, { ...same, id: "io_z" })]);
  await write(store, [receipt(8, 0, { ...same, id: "io_a" })]);
  assert.equal((await findCachedReceipt(store, "key_same"))?.id, "io_a");
  assert.equal(
    (await findCachedReceipts(store, ["key_same"])).get("key_same")?.id,
    "io_a",
  );
});
