import assert from "node:assert/strict";
import { open } from "../store/open.ts";
import { latestScorecard } from "../store/scores.ts";
import { GOOD_MODEL, storeRun, WEAK_MODEL } from "./test_fixtures.ts";
import { scoreRun } from "./score_run.ts";

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
