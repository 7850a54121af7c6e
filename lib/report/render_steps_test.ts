import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { compare } from "../compare/compare.ts";
import { experiment } from "../experiment/experiment.ts";
import type { Pipeline } from "../experiment/pipeline.ts";
import {
  supportV1,
  supportV2,
} from "../experiment/testdata/two_step_pipeline.ts";
import { getRun } from "../store/runs.ts";
import { listResults } from "../store/scores.ts";
import { listTraceEvents } from "../store/trace.ts";
import { open } from "../store/open.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { holdsRawPayload, parseMarkup, PAYLOADS } from "./_test_util.ts";
import { renderReport } from "./render_report.ts";
import { viewExperiment } from "./view_experiment.ts";
import { viewPipelineCell } from "./view_pipeline_cell.ts";
import { viewScorecard } from "./view_scorecard.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CASES = ["st-001", "st-002", "st-003", "st-004", "st-005", "st-006"];
const [SCRIPT, IMG] = PAYLOADS;

/** Each row of the tables under `selector`, as its cells' text. */
function rows(markup: string, selector: string): string[][] {
  return Array.from(
    parseMarkup(markup).querySelectorAll(`${selector} tbody tr`),
  ).map((tr) =>
    Array.from(tr.querySelectorAll("td")).map((td) =>
      (td.textContent ?? "").trim()
    )
  );
}

Deno.test("renderReport() of a pipeline run has a Steps section with the scorecard's per-step figures and each failing cell's timeline", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const result = await experiment(store, {
    task: "support_triage",
    pipeline: [supportV1],
    judge: "fake-judge",
    cases: CASES,
  });
  const runId = result.runs[0]!.run_id;
  const { scorecard } = await scoreRun(store, runId);
  const steps = scorecard.steps!;
  const exported = await bundle(store, { runs: [runId] });
  const { html } = await renderReport(exported.text!);
  assert.match(html, /<section id="steps"><h2>Steps<\/h2>/);
  const table = rows(html, '#steps [data-testid="steps-table"]');
  assert.deepEqual(
    table.map((r) => r[0]),
    ["classify", "draft", "review", "send"],
  );
  for (const row of table) {
    const f = steps[row[0]!]!;
    assert.deepEqual(row.slice(1, 7), [
      String(f.cells),
      String(f.failures),
      String(f.refused),
      String(f.owned),
      String(f.calls),
      f.cost,
    ], row[0]!);
    assert.equal(
      row[8],
      f.latency_ms ? f.latency_ms.p50.toFixed(0) : "–",
      `${row[0]} p50`,
    );
    assert.equal(
      row[10],
      f.gate
        ? `${f.gate.approved} / ${f.gate.pending} / ${f.gate.rejected}`
        : "–",
    );
  }
  assert.ok(steps.review!.gate!.pending > 0, "the review gate held refunds");
  // Failing cells: as many as the steps own, each timeline its cell's own
  // steps in the order they ran, the owner named.
  const owned = Object.values(steps).reduce((n, s) => n + s.owned, 0);
  assert.ok(owned > 0, "the run has failing cells");
  assert.match(
    html,
    new RegExp(`${owned} failing cell\\(s\\), ${Math.min(5, owned)} shown`),
  );
  const run = await getRun(store, runId);
  const events = await listTraceEvents(store, run.trace_id);
  const doc = parseMarkup(html);
  const shown = Array.from(
    doc.querySelectorAll('#steps [data-testid="failing-cell"]'),
  );
  assert.equal(shown.length, Math.min(5, owned));
  for (const cell of shown) {
    const [, caseKey, repetition, owner] =
      /^(\S+) #(\d+) · \S+ · owned by (\S+):/
        .exec(cell.querySelectorAll("p")[0]!.textContent ?? "")!;
    const score = events.find((e) =>
      e.step === "score" && e.data.case === caseKey &&
      e.data.repetition === Number(repetition)
    )!;
    assert.equal(owner, score.data.owner_step);
    const ran = events.filter((e) =>
      e.data.case === caseKey && e.data.repetition === Number(repetition) &&
      ["classify", "draft", "send"].includes(e.step ?? "")
    ).map((e) => e.step);
    const timeline = Array.from(cell.querySelectorAll("tbody tr")).map((tr) =>
      (tr.querySelectorAll("td")[1]!.textContent ?? "").replace(
        /\s*\(owns the failure\)\s*$/,
        "",
      )
    );
    // The gate sits beside its step, after draft and before send.
    assert.deepEqual(
      timeline,
      [
        ...ran.slice(0, 2),
        "gate review",
        ...ran.slice(2),
      ],
    );
  }
  // The notebook views show the same steps.
  const card = viewScorecard(scorecard);
  assert.equal(
    rows(card.html, '[data-testid="steps-table"]').map((r) => r[6]).join(),
    Object.values(steps).map((s) => s.cost).join(),
  );
  assert.match(card.text, /classify: \d+ cells, .* cost \d+\.\d+/);
  const exp = viewExperiment(result, { scorecards: [scorecard] });
  assert.equal(rows(exp.html, '[data-testid="steps-table"]').length, 4);
  assert.match(exp.text, /gate \d+ approved \/ \d+ held \/ \d+ rejected/);
});

Deno.test("renderReport() of a pipeline comparison shows both runs' steps side by side with the verdict's per-step cost checks", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const result = await experiment(store, {
    task: "support_triage",
    pipeline: [supportV1, supportV2],
    judge: "fake-judge",
    cases: CASES,
  });
  const [base, cand] = result.runs.map((r) => r.run_id);
  const baseCard = (await scoreRun(store, base!)).scorecard;
  const candCard = (await scoreRun(store, cand!)).scorecard;
  const verdict = await compare(store, { baseline: base!, candidate: cand! });
  const exported = await bundle(store, { comparison: verdict.id });
  const { html } = await renderReport(exported.text!);
  const table = rows(html, '#steps [data-testid="steps-compared"]');
  assert.deepEqual(
    table.map((r) => r[0]),
    ["classify", "draft", "review", "send"],
  );
  for (const row of table) {
    const step = row[0]!;
    assert.equal(
      row[5],
      `${baseCard.steps![step]!.cost} → ${candCard.steps![step]!.cost}`,
    );
    assert.equal(
      row[6],
      `${baseCard.steps![step]!.uncached_cost} → ${
        candCard.steps![step]!.uncached_cost
      }`,
    );
    const check = verdict.checks.find((c) =>
      c.name === `cost per cell, step ${step}`
    );
    if (check) assert.match(row[9]!, new RegExp(`^${check.outcome} `));
    else assert.match(row[9]!, /^none/);
  }
  // classify and draft call a model: the verdict checked their cost.
  assert.ok(table[0]![9]!.match(/^(pass|fail|inconclusive) /));
  assert.ok(table[1]![9]!.match(/^(pass|fail|inconclusive) /));
  assert.match(html, /Failing cells: candidate 2 × fake-fast/);
});

/** A pipeline whose steps hand back hostile text: output, error, gate reason. */
const hostile: Pipeline = {
  name: "hostile",
  version: "1",
  module: import.meta.url,
  steps: [
    { id: "draft" },
    { id: "lint", after: ["draft"] },
    { id: "review", after: ["draft", "lint"], gate: { subject: "draft" } },
    { id: "send", after: ["review"] },
  ],
  models: ["fake-fast"],
  gateChecks: {
    review: () => ({ decision: "reject", reason: `held: ${IMG}` }),
  },
  stepChecks: { draft: () => false },
  async run(_input, ctx) {
    const draft = await ctx.step(
      "draft",
      () => Promise.resolve({ category: SCRIPT, suggested_reply: IMG }),
    );
    try {
      await ctx.step("lint", () => Promise.reject(new Error(SCRIPT)));
    } catch {
      // The failure is on the trace; the pipeline goes on to its gate.
    }
    await ctx.gate("review", draft);
    return draft;
  },
};

Deno.test("a hostile step output, error and gate reason stay inert in the report and the cell view", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const result = await experiment(store, {
    task: "support_triage",
    pipeline: [hostile],
    cases: CASES.slice(0, 2),
  });
  const runId = result.runs[0]!.run_id;
  await scoreRun(store, runId);
  const exported = await bundle(store, { runs: [runId] });
  const { html } = await renderReport(exported.text!);
  const section = /<section id="steps">[\s\S]*?<\/section>/.exec(html)![0];
  assert.match(section, /owned by <strong>draft<\/strong>/);
  assert.match(section, /&lt;script&gt;globalThis\.wbPwned=1/);
  assert.match(section, /held: &lt;img src=x onerror=/);
  assert.equal(holdsRawPayload(html), false);

  const run = await getRun(store, runId);
  const events = await listTraceEvents(store, run.trace_id);
  const [cell] = await listResults(store, runId);
  const view = viewPipelineCell(
    events,
    { case: cell!.case_key, repetition: cell!.repetition },
    { output: cell!.output },
  );
  assert.match(view.text, /owned by draft/);
  assert.match(
    view.text,
    /2\. lint failed, 0 calls, \d+ ms: .*<script>/,
  );
  assert.match(view.text, /3\. gate review rejected: held: <img/);
  assert.match(view.html, /&lt;img src=x onerror=/);
  assert.equal(holdsRawPayload(view.html), false);
  assert.throws(
    () => viewPipelineCell(events, { case: "nope", repetition: 0 }),
    /pipeline cell 'nope#0' not found/,
  );
});
