import assert from "node:assert/strict";
import type { CellFigures, RunFigures } from "./_figures.ts";
import { measureDeltas } from "./_measure.ts";

/** A cell: `slice`, case `key`, repetition, score, one dimension. */
function cell(
  key: string,
  slice: string,
  repetition: number,
  score: number,
  dimension = 4,
  judged = true,
): CellFigures {
  return {
    case_key: key,
    slice,
    repetition,
    score,
    dimensions: [judged ? dimension : NaN],
    cost: 0.001,
    cost_exact: "0.001",
    judged,
    failed: 0,
    injection: NaN,
  };
}

function run(cells: CellFigures[]): RunFigures {
  return {
    run_id: "r",
    repetitions: 3,
    cells,
    latency_p95_ms: null,
    judged: true,
  };
}

/** 6 typical and 2 edge cases, 3 repetitions; `f` gives each cell's score. */
function cells(
  f: (slice: string, i: number, rep: number) => number,
  judged: (slice: string, i: number, rep: number) => boolean = () => true,
): CellFigures[] {
  const out: CellFigures[] = [];
  for (const [slice, n] of [["typical", 6], ["edge", 2]] as const) {
    for (let i = 0; i < n; i++) {
      for (let rep = 0; rep < 3; rep++) {
        out.push(
          cell(
            `${slice}-${i}`,
            slice,
            rep,
            f(slice, i, rep),
            4,
            judged(slice, i, rep),
          ),
        );
      }
    }
  }
  return out;
}

const options = { seed: 1, resamples: 200, confidence: 0.95 };

Deno.test("measureDeltas() reads a slice over its cases with the run's repetition noise", () => {
  // Every case alternates 0.7, 0.9, 0.7 in the baseline and 0.6, 0.8, 0.6
  // in the candidate: a drop of 0.1 everywhere.
  const base = cells((_s, _i, rep) => rep === 1 ? 0.9 : 0.7);
  const cand = cells((_s, _i, rep) => rep === 1 ? 0.8 : 0.6);
  const m = measureDeltas({
    baseline: run(base),
    candidate: run(cand),
    dimensions: ["tone"],
  }, options);
  const edge = m.measured.find((x) => x.kind === "slice" && x.name === "edge")!;
  assert.equal(edge.delta, -0.1);
  assert.equal(edge.cases, 2);
  // The edge slice is as noisy as the rest: the run's noise, pooled.
  assert.equal(edge.conditional!.noise.pooled, "run");
  // Each run's pooled variance is 8 x 0.026667 / 16 = 0.013333, and the
  // runs move together (their covariance is as large): the paired delta's
  // variance would be 0, so it takes the floor, 2 x (1/12) / (16 + 1) per
  // repetition, over 3 repetitions and 2 cases.
  const v = 2 / 12 / 17;
  const se = Math.sqrt(v / 3 / 2);
  assert.ok(Math.abs(edge.conditional!.se - se) < 1e-9);
  // Fewer than 5 cases: no case-resampled interval.
  assert.equal(edge.case_interval, null);
  const typical = m.measured.find((x) => x.name === "typical")!;
  assert.ok(typical.case_interval !== null);
  assert.equal(m.paired_cases, 8);
  assert.deepEqual(m.counts.get("edge-0"), { nb: 3, nc: 3, shared: 3 });
});

Deno.test("measureDeltas() counts the cells a dimension or slice could not read", () => {
  const base = cells(() => 0.8);
  // The judge failed on the candidate's first repetition of every case.
  const cand = cells(() => 0.8, (_s, _i, rep) => rep !== 0);
  const m = measureDeltas({
    baseline: run(base),
    candidate: run(cand),
    dimensions: ["tone"],
  }, options);
  const tone = m.measured.find((x) => x.kind === "dimension")!;
  assert.deepEqual(tone.unmeasured, {
    run: "candidate",
    cells: 8,
    of: 24,
    share: 1 / 3,
  });
  const edge = m.measured.find((x) => x.name === "edge")!;
  assert.deepEqual(edge.unmeasured, {
    run: "candidate",
    cells: 2,
    of: 6,
    share: 1 / 3,
  });
});

Deno.test("measureDeltas() weighs every case the same in the exact cost per cell", () => {
  const base = cells(() => 0.8);
  // The candidate repeats one case twice as often, at twice the cost:
  // mean of case means = (7 x 0.001 + 0.002) / 8 = 0.001125.
  const cand = [
    ...cells(() => 0.8).map((c) =>
      c.case_key === "edge-1" ? { ...c, cost: 0.002, cost_exact: "0.002" } : c
    ),
    ...[3, 4, 5].map((rep) => ({
      ...cell("edge-1", "edge", rep, 0.8),
      cost: 0.002,
      cost_exact: "0.002",
    })),
  ];
  const m = measureDeltas({
    baseline: run(base),
    candidate: run(cand),
    dimensions: ["tone"],
  }, options);
  const cost = m.measured.find((x) => x.kind === "cost")!;
  assert.equal(cost.exact!.toString(), "0.125");
  assert.equal(cost.candidate, 0.001125);
  assert.deepEqual(m.counts.get("edge-1"), { nb: 3, nc: 6, shared: 3 });
});
