import assert from "node:assert/strict";
import { judgeDeltas, repetitionsNeeded } from "./_judge.ts";
import type { DeltaNoise, Measured } from "./_measure.ts";

/** A slice delta of -0.05 whose 95% interval is -0.10 to 0.00 (half-width 0.05). */
function measured(noise?: DeltaNoise): Measured {
  return {
    kind: "slice",
    name: "edge",
    worse: "drop",
    baseline: 0.8,
    candidate: 0.75,
    delta: -0.05,
    interval: { low: -0.1, high: 0 },
    ...(noise ? { noise } : {}),
  };
}

// Against a limit of -0.10 the distance is 0.05, so the half-width must
// shrink to 0.7 * 0.05 and the variance of the mean delta by 0.7^2 = 0.49.

Deno.test("repetitionsNeeded() without a noise split takes all the noise for repetition noise", () => {
  // 3 / 0.49 = 6.12 -> 7
  assert.equal(repetitionsNeeded(measured(), -0.1, 3), 7);
});

Deno.test("repetitionsNeeded() shrinks only the repetition part of the variance", () => {
  // observed 0.01 = between 0.002 + within 0.024 / 3 repetitions.
  // Target variance 0.01 * 0.49 = 0.0049; the repetition part must fall to
  // 0.0049 - 0.002 = 0.0029: n = 0.024 / 0.0029 = 8.28 -> 9 (not 7).
  const noise = { observed: 0.01, between: 0.002, within: 0.024 };
  assert.equal(repetitionsNeeded(measured(noise), -0.1, 3), 9);
  // With no between-case part it agrees with the 1/sqrt(repetitions) rule:
  // 0.024 / (0.008 * 0.49) = 6.12 -> 7.
  const repetitionOnly = { observed: 0.008, between: 0, within: 0.024 };
  assert.equal(repetitionsNeeded(measured(repetitionOnly), -0.1, 3), 7);
});

Deno.test("repetitionsNeeded() is null when even infinite repetitions would not settle it", () => {
  // Target 0.01 * 0.49 = 0.0049 is below the between-case part 0.006.
  const noise = { observed: 0.01, between: 0.006, within: 0.012 };
  assert.equal(repetitionsNeeded(measured(noise), -0.1, 3), null);
});

Deno.test("repetitionsNeeded() is null on the limit or past 100, and at least one more", () => {
  const noise = { observed: 0.01, between: 0.002, within: 0.024 };
  assert.equal(repetitionsNeeded(measured(noise), -0.05, 3), null);
  // Target 0.0049 - 0.0048 leaves 0.0001: n = 0.024 / 0.0001 = 240 > 100.
  const most = { observed: 0.01, between: 0.0048, within: 0.0156 };
  assert.equal(repetitionsNeeded(measured(most), -0.1, 3), null);
  // Already narrow enough: 0.024 / (0.0049 - 0) = 4.9 -> 5, but at least 11.
  const narrow = { observed: 0.01, between: 0, within: 0.024 };
  assert.equal(repetitionsNeeded(measured(narrow), -0.1, 10), 11);
});

Deno.test("judgeDeltas() says a straddled limit rose on average when the mean went the right way", () => {
  const limits = {
    dimension: -0.25,
    slice: -0.1,
    cost_growth: 0.2,
    latency_p95_growth: null,
    failure_rate: null,
    injection_rate: null,
  };
  const rose: Measured = {
    kind: "dimension",
    name: "tone",
    worse: "drop",
    baseline: 4,
    candidate: 4.12,
    delta: 0.12,
    interval: { low: -0.3, high: 0.5 },
  };
  const dropped: Measured = {
    ...rose,
    name: "safety",
    candidate: 3.9,
    delta: -0.1,
    interval: { low: -0.4, high: 0.2 },
  };
  const judged = judgeDeltas([rose, dropped], limits, "confident", 3);
  assert.equal(judged.verdict, "INCONCLUSIVE");
  assert.equal(judged.inconclusive.length, 2);
  assert.match(
    judged.inconclusive.find((l) => l.includes("tone"))!,
    /^dimension 'tone' rose on average \+0\.120 \(95% CI -0\.300 to \+0\.500; limit -0\.250\)/,
  );
  assert.match(
    judged.inconclusive.find((l) => l.includes("safety"))!,
    /^dimension 'safety' may have regressed -0\.100 /,
  );
});
