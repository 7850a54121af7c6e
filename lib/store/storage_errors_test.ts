import { sql } from "kysely";
import assert from "node:assert/strict";
import Database from "libsql";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { StorageError } from "../errors.ts";
import { experiment, resumeExperiment } from "../experiment/experiment.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { startHranaStub } from "./_hrana_stub.ts";
import {
  fillDisk,
  immutable,
  osToolsMissing,
  tinyDisk,
} from "./_test_utils.ts";
import { open, type Store } from "./open.ts";
import { listExperimentRuns } from "./runs.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const missing = await osToolsMissing();
// CI sets WB_REQUIRE_TOOLS=1 (.ci/run): there the tests below must run.
const required = Deno.env.get("WB_REQUIRE_TOOLS") === "1";
if (missing && !required) {
  // deno-lint-ignore no-console
  console.log(`storage failure tests skipped: ${missing}`);
}
const needsOs = { ignore: missing !== undefined && !required };

async function count(store: Store, table: string): Promise<number> {
  const row = (await sql.raw<{ n: number }>(
    `SELECT count(*) AS n FROM ${table}`,
  ).execute(store.db)).rows[0]!;
  return Number(row.n);
}

function isStorage(failure: string, database: string) {
  return (error: unknown) =>
    error instanceof StorageError && error.failure === failure &&
    error.database === database && error.message.includes(`"${database}"`);
}

/** The first calls of a run go through; then `fail` is called once. */
function failingAfter(calls: number, fail: () => Promise<void>) {
  let made = 0;
  return (config: ModelConfig) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      async call(request: Parameters<typeof inner.call>[0]) {
        if (++made === calls) await fail();
        return await inner.call(request);
      },
    };
  };
}

Deno.test({
  name:
    "a read-only database file reads, and a write fails with a StorageError naming it, writing nothing",
  ...needsOs,
  async fn() {
    if (missing) throw new Error(`WB_REQUIRE_TOOLS=1 but ${missing}`);
    const dir = await Deno.makeTempDir();
    try {
      const url = `file:${dir}/ro.db`;
      {
        await using store = await open(url);
        await loadCatalog(store, { root: ROOT });
      }
      const before = (await Deno.readFile(`${dir}/ro.db`)).length;
      await using _locked = await immutable(`${dir}/ro.db`);
      await using store = await open(url);
      assert.ok(await count(store, "prompt_versions") > 0);
      await assert.rejects(
        () =>
          experiment(store, {
            task: "support_triage",
            prompts: ["v1"],
            models: ["fake-fast"],
          }),
        isStorage("read_only", url),
      );
      assert.equal(await count(store, "runs"), 0);
      assert.equal((await Deno.readFile(`${dir}/ro.db`)).length, before);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a database in a directory that may not be written cannot be created: a StorageError says so",
  ...needsOs,
  async fn() {
    if (missing) throw new Error(`WB_REQUIRE_TOOLS=1 but ${missing}`);
    const dir = await Deno.makeTempDir();
    try {
      await using _locked = await immutable(dir);
      const url = `file:${dir}/new.db`;
      await assert.rejects(() => open(url), isStorage("cannot_open", url));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a disk that fills mid-run stops the run with disk_full; nothing is half-written and the run resumes",
  ...needsOs,
  async fn() {
    if (missing) throw new Error(`WB_REQUIRE_TOOLS=1 but ${missing}`);
    await using disk = await tinyDisk(8);
    const url = `file:${disk.path}/full.db`;
    await using store = await open(url);
    await loadCatalog(store, { root: ROOT });
    let ballast = "";
    const options = {
      task: "support_triage",
      prompts: ["v1"],
      models: ["fake-fast"],
      judge: "fake-judge",
      concurrency: 2,
    };
    await assert.rejects(
      () =>
        experiment(store, {
          ...options,
          adapterFor: failingAfter(40, async () => {
            ballast = await fillDisk(disk.path);
          }),
        }),
      isStorage("disk_full", url),
    );
    const [run] = await listExperimentRuns(
      store,
      (await store.db
        .selectFrom("runs").select("experiment_id").executeTakeFirstOrThrow())
        .experiment_id,
    );
    // Every committed cell is whole: its result has its receipts and events.
    const results = await count(store, "results");
    const orphans = Number(
      (await sql.raw<{ n: number }>(
        "SELECT count(*) AS n FROM results r LEFT JOIN model_io m ON m.id = r.generation_io_id WHERE m.id IS NULL",
      ).execute(store.db)).rows[0]!.n,
    );
    assert.equal(orphans, 0);
    assert.ok(results < 90, `${results} cells committed`);
    await Deno.remove(ballast);
    const resumed = await resumeExperiment(store, run!.id);
    assert.equal(resumed.runs[0]!.status, "completed");
    assert.equal(await count(store, "results"), 90);
  },
});

Deno.test("a lock held past the busy timeout fails the write with locked, naming the database", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `file:${dir}/busy.db`;
    await using store = await open(url, { busyTimeoutMs: 100 });
    // Another process's writer holds the lock.
    const other = new Database(`${dir}/busy.db`);
    try {
      other.exec("BEGIN IMMEDIATE");
      await assert.rejects(
        () => loadCatalog(store, { root: ROOT }),
        isStorage("locked", url),
      );
      other.exec("ROLLBACK");
    } finally {
      other.close();
    }
    assert.equal(await count(store, "prompt_versions"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a libSQL server that goes away mid-run stops the run with unreachable, and the run resumes on its return", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/server.db`;
    let server = startHranaStub({ path });
    let url = server.url;
    {
      await using store = await open(url);
      await loadCatalog(store, { root: ROOT });
      await assert.rejects(
        () =>
          experiment(store, {
            task: "support_triage",
            prompts: ["v1"],
            models: ["fake-fast"],
            concurrency: 2,
            adapterFor: failingAfter(30, () => server.close()),
          }),
        (error) =>
          error instanceof StorageError && error.failure === "unreachable" &&
          error.database === url,
      );
    }
    server = startHranaStub({ path });
    url = server.url;
    try {
      await using store = await open(url);
      const [run] = await store.db.selectFrom("runs").select("id").execute();
      const resumed = await resumeExperiment(store, run!.id);
      assert.equal(resumed.runs[0]!.status, "completed");
      assert.equal(await count(store, "results"), 90);
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
