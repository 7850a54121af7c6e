import assert from "node:assert/strict";
import type { Measured } from "./_measure.ts";
import { planSettle } from "./_settle_plan.ts";

/** An undecided drop over the named cases, 3 repetitions each, per-repetition variance `v` in each run. */
function open(
  name: string,
  cases: readonly string[],
  delta: number,
  v: number,
): Measured {
  const k = cases.length;
  const se = Math.sqrt((2 * v / 3) / k);
  return {
    kind: "slice",
    name,
    worse: "drop",
    baseline: 0.8,
    candidate: 0.8 + delta,
    delta,
    cases: k,
    conditional: {
      se,
      df: 1e9,
      noise: {
        baseline: v,
        candidate: v,
        covariance: 0,
        df: 1e9,
        pooled: "check",
      },
      case_keys: cases,
      counts: {
        nb: cases.map(() => 3),
        nc: cases.map(() => 3),
        shared: cases.map(() => 3),
      },
    },
    case_interval: null,
    unmeasured: null,
  };
}

const z = 1.6448536269514722;
const small = ["a1", "a2", "a3"];

Deno.test("planSettle() repeats only the cases of the undecided limit, evenly, until it is projected decided", () => {
  // Delta 0 against -0.10 with a per-repetition variance of 0.02: the
  // standard error must reach 0.1 / (1.645 + 0.994) = 0.0379, a variance
  // of 0.0014356 = sum_i (0.04 / n_i) / 9: 10, 9 and 9 repetitions give
  // 0.0014321, the first allocation that gets there (7 + 6 + 6 more).
  const plan = planSettle([{
    measured: open("adversarial", small, 0, 0.02),
    limit: -0.1,
    critical: z,
  }], { cost: () => 2, budget: 1000, repetitions: () => 3 });
  assert.deepEqual([...plan].sort(), [["a1", 7], ["a2", 6], ["a3", 6]]);
});

Deno.test("planSettle() stops at the budget and at three times a case's repetitions", () => {
  const limit = {
    measured: open("adversarial", small, 0, 0.02),
    limit: -0.1,
    critical: z,
  };
  const poor = planSettle([limit], {
    cost: () => 2,
    budget: 9,
    repetitions: () => 3,
  });
  // 9 units buy 4 repetitions at 2 units each.
  assert.equal([...poor.values()].reduce((s, n) => s + n, 0), 4);
  const capped = planSettle([limit], {
    cost: () => 1,
    budget: 1000,
    repetitions: () => 1,
  });
  assert.ok([...capped.values()].every((n) => n <= 3));
});

Deno.test("planSettle() buys nothing for a limit without noise or when nothing is open", () => {
  const still = open("edge", ["e1"], -0.05, 0.02);
  const flat: Measured = {
    ...still,
    conditional: { ...still.conditional!, se: 0 },
  };
  assert.equal(
    planSettle([{ measured: flat, limit: -0.1, critical: z }], {
      cost: () => 1,
      budget: 100,
      repetitions: () => 3,
    }).size,
    0,
  );
  assert.equal(
    planSettle([], { cost: () => 1, budget: 100, repetitions: () => 3 }).size,
    0,
  );
});

Deno.test("planSettle() shares repetitions between limits that need the same cases", () => {
  // A dimension over all six cases and a slice over three of them: the
  // slice's cases serve both, so they get at least as many.
  const all = ["a1", "a2", "a3", "b1", "b2", "b3"];
  const plan = planSettle([
    { measured: open("x", all, 0, 0.02), limit: -0.1, critical: z },
    { measured: open("adversarial", small, 0, 0.02), limit: -0.1, critical: z },
  ], { cost: () => 1, budget: 1000, repetitions: () => 3 });
  for (const key of small) {
    assert.ok((plan.get(key) ?? 0) >= (plan.get("b1") ?? 0));
  }
  assert.ok((plan.get("b1") ?? 0) > 0);
});
