import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { ValidationError } from "../errors.ts";
import {
  type CellPlace,
  storeWithRuns,
  type TestCell,
  testCells,
} from "../store/test_fixtures.ts";
import { simulateVerdicts } from "./simulate_verdicts.ts";

/** Repetition noise on every typical case: the score alternates with the repetition. */
function noisy({ slice, rep }: CellPlace): Partial<TestCell> {
  return slice === "typical"
    ? { checks: { exact_match: rep % 2 === 0 ? 0.9 : 0.7 } }
    : {};
}

eachStore.test("simulateVerdicts() approves unchanged pairs and catches an injected regression", async ({ openStore }) => {
  await using store = await openStore();
  await storeWithRuns(
    store,
    testCells(6, noisy),
    testCells(
      6,
      (place) =>
        place.slice === "adversarial"
          ? { checks: { exact_match: 0 } }
          : noisy(place),
    ),
  );
  const result = await simulateVerdicts(store, {
    pool: "base",
    regressedPool: "cand",
    pairs: 5,
    repetitions: [3],
    resamples: 200,
  });
  assert.equal(result.cases, 18);
  assert.equal(result.pool_repetitions, 6);
  assert.equal(result.pool_slice_deltas.adversarial, -0.25);
  assert.equal(result.pool_slice_deltas.typical, 0);
  assert.equal(result.rows.length, 2 * 3);
  for (const row of result.rows) {
    assert.equal(row.pairs, 5);
    if (row.scenario === "regressed") {
      assert.equal(row.counts.REJECTED, 5, `${row.mode} rejects`);
      assert.equal(row.flagged["slice 'adversarial'"], 5);
    } else {
      assert.equal(row.rejected_rate, 0, `${row.mode} never rejects`);
    }
  }
});

eachStore.test("simulateVerdicts() needs two disjoint draws of repetitions from the pools", async ({ openStore }) => {
  await using store = await openStore();
  await storeWithRuns(store, testCells(4), testCells(4));
  await assert.rejects(
    simulateVerdicts(store, {
      pool: "base",
      regressedPool: "cand",
      repetitions: [3],
    }),
    (e: unknown) =>
      e instanceof ValidationError && /needs at least 6/.test(e.message),
  );
});
