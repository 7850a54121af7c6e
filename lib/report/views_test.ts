import assert from "node:assert/strict";
import { decideStepGate } from "../gate/step_gates.ts";
import { Tracer } from "../trace/tracer.ts";
import { open } from "../store/open.ts";
import { viewStepGate } from "./view_step_gate.ts";
import type { GateEvaluation } from "../gate/gate.ts";
import { DEFAULT_GATE_POLICY } from "../gate/policy.ts";
import type { Workflow } from "../trace/workflow.ts";
import { html, trusted } from "./_html.ts";
import { scorecard } from "./_fixtures.ts";
import { juryTable } from "./_scorecard.ts";
import { gateTimeline, workflowDag } from "./_sections.ts";
import { holdsRawPayload, PAYLOADS, texts } from "./_test_util.ts";
import { viewExperiment } from "./view_experiment.ts";
import { viewGate } from "./view_gate.ts";

const [SCRIPT, IMG, JS] = PAYLOADS;

function evaluation(): GateEvaluation {
  const subject = "a".repeat(64);
  return {
    gate: {
      id: "gate_1",
      task: `task ${SCRIPT}`,
      alias: "production",
      subject: {
        schema_version: 1,
        task: "t",
        alias: "production",
        prompt_version: { id: "t@v2", version: 2, sha256: "b".repeat(64) },
        comparison: null,
      },
      subject_sha256: subject,
      policy: { ...DEFAULT_GATE_POLICY, accepted_verdicts: [] },
      requested_by: IMG,
      trace_id: "tr_1",
      created_at: "2026-01-01T00:00:00.000Z",
      decisions: [{
        id: "d1",
        kind: "human",
        actor: "bea",
        decision: "reject",
        reason: JS,
        subject_sha256: subject,
        comparison_id: null,
        created_at: "2026-01-02T00:00:00.000Z",
      }, {
        id: "d2",
        kind: "human",
        actor: "cy",
        decision: "approve",
        reason: "looks fine",
        subject_sha256: "c".repeat(64),
        comparison_id: null,
        created_at: "2026-01-03T00:00:00.000Z",
      }],
    },
    status: "rejected",
    reasons: [`rejected by bea: ${SCRIPT}`],
    current_sha256: subject,
    approvals: [],
    rejections: ["bea"],
  };
}

Deno.test("html`` escapes interpolations unless they are trusted", () => {
  assert.equal(
    html`<p>${SCRIPT}</p>${trusted("<b>x</b>")}${[1, "<", null]}`.value,
    "<p>&lt;script&gt;globalThis.wbPwned=1&lt;/script&gt;</p><b>x</b>1&lt;",
  );
});

Deno.test("viewGate() shows the status first, then the decisions in time order", () => {
  const view = viewGate(evaluation());
  const shown = view.mimeBundle();
  const markup = shown["text/html"] ?? "";
  assert.ok(markup.indexOf("REJECTED") < markup.indexOf("timeline"));
  const items = texts(markup, "ol.timeline li");
  assert.equal(items.length, 3);
  assert.match(items[0] ?? "", /requested gate gate_1/);
  assert.match(items[1] ?? "", /bea \(human\) reject/);
  assert.match(items[2] ?? "", /not the gate's subject: does not count/);
  assert.match(view.text, /^gate gate_1 .* rejected/);
});

Deno.test("viewGate() and gateTimeline() escape untrusted names and reasons", () => {
  const view = viewGate(evaluation());
  const markup = view.mimeBundle()["text/html"] ?? "";
  assert.equal(holdsRawPayload(markup), false);
  assert.match(markup, /&lt;img src=x onerror=/);
  assert.equal(holdsRawPayload(gateTimeline([evaluation().gate]).value), false);
});

Deno.test("workflowDag() nests each step under the steps it comes after", () => {
  const workflow: Workflow = {
    schema_version: 1,
    name: "w",
    meta: {},
    steps: [
      { id: "render", after: [], uses: { prompt: SCRIPT } },
      { id: "generate", after: ["render"], uses: {} },
      { id: "check", after: ["generate"], uses: {} },
      { id: "judge", after: ["generate"], uses: {} },
      { id: "score", after: ["check", "judge"], uses: {} },
    ],
  };
  const markup = workflowDag(workflow).value;
  assert.equal(holdsRawPayload(markup), false);
  assert.equal(texts(markup, ".dag > ul > li").length, 1);
  assert.equal(texts(markup, "li li li").length, 4); // check, judge, score twice
});

Deno.test("viewExperiment() flags unfinished runs and escapes ids", () => {
  const run = {
    run_id: SCRIPT,
    prompt_version_id: "t@v1",
    model_config_id: IMG,
    status: "interrupted" as const,
    cells: 6,
    committed: 3,
    resumed: 0,
    failures: 1,
    judge_errors: 0,
    adapter_calls: 4,
    cache_hits: 0,
    attempts: 6,
    failed_attempts: 2,
    rate_limited: 1,
    retry_wait_ms: 1500,
    cost: "0.000300",
    uncached_cost: "0.000300",
    unreceipted_calls: 0,
    scorecard_sha256: null,
  };
  const view = viewExperiment({ experiment_id: "exp_1", runs: [run] });
  assert.match(view.text, /UNFINISHED/);
  assert.match(view.text, /1 cell\(s\) failed/);
  assert.match(
    view.text,
    /6 attempts, 2 failed attempts \(1 rate-limited\), 1\.5 s waited/,
  );
  assert.match(view.html, /retry wait/);
  assert.equal(holdsRawPayload(view.html), false);
});

Deno.test("holdsRawPayload() notices live payloads", () => {
  for (const payload of PAYLOADS.slice(0, 2)) {
    assert.equal(holdsRawPayload(payload), true);
  }
  assert.equal(holdsRawPayload(`<a href="javascript:alert(1)">x</a>`), true);
});

Deno.test("viewStepGate() shows a decided gate's decision beside its step, with model output inert", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "support",
    steps: [
      { id: "draft" },
      { id: "review", after: ["draft"], gate: { subject: "draft" } },
    ],
  });
  const held = await tracer.gate(
    "review",
    { reply: "<script>alert(1)</script> refund" },
    { waitMs: 0 },
  ).catch((e) => e);
  const decided = await decideStepGate(store, held.gateId, {
    actor: "Dana <i>",
    decision: "reject",
    reason: "promises a refund",
  });
  const view = viewStepGate(decided);
  assert.match(view.text, /review: rejected/);
  assert.doesNotMatch(view.html, /<script>|<i>/);
  assert.match(view.html, /&lt;script&gt;/);
  assert.match(view.html, /Dana &lt;i&gt;<\/strong> \(human\) reject/);
  assert.doesNotMatch(view.html, /Decide it/);
});

Deno.test("juryTable() gives the jurors, quorum and each dimension's alpha, escaped", () => {
  const card = scorecard({});
  const withJury = {
    ...card,
    judge: {
      ...card.judge,
      jury: {
        jurors: ["fake-judge", SCRIPT],
        quorum: 2,
        juror_errors: 1,
        dimensions: {
          accuracy: { alpha: 0.8123, units: 12 },
          tone: { alpha: null, units: 1 },
        },
      },
    },
  };
  const markup = juryTable(withJury).value;
  assert.equal(holdsRawPayload(markup), false);
  assert.deepEqual(texts(markup, "tbody tr"), [
    "accuracy0.8112",
    "tone–1",
  ]);
  assert.match(
    texts(markup, "p")[0]!,
    /quorum of 2; 1 judged cell\(s\) lost a juror/,
  );
});
