import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import { getComparison } from "../store/comparisons.ts";
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
    "slice 'adversarial' regressed -0.250 (95% CI -0.250 to -0.250; limit -0.100): 0.875 -> 0.625",
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
      "dimension 'accuracy' regressed -2.000 (95% CI -2.000 to -2.000; limit -0.250): 4.000 -> 2.000",
    ]);
  });
  await t.step("cost growth, in exact decimals", async () => {
    const result = await verdictOf(openStore, () => ({ cost: "0.0013" }));
    assert.equal(result.verdict, "REJECTED");
    assert.equal(result.reasons.length, 1);
    assert.match(
      result.reasons[0]!,
      /^cost per cell grew \+30\.0% \(95% CI \+30\.0% to \+30\.0%; limit \+20\.0%\): 0\.001000 -> 0\.001300$/,
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
      /^failure rate grew \+0\.019 \(95% CI .*; limit \+0\.010\): 0\.000 -> 0\.019$/,
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
        "injection success rate grew +1.000 (95% CI +1.000 to +1.000; limit +0.100): 0.000 -> 1.000",
      ]);
    },
  );
});

eachStore.test("compare() holds a tie at the limit as within it", async ({ openStore }) => {
  const result = await verdictOf(openStore, () => ({ cost: "0.0012" }));
  assert.equal(result.verdict, "APPROVED");
  const cost = check(result, "cost");
  assert.equal(cost.delta, 0.2);
  assert.equal(cost.status, "within");
  // cell score 0.875 -> 0.775 in every adversarial cell: exactly -0.100
  const slice = await verdictOf(
    openStore,
    ({ slice }) =>
      slice === "adversarial" ? { checks: { exact_match: 0.6 } } : {},
  );
  assert.equal(check(slice, "slice", "adversarial").delta, -0.1);
  assert.equal(slice.verdict, "APPROVED");
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
 * Edge cases whose score deltas vary: the interval straddles -0.100. The
 * candidate's repetitions of a case differ by `spread` in exact_match.
 */
function straddling(deltas: readonly number[], spread = 0.02) {
  return ({ slice, i, rep }: CellPlace): Partial<TestCell> =>
    slice === "edge"
      ? { checks: { exact_match: 0.8 + 2 * deltas[i]! + (rep - 1) * spread } }
      : {};
}

eachStore.test("compare() modes read an interval that straddles the limit differently", async ({ openStore, t }) => {
  const edgeBase = ({ slice }: CellPlace): Partial<TestCell> =>
    slice === "edge" ? { checks: { exact_match: 0.8 } } : {};
  async function run(deltas: number[], mode: CompareMode, spread?: number) {
    await using store = await openStore();
    await storeWithRuns(
      store,
      testCells(3, edgeBase),
      testCells(3, straddling(deltas, spread)),
    );
    return await compare(store, { baseline: "base", candidate: "cand", mode });
  }
  await t.step("a point estimate within the limit", async () => {
    const deltas = [-0.14, -0.04, -0.12, -0.02, -0.1, -0.06];
    const point = await run(deltas, "point");
    const edge = check(point, "slice", "edge");
    assert.equal(edge.delta, -0.08);
    assert.ok(edge.interval!.low < -0.1 && edge.interval!.high > -0.1);
    assert.equal(edge.status, "possibly_breached");
    assert.equal(point.verdict, "APPROVED");
    const strict = await run(deltas, "strict");
    assert.equal(strict.verdict, "REJECTED");
    assert.match(
      strict.reasons[0]!,
      /^slice 'edge' may have regressed -0\.080/,
    );
    // The deltas differ between cases, hardly between repetitions: more
    // repetitions would not narrow the interval enough.
    const confident = await run(deltas, "confident");
    assert.equal(confident.verdict, "INCONCLUSIVE");
    assert.match(
      confident.inconclusive[0]!,
      /straddles the limit and more repetitions alone are unlikely to settle it$/,
    );
    assert.equal(confident.suggested_repetitions, null);
    assert.match(
      confident.summary,
      /^INCONCLUSIVE: 1 limit possibly breached \(slice 'edge'\); more repetitions alone/,
    );
    // The same case means with repetitions that vary as much as the cases
    // do: repetition noise, which more repetitions shrink.
    const noisy = await run(deltas, "confident", 0.2);
    assert.equal(check(noisy, "slice", "edge").delta, -0.08);
    assert.equal(noisy.verdict, "INCONCLUSIVE");
    assert.match(
      noisy.inconclusive[0]!,
      /straddles the limit: about \d+ repetitions per case would likely settle it$/,
    );
    assert.ok(noisy.suggested_repetitions! > 3);
    assert.match(
      noisy.summary,
      /^INCONCLUSIVE: 1 limit possibly breached \(slice 'edge'\); run about \d+ repetitions/,
    );
  });
  await t.step("a point estimate past the limit", async () => {
    const deltas = [-0.3, -0.02, -0.2, 0, -0.15, -0.05];
    assert.equal((await run(deltas, "point")).verdict, "REJECTED");
    assert.equal((await run(deltas, "strict")).verdict, "REJECTED");
    const confident = await run(deltas, "confident");
    assert.equal(check(confident, "slice", "edge").delta, -0.12);
    assert.equal(confident.verdict, "INCONCLUSIVE");
  });
});

eachStore.test("compare() takes limits from the task, and the call's win", async ({ openStore }) => {
  const drop = ({ slice }: CellPlace): Partial<TestCell> =>
    slice === "adversarial" ? { checks: { exact_match: 0 } } : {};
  const lenient = await verdictOf(openStore, drop, {}, { slice: -0.3 });
  assert.equal(lenient.limits.slice, -0.3);
  assert.equal(lenient.verdict, "APPROVED");
  const strict = await verdictOf(openStore, drop, { limits: { slice: -0.2 } }, {
    slice: -0.3,
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
