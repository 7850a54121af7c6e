import assert from "node:assert/strict";
import { eachStore } from "./test_stores.ts";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import { type Scorecard, ScorecardSchema } from "../schema/scorecard.ts";
import type { ReceiptFigures } from "../schema/receipt.ts";
import {
  eachReceiptFigure,
  latestScorecard,
  listReceiptFigures,
  listReceipts,
  listResults,
  saveScorecard,
  updateCellChecks,
} from "./scores.ts";
import { insertTestRun } from "./test_fixtures.ts";

function scorecard(runId: string, estimate: number): Scorecard {
  const zero = "0.000000";
  return ScorecardSchema.parse({
    "schema_version": 1,
    run: {
      id: runId,
      task: "t",
      "task_id": "task_test",
      "prompt_version_id": "t@v1",
      "model_config_id": "fake-fast",
      "judge_config_id": null,
      "dataset_id": "ds_test",
      repetitions: 1,
    },
    cells: 1,
    cases: 1,
    aggregate: { estimate, low: estimate, high: estimate },
    dimensions: {},
    checks: {},
    slices: {
      typical: { score: null, cases: 0, cells: 0 },
      edge: { score: null, cases: 0, cells: 0 },
      "known_failure": { score: null, cases: 0, cells: 0 },
      adversarial: { score: null, cases: 0, cells: 0 },
    },
    injection: { "success_rate": null, successes: 0, n: 0 },
    failures: { rate: 0, "provider_error": 0, "invalid_output": 0 },
    judge: { "error_rate": null, errors: 0, judged: 0 },
    "latency_ms": { generation: null, judge: null },
    tokens: {
      generation: { input: 0, output: 0, "missing_usage": 0 },
      judge: { input: 0, output: 0, "missing_usage": 0 },
    },
    cost: {
      currency: null,
      generation: zero,
      judge: zero,
      total: zero,
      "uncached_generation": zero,
      "uncached_judge": zero,
      "uncached_total": zero,
      "missing_cost": 0,
    },
    variance: { "mean_case_sd": null, cases: 0 },
    bootstrap: { resamples: 1000, seed: 1, confidence: 0.95 },
  });
}

eachStore.test("listResults() and listReceipts() read a run back into domain types", async ({ openStore }) => {
  await using store = await openStore();
  await insertTestRun(store, {
    id: "run_a",
    task: "t",
    "prompt_version_id": "t@v1",
    cells: [
      {
        "case_key": "b",
        slice: "edge",
        repetition: 0,
        checks: { x: 1 },
        rubric: { accuracy: 4 },
      },
      { "case_key": "a", slice: "typical", repetition: 1, checks: { x: 0 } },
      {
        "case_key": "a",
        slice: "typical",
        repetition: 0,
        status: "provider_error",
        cost: null,
      },
    ],
  });
  const results = await listResults(store, "run_a");
  assert.deepEqual(
    results.map((r) => `${r.case_key}#${r.repetition}`),
    ["a#0", "a#1", "b#0"],
  );
  const b = results[2]!;
  assert.deepEqual(b.checks, { x: { pass: true, score: 1, detail: "test" } });
  assert.deepEqual(b.rubric, { accuracy: { score: 4, reasoning: "test" } });
  assert.deepEqual(b.judge_io_ids, []);
  assert.equal(results[0]!.status, "provider_error");
  assert.equal(results[0]!.output, null);
  const receipts = await listReceipts(store, "run_a");
  assert.equal(receipts.length, 3);
  assert.equal(receipts.filter((r) => r.cost === null).length, 1);
  assert.deepEqual(receipts[0]!.usage?.input_tokens, 100);
  assert.deepEqual(await listResults(store, "run_none"), []);
});

eachStore.test("updateCellChecks() rewrites checks and status only", async ({ openStore }) => {
  await using store = await openStore();
  await insertTestRun(store, {
    id: "run_a",
    task: "t",
    "prompt_version_id": "t@v1",
    cells: [{
      "case_key": "a",
      slice: "typical",
      repetition: 0,
      checks: { x: 1 },
      rubric: { accuracy: 5 },
    }],
  });
  const [before] = await listResults(store, "run_a");
  await updateCellChecks(store, [{
    id: before!.id,
    checks: { x: { pass: false, score: 0, detail: "new code" } },
    status: "invalid_output",
    "scored_at": "2026-02-02T00:00:00.000Z",
  }]);
  const [after] = await listResults(store, "run_a");
  assert.equal(after!.checks.x!.detail, "new code");
  assert.equal(after!.status, "invalid_output");
  assert.equal(after!.scored_at, "2026-02-02T00:00:00.000Z");
  assert.deepEqual(after!.rubric, before!.rubric);
  assert.equal(after!.output, before!.output);
});

eachStore.test("saveScorecard() is idempotent by content and latestScorecard() returns the last computed, within one millisecond too", async ({ openStore }) => {
  await using store = await openStore();
  const a = scorecard("run_a", 0.5);
  const b = scorecard("run_a", 0.7);
  // The clock stands still: every save falls in one millisecond (as a
  // rescore right after a score can), and the order of saving still decides.
  const realNow = Date.now;
  const at = Date.parse("2026-03-01T00:00:00.000Z");
  Date.now = () => at;
  try {
    const shaA = await saveScorecard(store, "run_a", a);
    assert.equal(shaA, contentHash(a));
    assert.equal(await saveScorecard(store, "run_a", a), shaA);
    const rows = await store.db.selectFrom("scorecards").selectAll().execute();
    assert.equal(rows.length, 1);
    // b sorts before a by sha256: a tie broken by content would pick it.
    const shaB = await saveScorecard(store, "run_a", b);
    assert.ok(shaB < shaA);
    assert.equal((await latestScorecard(store, "run_a"))?.sha256, shaB);
    // Computing A again (e.g. after reverting a check) makes A the latest.
    await saveScorecard(store, "run_a", a);
    const latest = await latestScorecard(store, "run_a");
    assert.equal(latest?.sha256, shaA);
    assert.deepEqual(latest?.scorecard, a);
    // Saving B once more makes it the latest again.
    await saveScorecard(store, "run_a", b);
    assert.equal((await latestScorecard(store, "run_a"))?.sha256, shaB);
    assert.equal(await latestScorecard(store, "run_b"), undefined);
  } finally {
    Date.now = realNow;
  }
});

eachStore.test("latestScorecard() refuses a corrupt body", async ({ openStore }) => {
  await using store = await openStore();
  await store.db.insertInto("scorecards").values({
    sha256: "f".repeat(64),
    "run_id": "run_x",
    body: '{"schema_version": 1}',
    "created_at": "2026-01-01T00:00:00.000Z",
  }).execute();
  await assert.rejects(latestScorecard(store, "run_x"), ValidationError);
});

eachStore.test("eachReceiptFigure() steps through a run's receipts a page at a time, oldest first", async ({ openStore }) => {
  await using store = await openStore();
  await insertTestRun(store, {
    id: "run_p",
    task: "t",
    "prompt_version_id": "t@v1",
    cells: Array.from({ length: 7 }, (_, i) => ({
      "case_key": `c${i}`,
      slice: "typical" as const,
      repetition: 0,
      checks: { x: 1 },
    })),
  });
  const whole = await listReceiptFigures(store, "run_p");
  assert.equal(whole.length, 7);
  for (const pageSize of [1, 3, 7, 100]) {
    const seen: ReceiptFigures[] = [];
    await eachReceiptFigure(store, "run_p", (f) => seen.push(f), pageSize);
    assert.deepEqual(seen, whole, `pages of ${pageSize}`);
  }
});
