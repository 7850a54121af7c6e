import assert from "node:assert/strict";
import { ConflictError, ValidationError } from "../errors.ts";
import { withImportTransaction } from "../store/bundle.ts";
import { open } from "../store/open.ts";
import { bundle } from "./bundle.ts";
import { importBundle } from "./import_bundle.ts";
import { dumpTables, writeFixture } from "./_test_fixture.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";

Deno.test("importBundle() reproduces the rows exactly on a second database, and twice changes nothing", async () => {
  await using source = await open(":memory:");
  const fixture = await writeFixture(source);
  const { text, sha256 } = await bundle(source, {
    comparison: fixture.comparison,
  });
  await using target = await open(":memory:");
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
  const again = await bundle(target, {
    comparison: fixture.comparison,
    now: () => JSON.parse(text!).created_at,
  });
  assert.equal(again.sha256, sha256);
});

Deno.test("importBundle() writes nothing from a tampered bundle", async () => {
  await using source = await open(":memory:");
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  const tampered = text!.replace("charged twice", "charged thrice");
  await using target = await open(":memory:");
  await assert.rejects(
    () => importBundle(target, tampered),
    (error: unknown) =>
      error instanceof ValidationError &&
      error.issues.some((issue) =>
        issue.file === "receipts" && issue.field === "io_run_baseline01_st-002"
      ),
  );
  const rows = await target.client.execute(
    "SELECT count(*) AS n FROM model_io",
  );
  assert.equal(rows.rows[0]!["n"], 0);
  const runs = await target.client.execute("SELECT count(*) AS n FROM runs");
  assert.equal(runs.rows[0]!["n"], 0);
});

Deno.test("importBundle() refuses an append-only row that exists with other content", async () => {
  await using source = await open(":memory:");
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  await using target = await open(":memory:");
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
  const rows = await target.client.execute("SELECT count(*) AS n FROM runs");
  assert.equal(rows.rows[0]!["n"], 0);
});

Deno.test("importBundle() accepts catalog rows that differ only in when they were loaded", async () => {
  await using source = await open(":memory:");
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  const versions = JSON.parse(text!).sections.prompt_versions as Record<
    string,
    unknown
  >[];
  assert.ok(versions.length > 0);
  await using target = await open(":memory:");
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

Deno.test("a database that imported a bundle can load the whole catalog afterwards", async () => {
  await using source = await open(":memory:");
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
  await using target = await open(":memory:");
  await importBundle(target, text!);
  // The bundle brought v1 and v3 only; loading fills v2, v4 and v5 in.
  const loaded = await loadCatalog(target);
  assert.equal(loaded.changed, true);
  const versions = await target.client.execute(
    "SELECT version FROM prompt_versions WHERE task = 'support_triage' ORDER BY version",
  );
  assert.deepEqual(versions.rows.map((r) => r[0]), [1, 2, 3, 4, 5]);
});

Deno.test("importBundle() keeps a mutable row that differs and reports it", async () => {
  await using source = await open(":memory:");
  const fixture = await writeFixture(source);
  const { text } = await bundle(source, { runs: [fixture.baseline] });
  await using target = await open(":memory:");
  await importBundle(target, text!);
  await target.client.execute(
    "UPDATE runs SET status = 'interrupted' WHERE id = 'run_baseline01'",
  );
  const result = await importBundle(target, text!);
  assert.deepEqual(result.differing, [{
    section: "runs",
    record: "run_baseline01",
  }]);
  const row = await target.client.execute(
    "SELECT status FROM runs WHERE id = 'run_baseline01'",
  );
  assert.equal(row.rows[0]!["status"], "interrupted");
});
