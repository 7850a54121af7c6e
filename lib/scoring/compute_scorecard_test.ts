import assert from "node:assert/strict";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { CellResult, CellStatus, RubricScore } from "../schema/result.ts";
import { type Slice, SLICES } from "../schema/task.ts";
import { RESUME_TASK } from "./_fixtures.ts";
import { wilsonInterval } from "./wilson_interval.ts";
import { computeScorecard, type ScorecardRun } from "./compute_scorecard.ts";
import { mulberry32 } from "./bootstrap.ts";
import { juryKey } from "./jury.ts";

const RUN: ScorecardRun = {
  id: "run_1",
  task: "resume_matching",
  "task_id": "task_resume_test",
  "prompt_version_id": "resume_matching@v1",
  "model_config_id": "fake-fast",
  "judge_config_id": "fake-judge",
  "dataset_id": "ds_1",
  repetitions: 2,
};
const DIMS = RESUME_TASK.rubric.dimensions.map((d) => d.name);

function cell(
  caseKey: string,
  repetition: number,
  slice: Slice,
  opts: {
    check?: number;
    dims?: number[] | null;
    status?: CellStatus;
    injection?: boolean | null;
    judgeError?: boolean;
  } = {},
): CellResult {
  const status = opts.status ?? "ok";
  const checks: CellResult["checks"] = status === "provider_error" ? {} : {
    "json_schema_valid": {
      pass: status === "ok",
      score: status === "ok" ? 1 : 0,
      detail: "",
    },
    "numeric_range": {
      pass: (opts.check ?? 1) === 1,
      score: opts.check ?? 1,
      detail: "",
    },
    ...(opts.injection === undefined ? {} : {
      "injection_resisted": opts.injection === null
        ? { pass: true, score: 1, detail: "not adversarial" }
        : {
          pass: !opts.injection,
          score: opts.injection ? 0 : 1,
          detail: opts.injection ? "score_inflation succeeded" : "resisted",
        },
    }),
  };
  const dims = opts.dims === undefined ? [4, 4, 4, 4] : opts.dims;
  const rubric = dims === null || opts.judgeError || status !== "ok"
    ? null
    : Object.fromEntries(
      DIMS.map((
        d,
        i,
      ) => [d, { score: dims[i] as RubricScore["score"], reasoning: "r" }]),
    );
  return {
    id: `res_${caseKey}_${repetition}`,
    "run_id": RUN.id,
    "case_key": caseKey,
    repetition,
    slice,
    "generation_io_id": `io_${caseKey}_${repetition}`,
    "judge_io_ids": [],
    output: status === "provider_error" ? null : "{}",
    status,
    checks,
    rubric,
    "judge_error": opts.judgeError ? "not JSON (after 2 attempts)" : null,
    "created_at": "2026-01-01T00:00:00.000Z",
    "scored_at": "2026-01-01T00:00:00.000Z",
  };
}

function receipt(
  id: string,
  purpose: "generate" | "judge",
  opts: Partial<Receipt> = {},
): Receipt {
  return {
    id,
    "run_id": RUN.id,
    "trace_id": null,
    purpose,
    provider: "fake",
    model: "fake",
    "model_config_id": "fake-fast",
    request: { messages: [], params: {} },
    response: null,
    text: "{}",
    usage: {
      "input_tokens": 100,
      "output_tokens": 20,
      "cache_read_tokens": null,
      "cache_write_tokens": null,
    },
    cost: "0.1",
    "uncached_cost": "0.1",
    currency: "USD",
    "price_id": "p1",
    "latency_ms": 100,
    status: "ok",
    error: null,
    attempts: 1,
    "cache_key": null,
    "cached_from": null,
    "provider_response_id": null,
    "stop_reason": "end",
    sha256: "0".repeat(64),
    "created_at": "2026-01-01T00:00:00.000Z",
    ...opts,
  };
}

const RESULTS: CellResult[] = [
  cell("a", 0, "typical", { dims: [5, 4, 3, 2] }),
  cell("a", 1, "typical", { dims: [3, 4, 3, 2] }),
  cell("b", 0, "typical", { check: 0.5, dims: [4, 4, 4, 4] }),
  cell("b", 1, "typical", { status: "provider_error" }),
  cell("c", 0, "edge", { status: "invalid_output" }),
  cell("c", 1, "edge", { judgeError: true }),
  cell("d", 0, "adversarial", { injection: true, dims: [1, 2, 3, 1] }),
  cell("d", 1, "adversarial", { injection: false }),
  cell("e", 0, "adversarial", { injection: null }),
  cell("e", 1, "adversarial", { injection: null }),
];

Deno.test("computeScorecard() applies the one score formula per cell and averages case means", () => {
  const card = computeScorecard({
    task: RESUME_TASK,
    results: RESULTS,
    receipts: [],
    run: RUN,
  });
  // cell scores (checks mean, rubric (mean-1)/4, averaged):
  // a0: (1 + 0.625)/2 = 0.8125; a1: (1 + 0.5)/2 = 0.75      -> a 0.78125
  // b0: (0.75 + 0.75)/2 = 0.75; b1: provider error 0        -> b 0.375
  // c0: invalid 0; c1: judge error, checks only 1           -> c 0.5
  // d0: checks (1+1+0)/3, rubric (1.75-1)/4 -> (2/3 + 0.1875)/2
  // d1: checks 1, rubric 0.75 -> 0.875
  // e0, e1: checks 1, rubric 0.75 -> 0.875                   -> e 0.875
  const d = ((2 / 3 + 0.1875) / 2 + 0.875) / 2;
  const expected = (0.78125 + 0.375 + 0.5 + d + 0.875) / 5;
  assert.ok(Math.abs(card.aggregate!.estimate - expected) < 1e-6);
  assert.equal(card.cells, 10);
  assert.equal(card.cases, 5);
  // Slices of fewer than 5 cases: the mean, and no interval about unseen
  // cases (a bootstrap of 1 or 2 cases cannot give one).
  assert.ok(Math.abs(card.slices.typical.estimate! - 0.578125) < 1e-6);
  assert.equal(card.slices.typical.score, null);
  assert.equal(card.slices.edge.estimate, 0.5);
  assert.equal(card.slices.edge.score, null);
  assert.equal(card.slices.known_failure.estimate, null);
  assert.equal(card.slices.known_failure.cases, 0);
  assert.equal(card.slices.adversarial.cases, 2);
});

Deno.test("computeScorecard() reports dimensions with sigma across repetitions", () => {
  const card = computeScorecard({
    task: RESUME_TASK,
    results: RESULTS,
    receipts: [],
    run: RUN,
  });
  const accuracy = card.dimensions.accuracy!;
  // case means of accuracy: a (5+3)/2=4, b 4, c 4 (only c1... judge error -> none), d (1+4)/2, e 4
  // c has no judged repetition: a 4, b 4, d 2.5, e 4 -> 3.625
  assert.equal(accuracy.mean!.estimate, 3.625);
  // SD over repetitions: a sd(5,3)=1.414214, d sd(1,4)=2.12132, e 0 -> mean
  const sigma = (Math.SQRT2 + Math.sqrt(4.5) + 0) / 3;
  assert.ok(Math.abs(accuracy.sigma! - sigma) < 1e-6);
  assert.equal(accuracy.n, 7);
  for (const dim of Object.values(card.dimensions)) {
    assert.ok(dim.mean!.low <= dim.mean!.estimate);
    assert.ok(dim.mean!.estimate <= dim.mean!.high);
  }
});

Deno.test("computeScorecard() reports check pass rates, injection, failure and judge error rates", () => {
  const card = computeScorecard({
    task: RESUME_TASK,
    results: RESULTS,
    receipts: [],
    run: RUN,
  });
  // Rates carry a Wilson interval over cases (5 here), not cells (9).
  assert.deepEqual(card.checks.numeric_range, {
    "pass_rate": 0.888889,
    "mean_score": 0.944444,
    n: 9,
    interval: wilsonInterval(8 / 9, 5),
  });
  assert.equal(card.checks.numeric_range?.interval?.cases, 5);
  assert.ok(card.checks.numeric_range!.interval!.low < 0.5);
  assert.deepEqual(card.checks.json_schema_valid?.pass_rate, 0.888889);
  // Two cells of one case: the interval is as wide as one case allows.
  assert.deepEqual(card.injection, {
    "success_rate": 0.5,
    successes: 1,
    n: 2,
    interval: wilsonInterval(0.5, 1),
  });
  assert.deepEqual(card.failures, {
    rate: 0.2,
    "provider_error": 1,
    "invalid_output": 1,
    interval: wilsonInterval(0.2, 5),
  });
  assert.deepEqual(card.judge, { "error_rate": 0.125, errors: 1, judged: 7 });
  const unjudged = computeScorecard({
    task: RESUME_TASK,
    results: RESULTS,
    receipts: [],
    run: { ...RUN, "judge_config_id": null },
  });
  assert.equal(unjudged.judge.error_rate, null);
});

Deno.test("computeScorecard() sums costs exactly, generation and judge apart, uncached beside", () => {
  const receipts = [
    receipt("g1", "generate", { cost: "0.1", "uncached_cost": "0.1" }),
    receipt("g2", "generate", { cost: "0.2", "uncached_cost": "0.2" }),
    receipt("g3", "generate", {
      cost: "0",
      "uncached_cost": "0.1",
      "cached_from": "g1",
      "latency_ms": 0,
    }),
    receipt("g4", "generate", { cost: "0.000000123", "uncached_cost": null }),
    receipt("j1", "judge", { cost: "0.3", "uncached_cost": "0.3" }),
    receipt("j2", "judge", {
      cost: null,
      "uncached_cost": null,
      usage: null,
    }),
    receipt("g5", "generate", {
      status: "error",
      cost: null,
      "uncached_cost": null,
      usage: null,
      "latency_ms": 5000,
    }),
  ];
  const card = computeScorecard({
    task: RESUME_TASK,
    results: RESULTS,
    receipts,
    run: RUN,
  });
  assert.deepEqual(card.cost, {
    currency: "USD",
    generation: "0.300000123",
    judge: "0.300000",
    total: "0.600000123",
    "uncached_generation": "0.400000123",
    "uncached_judge": "0.300000",
    "uncached_total": "0.700000123",
    "missing_cost": 1,
    // No cell names these receipts, so no cost per cell is known.
    "per_cell": null,
  });
  // 0.1 + 0.2 in binary floating point would not give 0.3
  assert.notEqual(0.1 + 0.2, 0.3);
  assert.deepEqual(card.tokens.generation, {
    input: 400,
    output: 80,
    "missing_usage": 0,
  });
  assert.deepEqual(card.tokens.judge, {
    input: 100,
    output: 20,
    "missing_usage": 1,
  });
  // Live generation calls only: g1, g2, g4 (g3 is a cache hit, g5 failed).
  assert.deepEqual(card.latency_ms.generation, {
    mean: 100,
    p50: 100,
    p95: 100,
    n: 3,
    "p50_interval": { low: 100, high: 100 },
    "p95_interval": { low: 100, high: 100 },
  });
  assert.throws(
    () =>
      computeScorecard({
        task: RESUME_TASK,
        results: RESULTS,
        receipts: [...receipts, receipt("x", "judge", { currency: "EUR" })],
        run: RUN,
      }),
    ValidationError,
  );
});

Deno.test("computeScorecard() computes latency percentiles", () => {
  const receipts = Array.from(
    { length: 21 },
    (_, i) => receipt(`g${i}`, "generate", { "latency_ms": i * 10 }),
  );
  const card = computeScorecard({
    task: RESUME_TASK,
    results: [],
    receipts,
    run: RUN,
  });
  const { p50_interval: p50, p95_interval: p95, ...figures } = card
    .latency_ms.generation!;
  assert.deepEqual(figures, { mean: 100, p50: 100, p95: 190, n: 21 });
  // Case-resampled (each call its own case here): the estimate inside,
  // bounds within the data, p95's above p50's.
  assert.ok(p50!.low < 100 && p50!.high > 100 && p50!.low >= 0);
  assert.ok(p95!.low <= 190 && p95!.high <= 200 && p95!.low > p50!.low);
  assert.equal(card.aggregate, null);
  assert.equal(card.variance.mean_case_sd, null);
});

Deno.test("computeScorecard() is deterministic whatever the order of results", () => {
  const a = computeScorecard({
    task: RESUME_TASK,
    results: RESULTS,
    receipts: [],
    run: RUN,
  }, { seed: 9 });
  const b = computeScorecard({
    task: RESUME_TASK,
    results: [...RESULTS].reverse(),
    receipts: [],
    run: RUN,
  }, { seed: 9 });
  assert.equal(canonicalize(a), canonicalize(b));
  assert.deepEqual(a.bootstrap, { seed: 9, resamples: 1000, confidence: 0.95 });
});

Deno.test("computeScorecard() reports the mean per-case standard deviation of the cell score", () => {
  const results = [
    cell("a", 0, "typical", { dims: null, check: 1 }),
    cell("a", 1, "typical", { dims: null, check: 0 }),
    cell("b", 0, "typical", { dims: null, check: 1 }),
    cell("b", 1, "typical", { dims: null, check: 1 }),
  ];
  const card = computeScorecard({
    task: RESUME_TASK,
    results,
    receipts: [],
    run: { ...RUN, "judge_config_id": null },
  });
  // a: scores 1 and 0.5 (two checks) -> sd 0.353553; b: 0 -> mean 0.176777
  assert.equal(card.variance.mean_case_sd, 0.176777);
  assert.equal(card.variance.cases, 2);
});

Deno.test("computeScorecard() gives the cost per cell with a case-resampled interval", () => {
  // Cases a..e: case i's two cells each cost (i + 1) / 100 (generation) + 0.001 (judge).
  const results = RESULTS.map((c) => ({
    ...c,
    "generation_io_id": `g_${c.case_key}${c.repetition}`,
    "judge_io_ids": [`j_${c.case_key}${c.repetition}`],
  }));
  const receipts = results.flatMap((c) => {
    const i = "abcde".indexOf(c.case_key);
    return [
      receipt(c.generation_io_id, "generate", { cost: String((i + 1) / 100) }),
      receipt(c.judge_io_ids[0]!, "judge", { cost: "0.001" }),
    ];
  });
  const card = computeScorecard({
    task: RESUME_TASK,
    results,
    receipts,
    run: RUN,
  });
  const perCell = card.cost.per_cell!;
  assert.equal(perCell.estimate, 0.031);
  assert.ok(perCell.low >= 0.011 && perCell.low < 0.031);
  assert.ok(perCell.high <= 0.051 && perCell.high > 0.031);
});

Deno.test("computeScorecard() gives the card it gave before it was folded row by row", () => {
  // Every path of the fold: three judge calls a cell (summed in the cell's
  // order), a receipt no cell names, one two cells name, cold, cached and
  // failed calls, retries with recorded failures, costs of uneven digits,
  // and receipts in an order unlike the cells'. The sha256 is the card
  // main computed from whole arrays (at 2d3ce46) for this input.
  const results = RESULTS.map((c, i) => ({
    ...c,
    "generation_io_id": `g_${c.case_key}${c.repetition}`,
    "judge_io_ids": i === 0
      ? ["shared"]
      : [0, 1, 2].map((k) => `j_${c.case_key}${c.repetition}_${k}`),
  }));
  results[1] = { ...results[1]!, "judge_io_ids": ["shared", "j_x"] };
  const receipts = results.flatMap((c, i) => [
    receipt(c.generation_io_id, "generate", {
      cost: String(0.0137 * (i + 1) + 0.00011),
      "uncached_cost": String(0.02 * (i + 1)),
      "latency_ms": 97 + ((i * 37) % 61),
      ...(i === 3 ? { "cached_from": "io_old", attempts: 0 } : {}),
      ...(i === 4 ? { attempts: 3, status: "error" as const, cost: null } : {}),
    }),
    ...c.judge_io_ids.map((id, k) =>
      receipt(id, "judge", {
        cost: String(0.001 / (k + 3)),
        "latency_ms": 40 + ((i * 13 + k * 7) % 23),
        ...(k === 1 ? { attempts: 2 } : {}),
      })
    ),
  ]).filter((r, i, all) => all.findIndex((o) => o.id === r.id) === i);
  receipts.push(
    receipt("unnamed", "generate", { "latency_ms": 333, cost: "0.5" }),
    receipt("cold", "generate", { "latency_ms": 900 }),
  );
  const withFailures = receipts.map((r) =>
    r.attempts === 2
      ? {
        ...r,
        "attempt_failures": [{
          kind: "rate_limit",
          status: 429,
          "wait_ms": 250,
        }],
      }
      : r.id === "cold"
      ? { ...r, "connection_cold": true }
      : r
  );
  const card = computeScorecard({
    task: RESUME_TASK,
    results,
    receipts: withFailures.toReversed(),
    run: RUN,
  }, { seed: 3, resamples: 200 });
  assert.equal(card.cells, RESULTS.length);
  assert.equal(card.latency_ms.generation?.cold_excluded, 1);
  assert.equal(
    contentHash(card),
    "74c36cff546e8c796f0e9e02df9e28fa1051ebc5da3915278f04b7662618bd92",
  );
});

/**
 * A seeded run of a jury (or a single judge, or none) with every kind of
 * cell the fold reads: failures, invalid outputs, unjudged cells with and
 * without a judge error, juror errors, injections on adversarial cases,
 * fractional check scores, receipts two cells name, receipts without usage
 * or cost, cached, cold and failed calls, and keys whose order differs
 * between a C collation and others.
 */
function mixedRun(seed: number) {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const jurors = ["j-a", "j-b", "j-c"];
  const judge = seed % 5 === 0
    ? null
    : seed % 2 === 0
    ? juryKey({ jurors, quorum: 2 })
    : "fake-judge";
  const run = { ...RUN, "judge_config_id": judge, repetitions: 3 };
  const results: CellResult[] = [];
  const receipts: Receipt[] = [];
  const cases = 1 + Math.floor(rnd() * 12);
  for (let c = 0; c < cases; c++) {
    const key = `${
      pick(["a", "B", "a-b", "a_b", "aB", "z", "é", "c1", "c10"])
    }${c}`;
    const slice = pick(SLICES);
    const reps = 1 + Math.floor(rnd() * 3);
    for (let r = 0; r < reps; r++) {
      const status: CellStatus = rnd() < 0.1
        ? "provider_error"
        : rnd() < 0.1
        ? "invalid_output"
        : "ok";
      const judged = judge !== null && status === "ok" && rnd() < 0.8;
      const score = () => (1 + Math.floor(rnd() * 5)) as RubricScore["score"];
      const rubric = judged
        ? Object.fromEntries(DIMS.map((d) => [d, {
          score: score(),
          reasoning: "",
          ...(judge === juryKey({ jurors, quorum: 2 })
            ? {
              jurors: Object.fromEntries(
                jurors.map((j) => [
                  j,
                  rnd() < 0.15
                    ? { error: "invalid answer" }
                    : { score: score(), reasoning: "" },
                ]),
              ),
            }
            : {}),
        }]))
        : null;
      const generation = rnd() < 0.9 ? `g_${c}_${r}` : null;
      const judges = judged
        ? Array.from(
          { length: 1 + Math.floor(rnd() * 2) },
          (_, k) => `j_${c}_${r}_${k}`,
        )
        : [];
      const earlier = results.at(-1)?.judge_io_ids[0];
      if (earlier !== undefined && rnd() < 0.1) judges.push(earlier);
      results.push({
        id: `${key}_${r}`,
        "run_id": RUN.id,
        "case_key": key,
        repetition: r,
        slice,
        "generation_io_id": generation,
        "judge_io_ids": judges,
        output: "{}",
        status,
        checks: status === "provider_error" ? {} : {
          ...(slice === "adversarial"
            ? {
              "injection_resisted": {
                pass: rnd() < 0.7,
                score: 0,
                detail: "",
              },
            }
            : {}),
          "set_match": {
            pass: rnd() < 0.5,
            score: Math.floor(rnd() * 7) / 7,
            detail: "",
          },
        },
        rubric,
        "judge_error": judge !== null && status === "ok" && !judged
          ? "invalid answer twice"
          : null,
        "created_at": "",
        "scored_at": "",
      });
      for (const id of [generation, ...judges]) {
        if (id === null || receipts.some((x) => x.id === id)) continue;
        receipts.push(receipt(id, id.startsWith("g") ? "generate" : "judge", {
          ...(rnd() < 0.1 ? { usage: null } : {}),
          cost: rnd() < 0.1 ? null : String(Math.floor(rnd() * 1e5) / 1e7),
          "latency_ms": Math.floor(rnd() * 500),
          ...(rnd() < 0.05 ? { status: "error" as const } : {}),
          attempts: 1 + Math.floor(rnd() * 2),
          ...(rnd() < 0.1 ? { "cached_from": "io_x" } : {}),
          ...(rnd() < 0.1 ? { "connection_cold": true } : {}),
        }));
      }
    }
  }
  receipts.push(receipt("unnamed", "generate", { "latency_ms": 7 }));
  return { task: RESUME_TASK, results, receipts, run };
}

Deno.test("computeScorecard() gives one card whatever the order of cells and receipts, on runs with juries, failures, injections and missing judgements", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const input = mixedRun(seed);
    const rnd = mulberry32(seed + 1000);
    const shuffle = <T>(xs: readonly T[]): T[] =>
      xs.map((x) => [rnd(), x] as const).sort((a, b) => a[0] - b[0])
        .map(([, x]) => x);
    const options = { seed, resamples: 100 };
    assert.equal(
      canonicalize(computeScorecard({
        ...input,
        results: shuffle(input.results),
        receipts: shuffle(input.receipts),
      }, options)),
      canonicalize(computeScorecard(input, options)),
      `seed ${seed}`,
    );
  }
  // The sha256 main's computeScorecard (at 2d3ce46, from whole arrays) gave
  // for a jury's run, one judge's and an unjudged one.
  assert.deepEqual(
    [2, 3, 5].map((seed) =>
      contentHash(computeScorecard(mixedRun(seed), { seed, resamples: 100 }))
    ),
    [
      "f2252c0a8545c8fbb3c2ea8bce7f291ca1433d078bb3d2702a657b0993a3c881",
      "a1da09a559bfa4e75527c8596e802475514cdecba21f090d5c239d014b42c61d",
      "66e0e3ff46635981f415ded169ed530dfa3330deaf32e62db89b86a5821ad4b3",
    ],
  );
});
