import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { compare } from "../compare/compare.ts";
import { listTraceEvents } from "../store/trace.ts";
import { open } from "../store/open.ts";
import { getRun } from "../store/runs.ts";
import { listResults } from "../store/scores.ts";
import { verifyChain } from "../trace/event.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { rescore } from "../scoring/rescore.ts";
import { bundle } from "../bundle/bundle.ts";
import { replayBundle } from "../bundle/replay_bundle.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import { Decimal } from "decimal.js";
import { sql as rawSql } from "kysely";
import type { ModelAdapter } from "../providers/adapter.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { Store } from "../store/open.ts";
import { eachStore } from "../store/test_stores.ts";
import { experiment, resumeExperiment } from "./experiment.ts";
import { planRuns } from "./plan_runs.ts";
import type { Pipeline } from "./pipeline.ts";
import { runWorker } from "./run_worker.ts";
import { ConflictError } from "../errors.ts";
import { supportV1, supportV2 } from "./testdata/two_step_pipeline.ts";
import { DENO_RUN_NET } from "../_deno_run.ts";

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
  const { scorecard, sha256 } = await scoreRun(store, run.id);
  // Rescoring and replaying read the pipeline's final output, not one
  // call's text, and give the same card.
  const rescored = await rescore(store, run.id);
  assert.equal(rescored.changed, 0);
  assert.equal(rescored.sha256, sha256);
  const exported = await bundle(store, { runs: [run.id] });
  assert.equal((await verifyBundle(exported.text!)).ok, true);
  assert.equal((await replayBundle(exported.text!)).identical, true);
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
  // The verdict's cost is every step's calls, and each step's cost growth
  // is held against the same limit.
  const costs = verdict.checks.filter((c) => c.kind === "cost");
  assert.deepEqual(costs.map((c) => c.name).sort(), [
    "cost per cell",
    "cost per cell, step classify",
    "cost per cell, step draft",
  ]);
  const total = costs.find((c) => c.name === "cost per cell")!;
  const classifyCost = costs.find((c) =>
    c.name === "cost per cell, step classify"
  )!;
  const draftCost = costs.find((c) => c.name === "cost per cell, step draft")!;
  assert.ok(
    Math.abs(
      total.baseline! - (classifyCost.baseline! + draftCost.baseline!),
    ) < 1e-9,
  );
  assert.equal(total.limit, classifyCost.limit);
});

/** Wraps the real adapters, counting calls by (case, repetition, purpose). */
function counting(calls: string[]): (config: ModelConfig) => ModelAdapter {
  return (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      call(request) {
        const purpose = request.hints?.judged_output === undefined
          ? "generate"
          : "judge";
        calls.push(
          `${request.hints?.case_id}#${request.repetition}#${purpose}`,
        );
        return inner.call(request);
      },
    };
  };
}

async function count(store: Store, sql: string): Promise<number> {
  const result = await rawSql.raw(sql).execute(store.db);
  return Number(Object.values(result.rows[0] as Record<string, unknown>)[0]);
}

eachStore.test("a pipeline experiment killed mid-run resumes with no committed call repeated", async ({ databaseUrl }) => {
  const url = await databaseUrl();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...DENO_RUN_NET,
      new URL("./testdata/slow_pipeline_child.ts", import.meta.url).pathname,
      url,
      ROOT,
      // Its calls after the 75th hang: the run stops at about 25 of its 90
      // cells, so the kill lands mid-run however late this process sees 15.
      "75",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const watcher = await open(url);
  let committed = 0;
  for (let i = 0; i < 1200 && committed < 15; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      committed = await count(watcher, "SELECT count(*) AS n FROM results");
    } catch {
      // The child may still be creating the schema.
    }
  }
  child.kill("SIGKILL");
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.signal, "SIGKILL");
  await watcher.close();

  await using store = await open(url);
  const run = await store.db.selectFrom("runs").select(["id", "trace_id"])
    .executeTakeFirstOrThrow();
  const done = new Set(
    (await listResults(store, run.id)).map((r) =>
      `${r.case_key}#${r.repetition}`
    ),
  );
  assert.ok(done.size >= 15 && done.size < 90, `killed after ${done.size}`);
  const receiptsBefore = await count(
    store,
    "SELECT count(*) AS n FROM model_io",
  );

  const calls: string[] = [];
  // Resuming needs the same pipeline: another version is refused.
  await assert.rejects(
    resumeExperiment(store, run.id, { pipeline: supportV2 }),
    /pass that pipeline/,
  );
  const resumed = await resumeExperiment(store, run.id, {
    pipeline: supportV1,
    adapterFor: counting(calls),
  });
  assert.equal(resumed.runs[0]!.status, "completed");
  assert.ok(calls.length > 0);
  for (const call of calls) {
    const cell = call.replace(/#(generate|judge)$/, "");
    assert.ok(
      !done.has(cell),
      `${cell} was committed before the kill but called again`,
    );
  }
  const results = await listResults(store, run.id);
  assert.equal(results.length, 90);
  assert.equal(
    new Set(results.map((r) => `${r.case_key}#${r.repetition}`)).size,
    90,
  );
  const receiptsAfter = await count(
    store,
    "SELECT count(*) AS n FROM model_io",
  );
  assert.equal(receiptsAfter, receiptsBefore + calls.length);
  const events = await listTraceEvents(store, run.trace_id);
  assert.equal(verifyChain(events), null);
  // Every cell's steps are on the trace once: classify ran once per cell.
  const classified = events.filter((e) =>
    e.step === "classify" && e.type !== "step_refused"
  ).map((e) => `${e.data.case}#${e.data.repetition}`);
  assert.equal(new Set(classified).size, 90);
});

Deno.test("a pipeline's run is planned and run in-process: workers and planRuns refuse it; a cancelled one resumes", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  await assert.rejects(
    planRuns(store, { task: "support_triage", pipeline: supportV1 }),
    /workers run prompt runs only/,
  );
  const stop = new AbortController();
  stop.abort();
  const first = await experiment(store, {
    task: "support_triage",
    pipeline: supportV1,
    cases: ["st-001"],
    signal: stop.signal,
  });
  assert.equal(first.runs.length, 0);
  const run = await store.db.selectFrom("runs").select("id")
    .executeTakeFirstOrThrow();
  await assert.rejects(
    runWorker(store, run.id),
    (e) =>
      e instanceof ConflictError && /--pipeline FILE.ts#name/.test(e.message),
  );
  const resumed = await resumeExperiment(store, first.experiment_id, {
    pipeline: supportV1,
  });
  assert.deepEqual(
    resumed.runs.map((r) => [r.status, r.committed]),
    [["completed", 3]],
  );
});

Deno.test("a failing cell is owned by the step that threw, else by the step whose check failed, else by the last step that called a model", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const broken: Pipeline = {
    name: "broken",
    version: "1",
    module: import.meta.url,
    steps: [{ id: "first" }, { id: "second", after: ["first"] }],
    models: ["fake-fast"],
    prompts: { main: "v3" },
    stepChecks: {
      first: (_output, testCase) => testCase.id !== "st-002",
    },
    async run(_input, ctx) {
      const text = await ctx.step(
        "first",
        (s) => s.call({ model: "fake-fast", prompt: "main" }),
      );
      await ctx.step("second", () => {
        if (ctx.caseId === "st-003") throw new Error("second broke");
        return Promise.resolve(text);
      });
      if (ctx.caseId === "st-004") throw new Error("glue broke");
      return ctx.caseId === "st-002" ? "not json" : text;
    },
  };
  const { runs } = await experiment(store, {
    task: "support_triage",
    pipeline: broken,
    cases: ["st-002", "st-003", "st-004"],
    repetitions: 1,
    allowFewerRepetitions: true,
  });
  const run = await getRun(store, runs[0]!.run_id);
  const events = await listTraceEvents(store, run.trace_id);
  const owners = Object.fromEntries(
    events.filter((e) => e.step === "score").map((
      e,
    ) => [String(e.data.case), e.data.owner_step]),
  );
  assert.deepEqual(owners, {
    "st-002": "first", // its own check failed
    "st-003": "second", // it threw
    "st-004": "first", // the glue threw: the last step that called a model
  });
  const glue = events.find((e) => e.type === "pipeline_failed")!;
  assert.equal(glue.data.case, "st-004");
  assert.equal(glue.step, null);
  const second = events.filter((e) => e.step === "second");
  // Cells commit in the order they finish.
  assert.deepEqual(second.map((e) => `${e.type}:${e.data.case}`).sort(), [
    "step_failed:st-003",
    "step_finished:st-002",
    "step_finished:st-004",
  ]);
  const { scorecard } = await scoreRun(store, run.id);
  assert.equal(scorecard.steps!.second!.failures, 1);
  assert.equal(scorecard.steps!.first!.owned, 2);
});
