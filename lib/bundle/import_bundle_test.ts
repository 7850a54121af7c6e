import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import { withImportTransaction } from "../store/bundle.ts";
import type { Store } from "../store/open.ts";
import { bundle } from "./bundle.ts";
import { importBundle } from "./import_bundle.ts";
import { dumpTables, writeFixture } from "./_test_fixture.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";

/** How many rows a table holds. */
async function count(
  store: Store,
  table: "model_io" | "runs",
): Promise<number> {
  const row = await store.db.selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

eachStore.test("importBundle() reproduces the rows exactly on a second database, and twice changes nothing", async ({ openStore }) => {
  await using source = await openStore();
  const fixture = await writeFixture(source);
  const { text, sha256 } = await bundle(source, {
    comparison: fixture.comparison,
  });
  await using target = await openStore();
  const first = await importBundle(target, text!);
  assert.equal(first.sha256, sha256);
  assert.equal(first.inserted.receipts, 6);
  assert.equal(first.inserted.runs, 2);
  assert.deepEqual(first.differing, []);
  assert.deepEqual(await dumpTables(target), await dumpTables(source));

  const before = await dumpTables(target);
  const second = await importBundle(target, text!);
  assert.equal(
    Object.values(second.inserted).reduce((a, b) => a + b, 0),
    0,
  );
  assert.equal(second.unchanged.trace_events, first.inserted.trace_events);
  assert.deepEqual(await dumpTables(target), before);

  // A bundle made from the copy is the same bundle.
  const again = await bundle(target, { comparison: fixture.comparison });
  assert.equal(again.sha256, sha256);
});

eachStore.test("importBundle() writes nothing from a tampered bundle", async ({ openStore }) => {
  await using source = await openStore();
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  const tampered = text!.replace("charged twice", "charged thrice");
  await using target = await openStore();
  await assert.rejects(
    () => importBundle(target, tampered),
    (error: unknown) =>
      error instanceof ValidationError &&
      error.issues.some((issue) =>
        issue.file === "receipts" && issue.field === "io_run_baseline01_st-002"
      ),
  );
  assert.equal(await count(target, "model_io"), 0);
  assert.equal(await count(target, "runs"), 0);
});

eachStore.test("importBundle() refuses an append-only row that exists with other content", async ({ openStore }) => {
  await using source = await openStore();
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  await using target = await openStore();
  await withImportTransaction(
    target,
    (writer) =>
      writer.write("prompt_versions", [{
        id: "support_triage@v1",
        task: "support_triage",
        version: 1,
        system: "something else",
        template: "t",
        params: {},
        sha256: "0".repeat(64),
        author: "eve",
        note: "n",
        created_at: "2026-01-01T00:00:00.000Z",
      }]),
  );
  await assert.rejects(
    () => importBundle(target, text!),
    (error: unknown) =>
      error instanceof ConflictError &&
      /prompt_versions 'support_triage@v1'/.test(error.message),
  );
  assert.equal(await count(target, "runs"), 0);
});

eachStore.test("importBundle() accepts catalog rows that differ only in when they were loaded", async ({ openStore }) => {
  await using source = await openStore();
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  const versions = JSON.parse(text!).sections.prompt_versions as Record<
    string,
    unknown
  >[];
  assert.ok(versions.length > 0);
  await using target = await openStore();
  // The same catalog, loaded here at another time.
  await withImportTransaction(
    target,
    (writer) =>
      writer.write(
        "prompt_versions",
        versions.map((v) => ({ ...v, created_at: "2020-01-01T00:00:00.000Z" })),
      ),
  );
  const result = await importBundle(target, text!);
  assert.equal(result.inserted.runs, 1);
  assert.equal(result.unchanged.prompt_versions, versions.length);
  assert.deepEqual(result.differing, []);
});

eachStore.test("a database that imported a bundle can load the whole catalog afterwards", async ({ openStore }) => {
  await using source = await openStore();
  await loadCatalog(source);
  const { runs } = await experiment(source, {
    task: "support_triage",
    prompts: ["v1", "v3"],
    models: ["fake-fast"],
    cases: ["st-001"],
    repetitions: 1,
    allowFewerRepetitions: true,
  });
  const { text } = await bundle(source, { runs: runs.map((r) => r.run_id) });
  await using target = await openStore();
  await importBundle(target, text!);
  // The bundle brought v1 and v3 only; loading fills v2, v4 and v5 in.
  const loaded = await loadCatalog(target);
  assert.equal(loaded.changed, true);
  const versions = await target.db.selectFrom("prompt_versions")
    .select("version").where("task", "=", "support_triage").orderBy("version")
    .execute();
  assert.deepEqual(versions.map((r) => r.version), [1, 2, 3, 4, 5]);
});

eachStore.test("importBundle() keeps a mutable row that differs and reports it", async ({ openStore }) => {
  await using source = await openStore();
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  await using target = await openStore();
  await importBundle(target, text!);
  await target.db.updateTable("runs").set({ status: "interrupted" })
    .where("id", "=", "run_baseline01").execute();
  const result = await importBundle(target, text!);
  assert.deepEqual(result.differing, [{
    section: "runs",
    record: "run_baseline01",
  }]);
  const row = await target.db.selectFrom("runs").select("status")
    .where("id", "=", "run_baseline01").executeTakeFirstOrThrow();
  assert.equal(row.status, "interrupted");
});
