import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import { open } from "../store/open.ts";
import {
  type CellPlace,
  storeWithRuns,
  type TestCell,
  testCells,
} from "../store/test_fixtures.ts";
import { simulateVerdicts } from "./simulate_verdicts.ts";

/** Repetition noise on every case: the score and accuracy alternate with the repetition. */
function noisy({ rep }: CellPlace): Partial<TestCell> {
  return {
    checks: { exact_match: rep % 2 === 0 ? 0.95 : 0.85 },
    rubric: {
      accuracy: rep % 3 === 0 ? 5 : 4,
      completeness: 4,
      grounding: 4,
      clarity: 4,
    },
  };
}

Deno.test("simulateVerdicts() decides each scenario the way its change asks", async () => {
  await using store = await open(":memory:");
  await storeWithRuns(
    store,
    testCells(24, noisy),
    testCells(
      24,
      (place) =>
        place.slice === "adversarial"
          ? { ...noisy(place), checks: { exact_match: 0.2 } }
          : noisy(place),
    ),
  );
  const result = await simulateVerdicts(store, {
    pool: "base",
    pairs: 12,
    scenarios: [
      { name: "unchanged", kind: "unchanged" },
      { name: "adversarial broken", kind: "pool", pool: "cand" },
      { name: "accuracy", kind: "dimension", dimension: "accuracy", delta: -1 },
      { name: "judge", kind: "judge_failure", share: 0.5 },
    ],
  });
  assert.equal(result.cases, 18);
  assert.equal(result.pool_repetitions, 24);
  assert.deepEqual(result.slice_cases, {
    typical: 6,
    edge: 6,
    known_failure: 3,
    adversarial: 3,
  });
  assert.deepEqual(result.dimensions, [
    "accuracy",
    "completeness",
    "grounding",
    "clarity",
  ]);
  // exact_match 0.9 -> 0.2 on average: the check part (with the injection
  // check) loses 0.35, the cell score half of it.
  assert.equal(
    result.pool_slice_deltas["adversarial broken"]!.adversarial,
    -0.175,
  );
  assert.equal(result.pool_slice_deltas["adversarial broken"]!.typical, 0);
  const row = (name: string) => result.rows.find((r) => r.scenario === name)!;
  assert.equal(row("unchanged").rejected_rate, 0);
  assert.ok(row("unchanged").counts.APPROVED >= 10);
  assert.equal(row("adversarial broken").counts.REJECTED, 12);
  assert.equal(row("adversarial broken").flagged["slice 'adversarial'"], 12);
  // Every judged cell loses a point of accuracy: -1 against -0.25.
  assert.equal(row("accuracy").counts.REJECTED, 12);
  // Half the candidate's cells unjudged: never approved, never settled.
  assert.equal(row("judge").counts.INCONCLUSIVE, 12);
  assert.deepEqual(row("judge").extra_calls, Array(12).fill(0));
  for (const r of result.rows) {
    assert.equal(r.pairs, 12);
    assert.equal(r.extra_calls.length, 12);
    assert.ok(r.extra_calls.every((x) => x >= 0 && x <= 1.5 + 1e-9));
  }
});

Deno.test("simulateVerdicts() settles an undecided limit by drawing more repetitions, within the budget", async () => {
  await using store = await open(":memory:");
  // The adversarial slice (3 cases) is very noisy (cell scores 1 and 0.6
  // alternate): 3 repetitions rarely clear -0.10, more do.
  const loud = (place: CellPlace): Partial<TestCell> =>
    place.slice === "adversarial"
      ? { checks: { exact_match: place.rep % 2 ? 0.2 : 1 } }
      : {};
  await storeWithRuns(store, testCells(40, loud), testCells(40, loud));
  const settled = await simulateVerdicts(store, {
    pool: "base",
    pairs: 10,
  });
  const once = await simulateVerdicts(store, {
    pool: "base",
    pairs: 10,
    settle: false,
  });
  const [s] = settled.rows;
  const [o] = once.rows;
  assert.ok(o!.looks.every((n) => n === 1));
  assert.ok(o!.counts.INCONCLUSIVE >= 3);
  assert.ok(
    s!.counts.APPROVED >= o!.counts.APPROVED + 3,
    "settling decides more",
  );
  assert.ok(s!.looks.some((n) => n > 1));
  // Extra calls: positive, and within 1.5 times the two runs.
  assert.ok(s!.extra_calls.at(-1)! > 0 && s!.extra_calls.at(-1)! <= 1.5);
});

Deno.test("simulateVerdicts() needs two disjoint draws of repetitions from the pools", async () => {
  await using store = await open(":memory:");
  await storeWithRuns(store, testCells(4), testCells(4));
  await assert.rejects(
    simulateVerdicts(store, { pool: "base", repetitions: [3] }),
    (e: unknown) =>
      e instanceof ValidationError && /needs at least 6/.test(e.message),
  );
});
