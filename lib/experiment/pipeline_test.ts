import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { compare } from "../compare/compare.ts";
import { listTraceEvents } from "../store/trace.ts";
import { open } from "../store/open.ts";
import { getRun } from "../store/runs.ts";
import { listResults } from "../store/scores.ts";
import { verifyChain } from "../trace/event.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { Decimal } from "decimal.js";
import { experiment } from "./experiment.ts";
import { supportV1, supportV2 } from "./testdata/two_step_pipeline.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CASES = ["st-001", "st-002", "st-003", "st-004", "st-005", "st-006"];

Deno.test("a pipeline experiment of two versions runs every cell, with receipts bound to cell and step", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const result = await experiment(store, {
    task: "support_triage",
    pipeline: [supportV1, supportV2],
    judge: "fake-judge",
    cases: CASES,
  });
  assert.deepEqual(
    result.runs.map((r) => [r.prompt_version_id, r.status, r.committed]),
    [
      ["pipeline:support@1", "completed", 18],
      ["pipeline:support@2", "completed", 18],
    ],
  );
  const run = await getRun(store, result.runs[0]!.run_id);
  const meta = (run.workflow as {
    meta: {
      pipeline: { version: string; source_sha256: string };
      prompts: Record<string, { id: string }>;
    };
  }).meta;
  assert.equal(meta.pipeline.version, "1");
  assert.match(meta.pipeline.source_sha256, /^[0-9a-f]{64}$/);
  assert.equal(meta.prompts.classify?.id, "support_triage@v2");
  const events = await listTraceEvents(store, run.trace_id);
  assert.equal(verifyChain(events), null);
  const classify = events.filter((e) =>
    e.step === "classify" && e.type === "step_finished"
  );
  assert.equal(classify.length, 18);
  assert.equal((classify[0]!.data.receipt_ids as string[]).length, 1);
  const results = await listResults(store, run.id);
  assert.equal(results.length, 18);
  assert.ok(
    results.every((r) => r.judge_io_ids.length > 0 || r.status !== "ok"),
  );
  const review = events.filter((e) => e.step === "review");
  assert.ok(review.some((e) => e.type === "gate_requested"));
  const { scorecard } = await scoreRun(store, run.id);
  const steps = scorecard.steps!;
  assert.deepEqual(Object.keys(steps), ["classify", "draft", "review", "send"]);
  assert.equal(steps.classify!.calls, 18);
  assert.equal(steps.classify!.cells + steps.classify!.refused, 18);
  assert.match(steps.classify!.cost, /^\d+\.\d{6,}$/);
  assert.equal(steps.classify!.latency_ms?.n, steps.classify!.cells);
  const gate = steps.review!.gate!;
  assert.equal(gate.approved + gate.rejected + gate.pending, 18);
  assert.equal(steps.send!.cells, gate.approved);
  const failing =
    results.filter((r) =>
      r.status !== "ok" || Object.values(r.checks).some((c) => !c.pass)
    ).length;
  assert.equal(
    Object.values(steps).reduce((n, s) => n + s.owned, 0),
    failing,
  );
  // Per-step cost adds up to the scorecard's generation cost, exactly.
  assert.equal(
    Object.values(steps).reduce((n, s) => n.plus(s.cost), new Decimal(0))
      .toString(),
    new Decimal(scorecard.cost.generation).toString(),
  );
  const verdict = await compare(store, {
    baseline: result.runs[0]!.run_id,
    candidate: result.runs[1]!.run_id,
  });
  assert.ok(["APPROVED", "REJECTED", "INCONCLUSIVE"].includes(verdict.verdict));
});
