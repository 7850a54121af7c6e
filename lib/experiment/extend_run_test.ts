import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { ValidationError } from "../errors.ts";
import { open } from "../store/open.ts";
import { getRun, listExperimentRuns } from "../store/runs.ts";
import { listResults } from "../store/scores.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import { experiment } from "./experiment.ts";
import { extendRun } from "./extend_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("extendRun() adds repetitions of the named cases only, with receipts, events and a new scorecard", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const { runs } = await experiment(store, {
    task: "support_triage",
    prompts: ["v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["st-001", "st-002", "st-003"],
  });
  const base = runs[0]!;
  const more = await extendRun(store, base.run_id, {
    cells: [{ case_key: "st-002", repetitions: 6 }],
  });
  assert.equal(more.status, "completed");
  assert.equal(more.committed, 3);
  assert.equal(more.resumed, 9);
  assert.equal(more.cells, 12);
  assert.notEqual(more.scorecard_sha256, base.scorecard_sha256);
  const results = await listResults(store, base.run_id);
  const perCase = Map.groupBy(results, (r) => r.case_key);
  assert.deepEqual(
    perCase.get("st-002")!.map((r) => r.repetition).toSorted(),
    [0, 1, 2, 3, 4, 5],
  );
  assert.equal(perCase.get("st-001")!.length, 3);
  const run = await getRun(store, base.run_id);
  assert.equal(run.repetitions, 3);
  const events = await listTraceEvents(store, run.trace_id);
  assert.equal(verifyChain(events), null);
  const extended = events.find((e) => e.type === "run_extended");
  assert.deepEqual(
    (extended?.data as { cells: unknown[] }).cells,
    [3, 4, 5].map((repetition) => ({ case: "st-002", repetition })),
  );
  // Asking again for what is there makes no call.
  const again = await extendRun(store, base.run_id, {
    cells: [{ case_key: "st-002", repetitions: 4 }],
  });
  assert.equal(again.committed, 0);
  assert.equal(again.adapter_calls, 0);
});

Deno.test("extendRun() refuses an unknown case or an unfinished run and writes nothing", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const stop = new AbortController();
  stop.abort();
  const planned = await experiment(store, {
    task: "support_triage",
    prompts: ["v3"],
    models: ["fake-fast"],
    cases: ["st-001"],
    signal: stop.signal,
  });
  const [run] = await listExperimentRuns(store, planned.experiment_id);
  const count = async () =>
    Number(
      (await store.db.selectFrom("trace_events")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()).n,
    );
  const before = await count();
  await assert.rejects(
    () =>
      extendRun(store, run!.id, {
        cells: [{ case_key: "st-001", repetitions: 5 }],
      }),
    (error) =>
      error instanceof ValidationError &&
      /is planned: only a completed run is extended/.test(error.message),
  );
  const { runs: done } = await experiment(store, {
    task: "support_triage",
    prompts: ["v3"],
    models: ["fake-fast"],
    cases: ["st-001"],
  });
  const after = await count();
  await assert.rejects(
    () =>
      extendRun(store, done[0]!.run_id, {
        cells: [{ case_key: "st-999", repetitions: 5 }],
      }),
    /case "st-999" is not in run/,
  );
  await assert.rejects(
    () =>
      extendRun(store, done[0]!.run_id, {
        cells: [{ case_key: "st-001", repetitions: 0 }],
      }),
    /positive integer but found 0/,
  );
  assert.ok(after > before);
  assert.equal(await count(), after);
});
