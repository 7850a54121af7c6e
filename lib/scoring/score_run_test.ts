import assert from "node:assert/strict";
import { open } from "../store/open.ts";
import {
  latestScorecard,
  listResults,
  listScoredCells,
} from "../store/scores.ts";
import { getTask } from "../store/catalog.ts";
import { getRun } from "../store/runs.ts";
import { listRunReceiptFigures } from "../store/production.ts";
import { eachStore } from "../store/test_stores.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { computeScorecard } from "./compute_scorecard.ts";
import { GOOD_MODEL, storeRun, WEAK_MODEL } from "./test_fixtures.ts";
import { pipelineStepEvents, runCalibration, scoreRun } from "./score_run.ts";

Deno.test("scoreRun() scores a stored run from its results and receipts and stores the card", async () => {
  await using store = await open(":memory:");
  await storeRun(store, { id: "run_good", answer: GOOD_MODEL });
  const { scorecard, sha256 } = await scoreRun(store, "run_good");
  assert.equal(scorecard.cells, 6);
  assert.equal(scorecard.cases, 3);
  assert.ok(scorecard.aggregate!.estimate > 0.8, `${scorecard.aggregate}`);
  assert.equal(scorecard.failures.rate, 0);
  assert.equal(scorecard.injection.success_rate, 0);
  assert.equal(scorecard.judge.error_rate, 0);
  assert.equal(scorecard.cost.generation, "0.006000");
  assert.equal(scorecard.cost.judge, "0.003000");
  assert.equal(scorecard.tokens.generation.input, 600);
  assert.equal((await latestScorecard(store, "run_good"))?.sha256, sha256);
  const again = await scoreRun(store, "run_good");
  assert.equal(again.sha256, sha256);
});

Deno.test("scoreRun() sees a weak model's failures, injections and low dimensions", async () => {
  await using store = await open(":memory:");
  await storeRun(store, { id: "run_weak", answer: WEAK_MODEL });
  await storeRun(store, { id: "run_good", answer: GOOD_MODEL });
  const weak = (await scoreRun(store, "run_weak")).scorecard;
  const good = (await scoreRun(store, "run_good")).scorecard;
  assert.ok(weak.aggregate!.estimate < good.aggregate!.estimate - 0.3);
  assert.equal(weak.injection.success_rate, 1);
  assert.equal(weak.failures.provider_error, 2);
  assert.equal(weak.failures.invalid_output, 2);
  assert.ok(
    weak.dimensions.injection_resistance!.mean!.estimate <
      good.dimensions.injection_resistance!.mean!.estimate - 2,
  );
});

eachStore.test("scoreRun() reads cells reduced as they are read; its card is the one computed from whole rows", async ({ databaseUrl }) => {
  // A jury's run (dimensions, jurors) and a weak model's run (provider
  // errors, invalid outputs, injections, three slices), each in its store.
  // On libSQL a database file: the rows are read by one stepped statement.
  await using juryStore = await open(await databaseUrl());
  await loadCatalog(juryStore);
  const { runs } = await experiment(juryStore, {
    task: "support_triage",
    prompts: ["v2"],
    models: ["fake-fast"],
    cases: ["st-001", "st-002", "st-005", "st-019", "st-028", "st-029"],
    jury: ["fake-judge-lenient", "fake-judge-strict"],
  });
  await using weakStore = await open(await databaseUrl());
  await storeRun(weakStore, { id: "run_weak", answer: WEAK_MODEL });
  for (
    const [store, runId] of [
      [juryStore, runs[0]!.run_id],
      [weakStore, "run_weak"],
    ] as const
  ) {
    const run = await getRun(store, runId);
    const results = await listResults(store, run.id);
    const whole = computeScorecard({
      task: await getTask(store, run.task, { id: run.task_id }),
      results,
      receipts: await listRunReceiptFigures(store, run, results),
      run,
      calibration: await runCalibration(store, run),
      stepEvents: await pipelineStepEvents(store, run),
    });
    const scored = await scoreRun(store, run.id);
    assert.deepEqual(scored.scorecard, whole);
    assert.equal((await latestScorecard(store, run.id))?.sha256, scored.sha256);
    // Read a few rows at a time, the cells are the same.
    const cells = await listScoredCells(store, run.id);
    assert.equal(cells.length, results.length);
    assert.deepEqual(await listScoredCells(store, run.id, 5), cells);
    assert.ok(cells.every((c) => !("output" in c)));
  }
  const jury = (await scoreRun(juryStore, runs[0]!.run_id)).scorecard;
  assert.ok(jury.judge.jury !== undefined && jury.judge.judged > 0);
  const weak = (await scoreRun(weakStore, "run_weak")).scorecard;
  assert.ok(
    weak.failures.provider_error > 0 && weak.failures.invalid_output > 0,
  );
  assert.ok(Object.values(weak.slices).filter((s) => s.cases > 0).length >= 2);
});

eachStore.test("scoreRun() folds the rows it reads into the card computed from whole arrays before", async ({ databaseUrl }) => {
  // The sha256 of each card as main computed it (at 2d3ce46) from lists of
  // every cell and receipt; scoreRun now holds neither.
  await using store = await open(await databaseUrl());
  await storeRun(store, { id: "run_weak", answer: WEAK_MODEL });
  await storeRun(store, { id: "run_good", answer: GOOD_MODEL });
  assert.equal(
    (await scoreRun(store, "run_weak")).sha256,
    "7462e2f09b78faab2156e51c91604528b15f05e2e6b645f4cb7daf0947a21633",
  );
  assert.equal(
    (await scoreRun(store, "run_good")).sha256,
    "0928b7f3f5169d989600f80944056cb1fb25c4cd5e3a33d2b721ed0413db1d05",
  );
});
