import assert from "node:assert/strict";
import { listRuns, listRunsBrief } from "./runs.ts";
import { eachStore } from "./test_stores.ts";
import { insertTestRun } from "./test_fixtures.ts";

eachStore.test("listRuns() and listRunsBrief() list runs of one millisecond in one order, newest id first", async ({ openStore }) => {
  await using store = await openStore();
  // Runs planned together share their created_at; written out of id order.
  for (const id of ["run_b", "run_c", "run_a"]) {
    await insertTestRun(store, {
      id,
      task: "t",
      prompt_version_id: "t@v1",
      cells: [],
    });
  }
  const newestFirst = ["run_c", "run_b", "run_a"];
  assert.deepEqual((await listRuns(store)).map((r) => r.id), newestFirst);
  assert.deepEqual((await listRunsBrief(store)).map((r) => r.id), newestFirst);
});
