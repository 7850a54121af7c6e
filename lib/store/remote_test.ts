import { sql } from "kysely";
import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { compare } from "../compare/compare.ts";
import { VERDICTS } from "../compare/verdict.ts";
import { experiment } from "../experiment/experiment.ts";
import { startHranaStub } from "./_hrana_stub.ts";
import { appliedMigrations, open, type Store } from "./open.ts";
import { listResults } from "./scores.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "wb-test-token-123";
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

/** The first three case ids of the support_triage dataset. */
async function caseIds(): Promise<string[]> {
  const text = await Deno.readTextFile(
    `${ROOT}datasets/support_triage.jsonl`,
  );
  return text.split("\n").filter((line) => line.trim() !== "").slice(0, 3)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

/** Whether the server's database files (main and WAL) contain `needle`. */
async function filesContain(path: string, needle: string): Promise<boolean> {
  let found = false;
  for (const file of [path, `${path}-wal`]) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    // latin1 keeps every byte as one character, so an ASCII needle is found
    // wherever its bytes are.
    if (new TextDecoder("latin1").decode(bytes).includes(needle)) found = true;
  }
  return found;
}

function assertEveryRequestAuthorized(
  requests: readonly { authorization: string | null }[],
): void {
  assert.ok(requests.length > 0, "the server received no request");
  for (const request of requests) {
    assert.equal(request.authorization, `Bearer ${TOKEN}`);
  }
}

/** Runs the toolkit's main path: catalog, experiment, compare, bundle. */
async function mainPath(store: Store, cases: string[]) {
  const catalog = await loadCatalog(store, { root: ROOT });
  const result = await experiment(store, {
    task: "support_triage",
    prompts: ["v3", "v5"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases,
    repetitions: 3,
  });
  const [baseline, candidate] = result.runs;
  const comparison = await compare(store, {
    baseline: baseline!.run_id,
    candidate: candidate!.run_id,
  });
  const written = await bundle(store, { comparison: comparison.id });
  return { catalog, result, comparison, written };
}

Deno.test("open() migrates a libSQL server's database, sending the auth token", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = startHranaStub({
      path: `${dir}/server.db`,
      authToken: TOKEN,
    });
    {
      await using store = await open(server.url, { authToken: TOKEN });
      assert.equal(store.url, server.url);
      assert.deepEqual(await appliedMigrations(store), MIGRATED);
      await sql`INSERT INTO prompt_versions (id, task, version, system, template, params, sha256, author, note, created_at)
         VALUES ('t@v1', 't', 1, 's', 'x', '{}', 'h', 'a', 'n', '2026-01-01T00:00:00Z')`
        .execute(store.db);
      await assert.rejects(
        () =>
          sql`UPDATE prompt_versions SET template = 'edited' WHERE id = 't@v1'`
            .execute(store.db),
        /prompt_versions is append-only: UPDATE is refused/,
      );
      const row = await sql<
        { template: string }
      >`SELECT template FROM prompt_versions`
        .execute(store.db);
      assert.deepEqual(row.rows, [{ template: "x" }]);
    }
    // Reopening finds the migration applied on the server.
    {
      await using store = await open(server.url, { authToken: TOKEN });
      assert.deepEqual(await appliedMigrations(store), MIGRATED);
    }
    assert.ok(server.requests.every((r) => r.path === "/v2/pipeline"));
    assertEveryRequestAuthorized(server.requests);
    assert.equal(server.openStreams(), 0);
    // A token given in the URL works, and the store's URL drops it.
    {
      await using store = await open(`${server.url}?authToken=${TOKEN}`);
      assert.deepEqual(await appliedMigrations(store), MIGRATED);
      assert.equal(store.url.includes(TOKEN), false);
      assert.equal(new URL(store.url).host, new URL(server.url).host);
    }
    // Without the token the server refuses.
    await assert.rejects(() => open(server.url), /Unauthorized/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("experiment(), compare() and bundle() run against a libSQL server as against a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases = await caseIds();
    const server = startHranaStub({
      path: `${dir}/server.db`,
      authToken: TOKEN,
    });
    let remote;
    try {
      await using store = await open(server.url, { authToken: TOKEN });
      remote = await mainPath(store, cases);
      assert.equal(remote.catalog.tasks.length > 0, true);
      assert.equal(remote.result.runs.length, 2);
      for (const run of remote.result.runs) {
        assert.equal(run.status, "completed");
        assert.equal(run.cells, 9);
        assert.equal(run.committed, 9);
        assert.equal(run.failures, 0);
        assert.equal(run.judge_errors, 0);
        assert.notEqual(run.scorecard_sha256, null);
        const cells = await listResults(store, run.run_id);
        assert.equal(cells.length, 9);
        assert.deepEqual(
          [...new Set(cells.map((c) => c.case_key))].sort(),
          [...cases].sort(),
        );
      }
      assert.ok(VERDICTS.includes(remote.comparison.verdict));
      assert.equal(remote.comparison.paired_cases, 3);
      const verified = await verifyBundle(remote.written.text!);
      assert.equal(verified.ok, true, verified.summary);
      assert.equal(verified.sha256, remote.written.sha256);
      assert.equal(verified.counts.runs, 2);
      assert.equal(verified.counts.results, 18);
      assert.equal(verified.counts.comparisons, 1);
    } finally {
      await server.close();
    }
    assertEveryRequestAuthorized(server.requests);
    assert.equal(server.openStreams(), 0);
    assert.equal(await filesContain(server.path, TOKEN), false);
    // The same work on a local file reaches the same verdict.
    await using local = await open(`file:${dir}/local.db`);
    const here = await mainPath(local, cases);
    assert.equal(here.comparison.verdict, remote.comparison.verdict);
    assert.deepEqual(here.comparison.reasons, remote.comparison.reasons);
    assert.deepEqual(here.written.counts, remote.written.counts);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("open() reaches a libSQL server through WB_DATABASE_URL and WB_DATABASE_AUTH_TOKEN", async () => {
  const dir = await Deno.makeTempDir();
  const saved = {
    url: Deno.env.get("WB_DATABASE_URL"),
    token: Deno.env.get("WB_DATABASE_AUTH_TOKEN"),
  };
  const restore = (name: string, value: string | undefined) =>
    value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value);
  try {
    const server = startHranaStub({
      path: `${dir}/server.db`,
      authToken: TOKEN,
    });
    try {
      // open() reads both variables before its first await, so they are
      // restored at once: test files running in parallel share the process's
      // environment.
      Deno.env.set("WB_DATABASE_URL", server.url);
      Deno.env.set("WB_DATABASE_AUTH_TOKEN", TOKEN);
      let opening: Promise<Store>;
      try {
        opening = open();
      } finally {
        restore("WB_DATABASE_URL", saved.url);
        restore("WB_DATABASE_AUTH_TOKEN", saved.token);
      }
      await using store = await opening;
      assert.equal(store.url, server.url);
      assert.deepEqual(await appliedMigrations(store), MIGRATED);
      await loadCatalog(store, { root: ROOT });
    } finally {
      await server.close();
    }
    assert.equal(Deno.env.get("WB_DATABASE_URL"), saved.url);
    assert.equal(Deno.env.get("WB_DATABASE_AUTH_TOKEN"), saved.token);
    assertEveryRequestAuthorized(server.requests);
    assert.equal(await filesContain(server.path, TOKEN), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
