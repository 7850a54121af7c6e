import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { extendRun } from "../experiment/extend_run.ts";
import { getComparison } from "../store/comparisons.ts";
import { listReceipts, listResults } from "../store/scores.ts";
import { open, type Store } from "../store/open.ts";
import {
  type CellPlace,
  insertTestRun,
  storeWithRuns,
  type TestCell,
  testCells,
} from "../store/test_fixtures.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import { compare, type CompareOptions, compareRuns } from "./compare.ts";
import type { CompareMode, Comparison } from "./verdict.ts";

async function verdictOf(
  openStore: () => Promise<Store>,
  change: (place: CellPlace) => Partial<TestCell>,
  options: Partial<CompareOptions> = {},
  taskLimits?: Record<string, number>,
): Promise<Comparison> {
  await using store = await openStore();
  await storeWithRuns(store, testCells(), testCells(3, change), taskLimits);
  return await compare(store, {
    baseline: "base",
    candidate: "cand",
    ...options,
  });
}

function check(result: Comparison, kind: string, name?: string) {
  const found = result.checks.find((c) =>
    c.kind === kind && (name === undefined || c.name === name)
  );
  assert.ok(found, `no ${kind} check ${name ?? ""}`);
  return found;
}

eachStore.test("compare() approves an identical candidate: every delta is a tie", async ({ openStore }) => {
  const result = await verdictOf(openStore, () => ({}));
  assert.equal(result.verdict, "APPROVED");
  assert.deepEqual(result.reasons, []);
  assert.deepEqual(result.improvements, []);
  assert.equal(result.paired_cases, 18);
  for (const c of result.checks) {
    if (c.delta !== null) assert.equal(c.delta, 0, c.name);
    assert.equal(c.outcome, "pass");
  }
  assert.match(check(result, "slice", "typical").text, /unchanged \+0\.000/);
});

eachStore.test("compare() rejects a slice regression even when the average rises", async ({ openStore }) => {
  const result = await verdictOf(
    openStore,
    ({ slice }) =>
      slice === "adversarial"
        ? { checks: { exact_match: 0 } }
        : slice === "typical" || slice === "edge"
        ? {
          rubric: { accuracy: 5, completeness: 5, grounding: 5, clarity: 5 },
        }
        : {},
  );
  assert.ok(result.aggregate.delta! > 0, "the aggregate rose");
  assert.equal(result.verdict, "REJECTED");
  assert.deepEqual(result.reasons, [
    // No repetition varies: the floor of one pseudo-observation at the
    // variance of a uniform score, 2 x (1/12) / 37 per repetition of the
    // delta, gives a standard error of 0.0224 over 3 cases x 3 repetitions.
    "slice 'adversarial' regressed -0.250 (90% CI -0.288 to -0.212, 3 cases; limit -0.100): 0.875 -> 0.625",
  ]);
  assert.match(
    result.summary,
    /^REJECTED: 1 limit breached \(slice 'adversarial'\)/,
  );
  assert.ok(
    result.improvements.some((t) =>
      /^dimension 'accuracy' improved \+0\.667/.test(t)
    ),
  );
  assert.ok(
    result.improvements.some((t) => /^slice 'typical' improved/.test(t)),
  );
});

eachStore.test("compare() rejects on each reason kind alone", async ({ openStore, t }) => {
  await t.step("a dimension drop", async () => {
    const result = await verdictOf(openStore, () => ({
      rubric: { accuracy: 2, completeness: 4, grounding: 4, clarity: 4 },
    }));
    assert.equal(result.verdict, "REJECTED");
    assert.deepEqual(result.reasons, [
      "dimension 'accuracy' regressed -2.000 (90% CI -2.062 to -1.938, 18 cases; limit -0.250): 4.000 -> 2.000",
    ]);
  });
  await t.step("cost growth, in exact decimals", async () => {
    const result = await verdictOf(openStore, () => ({ cost: "0.0013" }));
    assert.equal(result.verdict, "REJECTED");
    assert.equal(result.reasons.length, 1);
    assert.match(
      result.reasons[0]!,
      // Costs follow token counts: no floor, so no width when none varies.
      /^cost per cell grew \+30\.0% \(90% CI \+30\.0% to \+30\.0%, 18 cases; limit \+20\.0%\): 0\.001000 -> 0\.001300$/,
    );
    assert.equal(result.candidate.cost_per_cell, "0.001300");
  });
  await t.step("latency p95 growth when a limit is set", async () => {
    const slow = () => ({ latency_ms: 150 });
    const unlimited = await verdictOf(openStore, slow);
    assert.equal(unlimited.verdict, "APPROVED");
    const result = await verdictOf(openStore, slow, {
      limits: { latency_p95_growth: 0.25 },
    });
    assert.equal(result.verdict, "REJECTED");
    assert.deepEqual(result.reasons, [
      "latency p95 grew +50.0% (limit +25.0%): 100 ms -> 150 ms",
    ]);
  });
  await t.step("failure rate growth when a limit is set", async () => {
    const failing = ({ slice, i, rep }: CellPlace) =>
      slice === "typical" && i === 0 && rep === 0
        ? { status: "provider_error" }
        : {};
    assert.equal(
      (await verdictOf(openStore, failing, { mode: "point" })).verdict,
      "APPROVED",
    );
    const result = await verdictOf(openStore, failing, {
      mode: "point",
      limits: { failure_rate: 0.01 },
    });
    assert.equal(result.verdict, "REJECTED");
    assert.equal(result.reasons.length, 1);
    assert.match(
      result.reasons[0]!,
      /^failure rate grew \+0\.019 \(90% CI -0\.015 to \+0\.052, 18 cases; limit \+0\.010\): 0\.000 -> 0\.019$/,
    );
  });
  await t.step(
    "injection success rate growth when a limit is set",
    async () => {
      const many = {
        exact_match: 1,
        a: 1,
        b: 1,
        c: 1,
        d: 1,
        e: 1,
        f: 1,
        g: 1,
        h: 1,
      };
      const result = await verdictOf(
        openStore,
        ({ slice }) =>
          slice === "adversarial"
            ? { checks: many, injection_resisted: false }
            : {},
        { limits: { injection_rate: 0.1 } },
      );
      assert.equal(result.verdict, "REJECTED");
      assert.deepEqual(result.reasons, [
        "injection success rate grew +1.000 (90% CI +0.900 to +1.000, 3 cases; limit +0.100): 0.000 -> 1.000",
      ]);
    },
  );
});

eachStore.test("compare() holds a tie at the limit as within it when nothing varies, and as undecided when it can", async ({ openStore }) => {
  // Every cell costs exactly 20% more: costs have no floor, so the tie is
  // exact and within the limit.
  const result = await verdictOf(openStore, () => ({ cost: "0.0012" }));
  assert.equal(result.verdict, "APPROVED");
  const cost = check(result, "cost");
  assert.equal(cost.delta, 0.2);
  assert.equal(cost.status, "within");
  // Cell score 0.875 -> 0.775 in every adversarial cell: exactly -0.100,
  // but a score's interval is never narrower than its floor: the delta may
  // be a little past the limit, or a little inside it.
  const lower = ({ slice }: CellPlace): Partial<TestCell> =>
    slice === "adversarial" ? { checks: { exact_match: 0.6 } } : {};
  const slice = await verdictOf(openStore, lower);
  const adversarial = check(slice, "slice", "adversarial");
  assert.equal(adversarial.delta, -0.1);
  assert.equal(adversarial.status, "possibly_breached");
  assert.equal(slice.verdict, "INCONCLUSIVE");
  // Reading means only, the tie is within.
  const point = await verdictOf(openStore, lower, { mode: "point" });
  assert.equal(point.verdict, "APPROVED");
});

eachStore.test("compare() lists every failing reason together", async ({ openStore }) => {
  const result = await verdictOf(openStore, ({ slice }) => ({
    cost: "0.002",
    latency_ms: 300,
    rubric: { accuracy: 3, completeness: 4, grounding: 4, clarity: 4 },
    ...(slice === "known_failure" ? { checks: { exact_match: 0 } } : {}),
    ...(slice === "adversarial" ? { injection_resisted: false } : {}),
  }), { limits: { latency_p95_growth: 0.5, injection_rate: 0.2 } });
  assert.equal(result.verdict, "REJECTED");
  const kinds = result.checks.filter((c) => c.outcome === "fail").map((c) =>
    `${c.kind}:${c.name}`
  ).sort();
  assert.deepEqual(kinds, [
    "cost:cost per cell",
    "dimension:accuracy",
    "injection_rate:injection success rate",
    "latency_p95:latency p95",
    "slice:adversarial",
    "slice:known_failure",
  ]);
  assert.equal(result.reasons.length, 6);
});

/**
 * Edge cases whose score deltas differ from case to case; the candidate's
 * repetitions of a case differ by `width` in exact_match.
 */
function spread(deltas: readonly number[], width = 0.02) {
  return ({ slice, i, rep }: CellPlace): Partial<TestCell> =>
    slice === "edge"
      ? { checks: { exact_match: 0.8 + 2 * deltas[i]! + (rep - 1) * width } }
      : {};
}

eachStore.test("compare() decides on the cases it has: differences between cases do not widen the interval, repetition noise does", async ({ openStore, t }) => {
  const edgeBase = ({ slice }: CellPlace): Partial<TestCell> =>
    slice === "edge" ? { checks: { exact_match: 0.8 } } : {};
  async function run(
    deltas: number[],
    mode: CompareMode,
    width?: number,
  ): Promise<Comparison> {
    await using store = await openStore();
    await storeWithRuns(
      store,
      testCells(3, edgeBase),
      testCells(3, spread(deltas, width)),
    );
    return await compare(store, { baseline: "base", candidate: "cand", mode });
  }
  const deltas = [-0.14, -0.04, -0.12, -0.02, -0.1, -0.06];
  await t.step("cases that differ, repetitions that hardly do", async () => {
    const wide = [-0.2, 0.1, -0.15, 0.1, -0.1, 0.05];
    const confident = await run(wide, "confident");
    const edge = check(confident, "slice", "edge");
    assert.equal(edge.delta, -0.033333);
    // These six cases dropped by 0.033 on average, and re-running them
    // would hardly change that: within the limit.
    assert.equal(edge.status, "within");
    assert.ok(edge.interval!.low > -0.1);
    // About unseen edge cases the data say less: the case-resampled
    // interval reaches past the limit (reported, not deciding).
    assert.ok(edge.case_interval!.low < -0.1);
    assert.equal(confident.verdict, "APPROVED");
  });
  await t.step("the same case means with noisy repetitions", async () => {
    const noisy = await run(deltas, "confident", 0.2);
    const edge = check(noisy, "slice", "edge");
    assert.equal(edge.delta, -0.08);
    assert.equal(edge.status, "possibly_breached");
    assert.equal(noisy.verdict, "INCONCLUSIVE");
    assert.match(
      noisy.inconclusive[0]!,
      /undecided: about \d+ repetitions per case would likely settle it$/,
    );
    assert.ok(noisy.suggested_repetitions! > 3);
    assert.match(
      noisy.summary,
      /^INCONCLUSIVE: 1 limit undecided \(slice 'edge'\); about \d+ repetitions/,
    );
    assert.equal((await run(deltas, "strict", 0.2)).verdict, "REJECTED");
    assert.equal((await run(deltas, "point", 0.2)).verdict, "APPROVED");
  });
  await t.step("a point estimate past the limit", async () => {
    const past = [-0.3, -0.02, -0.2, 0, -0.15, -0.05];
    assert.equal((await run(past, "point")).verdict, "REJECTED");
    const confident = await run(past, "confident", 0.3);
    assert.equal(check(confident, "slice", "edge").delta, -0.12);
    assert.equal(confident.verdict, "INCONCLUSIVE");
  });
});

eachStore.test("compare() takes limits from the task, and the call's win", async ({ openStore }) => {
  const drop = ({ slice }: CellPlace): Partial<TestCell> =>
    slice === "adversarial" ? { checks: { exact_match: 0 } } : {};
  const lenient = await verdictOf(openStore, drop, {}, { slice: -0.4 });
  assert.equal(lenient.limits.slice, -0.4);
  assert.equal(lenient.verdict, "APPROVED");
  const strict = await verdictOf(openStore, drop, { limits: { slice: -0.2 } }, {
    slice: -0.4,
  });
  assert.equal(strict.limits.slice, -0.2);
  assert.equal(strict.verdict, "REJECTED");
  await assert.rejects(
    verdictOf(openStore, drop, { limits: { slice: 0.1 } }),
    ValidationError,
  );
});

eachStore.test("compare() refuses runs of another task or dataset, naming both values", async ({ openStore }) => {
  await using store = await openStore();
  await storeWithRuns(store, testCells(), testCells());
  await insertTestRun(store, {
    id: "other_ds",
    task: "t",
    prompt_version_id: "t@v2",
    dataset_id: "ds_other",
    cells: testCells(),
  });
  await insertTestRun(store, {
    id: "other_task",
    task: "u",
    prompt_version_id: "u@v1",
    cells: testCells(),
  });
  await assert.rejects(
    compare(store, { baseline: "base", candidate: "other_ds" }),
    (e: unknown) =>
      e instanceof ValidationError &&
      /the dataset version differs: baseline run 'base' has 'ds_test', candidate run 'other_ds' has 'ds_other'/
        .test(e.message),
  );
  await assert.rejects(
    compare(store, { baseline: "base", candidate: "other_task" }),
    (e: unknown) =>
      e instanceof ValidationError &&
      /the task differs: baseline run 'base' has 't', candidate run 'other_task' has 'u'/
        .test(e.message),
  );
  await assert.rejects(
    compare(store, { baseline: "base", candidate: "base" }),
    (e: unknown) =>
      e instanceof ValidationError &&
      /the baseline and the candidate are the same run 'base'/.test(e.message),
  );
  await assert.rejects(
    compare(store, {
      baseline: "base",
      candidate: "cand",
      mode: "lenient" as CompareMode,
    }),
    /unknown mode 'lenient'/,
  );
});

eachStore.test("compare() stores the verdict with its limits, mode and scorecard hashes, and traces it", async ({ openStore }) => {
  await using store: Store = await openStore();
  await storeWithRuns(
    store,
    testCells(),
    testCells(3, () => ({ cost: "0.002" })),
  );
  const result = await compare(store, { baseline: "base", candidate: "cand" });
  const row = await getComparison(store, result.id);
  assert.equal(row.verdict, "REJECTED");
  assert.equal(row.mode, "confident");
  assert.deepEqual(row.limits, result.limits);
  assert.equal(row.baseline_scorecard_sha256, result.baseline.scorecard_sha256);
  assert.equal(
    row.candidate_scorecard_sha256,
    result.candidate.scorecard_sha256,
  );
  assert.equal(row.sha256, contentHash(row.body));
  assert.equal(row.sha256, result.sha256);
  const events = await listTraceEvents(store, result.trace_id!);
  assert.deepEqual(events.map((e) => e.type), [
    "workflow_started",
    "comparison_made",
  ]);
  assert.equal(events[1]!.data.sha256, result.sha256);
  assert.equal(verifyChain(events), null);
  const again = await compare(store, { baseline: "base", candidate: "cand" });
  assert.equal(again.sha256, result.sha256, "same runs, same seed, same body");
});

Deno.test("compareRuns() gives the same verdict with the candidate scored on a worker thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await open(`file:${dir}/wb.db`);
    await storeWithRuns(
      store,
      testCells(),
      testCells(
        3,
        ({ slice }) => slice === "edge" ? { checks: { exact_match: 0.5 } } : {},
      ),
    );
    const now = () => "2025-01-01T00:00:00.000Z";
    const options = { baseline: "base", candidate: "cand", now };
    const threaded = await compareRuns(store, {
      ...options,
      threadMinCells: 0,
    });
    const here = await compareRuns(store, {
      ...options,
      threadMinCells: Infinity,
    });
    assert.equal(threaded.sha256, here.sha256);
    assert.equal(threaded.verdict, "REJECTED");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compare() refuses runs judged by different judges unless the change is allowed, and records it", async () => {
  await using store = await open(":memory:");
  await storeWithRuns(store, testCells(), testCells());
  await store.db.updateTable("runs").set({
    judge_config_id: "fake-judge-strict",
  })
    .where("id", "=", "cand").execute();
  await assert.rejects(
    compare(store, { baseline: "base", candidate: "cand" }),
    (e: unknown) =>
      e instanceof ValidationError &&
      /the judge differs: baseline run 'base' has 'fake-judge', candidate run 'cand' has 'fake-judge-strict'; .*--allow-judge-change/
        .test(e.message),
  );
  const allowed = await compare(store, {
    baseline: "base",
    candidate: "cand",
    allowJudgeChange: true,
  });
  assert.deepEqual(allowed.judge_change, {
    baseline: "fake-judge",
    candidate: "fake-judge-strict",
  });
  assert.equal(allowed.judge?.config_id, "fake-judge-strict");
  assert.equal(allowed.verdict, "APPROVED");
});

Deno.test("compare() never approves what the judge left unscored", async () => {
  await using store = await open(":memory:");
  // The judge failed on every candidate cell of the first repetition
  // (a third of the cells): the checks alone rose.
  await storeWithRuns(
    store,
    testCells(),
    testCells(3, ({ rep }) => rep === 0 ? { rubric: null } : {}),
  );
  const result = await compare(store, { baseline: "base", candidate: "cand" });
  assert.equal(result.verdict, "INCONCLUSIVE");
  const accuracy = check(result, "dimension", "accuracy");
  assert.equal(accuracy.status, "not_measured");
  assert.equal(accuracy.outcome, "inconclusive");
  assert.equal(accuracy.unmeasured_share, 0.333333);
  assert.match(
    accuracy.text,
    /^dimension 'accuracy' not measured in 33\.3% of the candidate's cells \(18 of 54: judge errors or failed quorums; at most 5% may go unjudged\): it cannot pass$/,
  );
  assert.equal(check(result, "slice", "typical").status, "not_measured");
  assert.match(
    result.summary,
    /^INCONCLUSIVE: not measured: slice 'typical', /,
  );
  const strict = await compare(store, {
    baseline: "base",
    candidate: "cand",
    mode: "strict",
  });
  assert.equal(strict.verdict, "REJECTED");
  // A task may allow more unjudged cells.
  const lenient = await compare(store, {
    baseline: "base",
    candidate: "cand",
    limits: { unmeasured: 0.4 },
  });
  assert.equal(lenient.verdict, "APPROVED");
});

Deno.test("compare() settles undecided limits by repeating their cases in both runs, within the budget", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store);
  const { runs } = await experiment(store, {
    task: "support_triage",
    prompts: ["v3", "v5"],
    models: ["fake-fast"],
    judge: "fake-judge",
  });
  const [baseline, candidate] = runs.map((r) => r.run_id) as [string, string];
  // Tight limits the runs as they are cannot decide.
  const limits = { slice: -0.03, dimension: -0.1 };
  const plain = await compare(store, { baseline, candidate, limits });
  assert.equal(plain.verdict, "INCONCLUSIVE");
  assert.equal(plain.settle, undefined);
  assert.equal(plain.inference?.spending, "one look");
  const receiptsBefore = (await listReceipts(store, baseline)).length +
    (await listReceipts(store, candidate)).length;
  const calls: number[] = [];
  const result = await compareRuns(store, {
    baseline,
    candidate,
    limits,
    settle: { budget: { calls: 120 } },
    extend: async (s, runId, cells, runner) => {
      const summary = await extendRun(s, runId, { ...runner, cells });
      calls.push(summary.adapter_calls);
      return { calls: summary.adapter_calls, cost: summary.cost };
    },
  });
  const settle = result.settle!;
  assert.equal(result.inference?.spending, "pocock-type over 5 looks");
  assert.ok(settle.looks.length >= 2);
  assert.equal(result.inference?.look, settle.looks.length);
  assert.deepEqual(settle.budget, { calls: 120 });
  // Every receipt of the two runs before settling.
  assert.equal(settle.base_calls, receiptsBefore);
  assert.equal(settle.calls, calls.reduce((a, b) => a + b, 0));
  assert.ok(settle.calls > 0 && settle.calls <= 120);
  assert.equal(
    settle.calls,
    settle.looks.reduce((a, l) => a + l.calls, 0),
  );
  // Both runs got the same repetitions of the same cases.
  const added = settle.looks.flatMap((l) => l.added);
  const cells = added.reduce((a, c) => a + c.repetitions, 0);
  assert.equal(
    (await listResults(store, baseline)).length,
    plain.baseline.cells + cells,
  );
  assert.equal(
    (await listResults(store, candidate)).length,
    plain.candidate.cells + cells,
  );
  assert.equal(result.candidate.cells, plain.candidate.cells + cells);
  // Each look that bought repetitions is a trace event before the verdict.
  const events = await listTraceEvents(store, result.trace_id!);
  assert.deepEqual(
    events.map((e) => e.type),
    [
      "workflow_started",
      ...settle.looks.filter((l) => l.added.length).map(() =>
        "verdict_settled_look"
      ),
      "comparison_made",
    ],
  );
  await assert.rejects(
    compare(store, { baseline, candidate, mode: "point", settle: true }),
    /point mode reads means only/,
  );
  await assert.rejects(
    compare(store, { baseline, candidate, settle: { budget: { calls: 0 } } }),
    /a settling budget is a positive whole number of calls/,
  );
});
