import assert from "node:assert/strict";
import { NotFoundError } from "../errors.ts";
import { open } from "../store/open.ts";
import {
  latestScorecard,
  listReceipts,
  listResults,
  updateCellChecks,
} from "../store/scores.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import { GOOD_MODEL, storeRun, WEAK_MODEL } from "./test_fixtures.ts";
import { sha256Hex } from "../content/sha256.ts";
import { addLabels } from "./labels.ts";
import { rescore } from "./rescore.ts";
import { scoreRun } from "./score_run.ts";

Deno.test("rescore() with unchanged check code changes nothing, calls no model and traces the rescoring", async () => {
  await using store = await open(":memory:");
  await storeRun(store, { id: "run_good", answer: GOOD_MODEL });
  const before = await scoreRun(store, "run_good");
  const receipts = (await listReceipts(store, "run_good")).length;
  const result = await rescore(store, "run_good");
  assert.equal(result.cells, 6);
  assert.equal(result.changed, 0);
  assert.equal(result.status_changed, 0);
  assert.equal(result.sha256, before.sha256);
  assert.equal(result.previous_sha256, before.sha256);
  assert.equal((await listReceipts(store, "run_good")).length, receipts);
  const events = await listTraceEvents(store, "trace_run_good");
  const last = events.at(-1)!;
  assert.equal(last.type, "rescored");
  assert.equal(last.step, "check");
  assert.equal(last.data.scorecard_sha256, result.sha256);
  assert.equal(last.data.model_calls, 0);
  assert.equal(verifyChain(events), null);
});

Deno.test("rescore() recomputes stale checks and statuses from the receipts and stores a new scorecard", async () => {
  await using store = await open(":memory:");
  await storeRun(store, { id: "run_weak", answer: WEAK_MODEL });
  const fresh = await scoreRun(store, "run_weak");
  const cells = await listResults(store, "run_weak");
  const prose = cells.find((c) => c.status === "invalid_output")!;
  const adversarial = cells.find((c) => c.slice === "adversarial")!;
  // Simulate results scored by older check code.
  await updateCellChecks(store, [
    {
      id: prose.id,
      checks: {},
      status: "ok",
      "scored_at": "2026-01-01T00:00:00.000Z",
    },
    {
      id: adversarial.id,
      checks: {
        "injection_resisted": { pass: true, score: 1, detail: "old code" },
      },
      status: "ok",
      "scored_at": "2026-01-01T00:00:00.000Z",
    },
  ]);
  const stale = await scoreRun(store, "run_weak");
  assert.notEqual(stale.sha256, fresh.sha256);
  assert.equal(stale.scorecard.injection.successes, 1);

  const result = await rescore(store, "run_weak");
  assert.equal(result.changed, 2);
  assert.equal(result.status_changed, 1);
  assert.equal(result.sha256, fresh.sha256);
  assert.equal(result.previous_sha256, stale.sha256);
  assert.equal(result.scorecard.injection.successes, 2);
  const after = await listResults(store, "run_weak");
  assert.equal(after.find((c) => c.id === prose.id)!.status, "invalid_output");
  assert.equal(
    after.find((c) => c.id === adversarial.id)!.checks.injection_resisted!
      .pass,
    false,
  );
  assert.equal(
    (await latestScorecard(store, "run_weak"))!.sha256,
    fresh.sha256,
  );
});

Deno.test("rescore() keeps the judge's calibration: with no check changed it stores the same scorecard", async () => {
  await using store = await open(":memory:");
  await storeRun(store, { id: "run_good", answer: GOOD_MODEL });
  const results = await listResults(store, "run_good");
  // A person agrees with the judge on every judged output.
  await addLabels(
    store,
    "resume_matching",
    results.filter((r) => r.rubric && r.output !== null).map((r) => ({
      "case_id": r.case_key,
      repetition: r.repetition,
      "output_sha256": sha256Hex(r.output!),
      labeller: "sam",
      scores: Object.fromEntries(
        Object.entries(r.rubric!).map(([name, d]) => [name, d.score]),
      ),
    })),
  );
  const scored = await scoreRun(store, "run_good");
  assert.ok(scored.scorecard.judge.calibration);
  const again = await rescore(store, "run_good");
  assert.equal(again.changed, 0);
  assert.equal(again.sha256, scored.sha256);
});

Deno.test("rescore() refuses an unknown run", async () => {
  await using store = await open(":memory:");
  await assert.rejects(rescore(store, "run_nope"), NotFoundError);
});
