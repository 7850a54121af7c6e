import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import {
  HOSTILE,
  hostileBundle,
  hostileTraceBundle,
} from "./_hostile_bundle.ts";
import { holdsRawPayload, parseMarkup, texts } from "./_test_util.ts";
import { renderReport } from "./render_report.ts";
import { viewTrace } from "./view_trace.ts";

const made = hostileBundle();

Deno.test("renderReport() escapes every hostile text from the bundle", async () => {
  const { text } = await made;
  const { html, integrity } = await renderReport(text);
  assert.equal(integrity.ok, true, integrity.summary);
  assert.equal(holdsRawPayload(html), false);
  const doc = parseMarkup(html);
  assert.equal(
    doc.querySelectorAll("script, img, iframe, object, embed").length,
    0,
  );
  // The payloads are there, as text a reader can see.
  const body = texts(html, "main").join("");
  for (const payload of Object.values(HOSTILE)) {
    assert.ok(body.includes(payload), `missing as text: ${payload}`);
  }
});

Deno.test("renderReport() makes one self-contained page under a strict CSP", async () => {
  const { text } = await made;
  const { html } = await renderReport(text);
  assert.match(
    html,
    /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:;/,
  );
  const doc = parseMarkup(html);
  for (const el of Array.from(doc.querySelectorAll("[src], [href], link"))) {
    const href = el.getAttribute("href");
    assert.ok(
      href !== null && href.startsWith("#"),
      `external reference: ${href}`,
    );
  }
  assert.doesNotMatch(html, /@import|url\(|@font-face/);
});

Deno.test("renderReport() puts the verdict first and ends with the verify command", async () => {
  const { text, sha256 } = await made;
  const { html } = await renderReport(text, { file: "my bundle.json" });
  const verdict = html.indexOf('data-testid="verdict"');
  assert.ok(verdict > 0);
  for (
    const id of [
      "figures",
      "plots",
      "tables",
      "samples",
      "corrections",
      "gates",
      "workflow",
      "integrity",
    ]
  ) {
    assert.ok(html.indexOf(`<section id="${id}"`) > verdict, id);
  }
  assert.deepEqual(texts(html, '[data-testid="verdict"] .label'), ["REJECTED"]);
  // Who wrote each compared prompt version, and why.
  const authors = texts(html, '[data-testid="authors"] li');
  assert.equal(authors.length, 2);
  assert.match(
    authors[0]!,
    /^candidate: v1 by maya\.chen \(\d{4}-\d\d-\d\d\): \S/,
  );
  assert.match(authors[1]!, /^baseline: v1 by maya\.chen/);
  assert.deepEqual(texts(html, '[data-testid="verify-command"]'), [
    `deno task wb verify 'my bundle.json' --expect ${sha256}`,
  ]);
  // Each run's calls: failed attempts, rate limits and waits.
  assert.match(
    texts(html, "#figures").join("\n"),
    /failed attempts.*\d+ calls, \d+ attempts: \d+ failed/s,
  );
  // The reviewer's correction, with who, why and the diff; figures unchanged.
  const corrections = texts(html, '[data-testid="corrections"]').join("");
  assert.ok(corrections.includes(`carl ${HOSTILE.img}`));
  assert.ok(corrections.includes(`overrated: ${HOSTILE.script}`));
  assert.match(corrections, /\+\{"match_score": 40/);
  assert.ok(html.indexOf('id="corrections"') > html.indexOf('id="samples"'));
  // Plots: per-slice comparison (with the breach), dimensions, latency, cost.
  assert.equal(texts(html, "#plots figure > svg").length, 4);
  // Each comparison plot has a legend naming its marks, the limit among them.
  assert.match(
    texts(html, "#plots figure .legend").join("\n"),
    /baseline v1 × fake-fast.*candidate v1 × fake-thorough.*limit: the lowest acceptable/s,
  );
  // Check pass rates, paired: both runs and the difference.
  const paired = texts(html, '[data-testid="paired-checks"] tbody tr');
  assert.ok(paired.length > 0);
  assert.ok(paired.every((row) => /%.*%.*[+-]\d+\.\d.*\d+$/s.test(row)));
  // Samples side by side: candidate and baseline on the same case.
  const pairs = texts(html, '[data-testid="sample-pair"]');
  assert.ok(pairs.length > 0);
  assert.match(
    pairs[0]!,
    /candidate v1 × fake-thorough.*baseline v1 × fake-fast/s,
  );
  assert.match(html, /✕ breach/);
  // The gate timeline names who decided what on which hash.
  const timeline = texts(html, "#gates ol.timeline li").join("\n");
  assert.match(timeline, /bea <script>.*\(human\) reject on [0-9a-f]{12}/);
  // Its status, from the gate's own records in the bundle.
  assert.deepEqual(texts(html, "#gates h3 .badge"), ["rejected"]);
  assert.match(
    texts(html, "#gates p.muted").join("\n"),
    /rejected by bea <script>/,
  );
});

Deno.test("renderReport() gives the same HTML for the same bundle", async () => {
  const { text } = await made;
  const a = await renderReport(text);
  const b = await renderReport(new TextEncoder().encode(text));
  assert.equal(a.html, b.html);
});

Deno.test("renderReport() states a failed verification before anything else", async () => {
  const { text } = await made;
  const tampered = text.replace('\\"match_score\\":60', '\\"match_score\\":61');
  assert.notEqual(tampered, text);
  const { html, integrity } = await renderReport(tampered);
  assert.equal(integrity.ok, false);
  const banners = texts(html, '[data-testid="verdict"] .label');
  assert.deepEqual(banners, ["INTEGRITY FAILED", "REJECTED"]);
  assert.match(html, /FAILED verification when this report was rendered/);
  const wrong = await renderReport(text, { expect: "0".repeat(64) });
  assert.equal(wrong.integrity.ok, false);
});

Deno.test("renderReport() refuses text that is not a bundle", async () => {
  await assert.rejects(renderReport("not json"), ValidationError);
  await assert.rejects(renderReport('{"format":"x"}'), ValidationError);
});

Deno.test("renderReport() warns when a limit rests on a slice of fewer than 5 cases", async () => {
  const { text } = await made;
  const { html } = await renderReport(text);
  // The hostile bundle's slices have 1 to 3 cases.
  const warnings = texts(html, "ul li").filter((t) => t.includes("rests on"));
  assert.ok(
    warnings.some((t) =>
      /^slice 'adversarial' rests on 1 case \(fewer than 5\)/.test(t)
    ),
    warnings.join("\n"),
  );
});

Deno.test("renderReport() of a trace bundle shows its timeline, receipts, artifacts with diffs, and totals", async () => {
  const { text } = await hostileTraceBundle();
  const { html, integrity } = await renderReport(text, { file: "t.json" });
  assert.equal(integrity.ok, true, integrity.summary);
  assert.equal(holdsRawPayload(html), false);
  assert.equal(
    parseMarkup(html).querySelectorAll("script, img, iframe, svg").length,
    0,
  );
  assert.deepEqual(texts(html, '[data-testid="verdict"] .label'), ["TRACE"]);
  assert.match(texts(html, "h1")[0]!, /reply_pipeline/);
  // No run sections: the trace is the report.
  assert.doesNotMatch(html, /No run in this bundle|Nothing to plot/);
  // Every event in order; the kind without a headline shows its data.
  const rows = texts(html, '[data-testid="trace-timeline"] tbody tr');
  assert.equal(rows.length, 10);
  assert.match(rows[2]!, /model_call.*openai\/gpt-4o-mini: ok/s);
  assert.match(rows[8]!, /review_gate_checked.*passed: false/s);
  assert.ok(rows[8]!.includes(HOSTILE.breakout));
  assert.match(rows[9]!, /artifact_edited.*v2 edited by dana/s);
  // Each receipt: provider, model, tokens, exact cost, latency, retries, error.
  const receipts = texts(html, '[data-testid="trace-receipts"] tbody tr');
  assert.equal(receipts.length, 2);
  assert.match(
    receipts[0]!,
    /gpt-4o-mini.*ok.*812.*9.*0\.0001272 USD.*640.*2/s,
  );
  assert.match(receipts[1]!, /claude-haiku-4-5.*error.*1200.*1.*server/s);
  // The artifact's versions, who made each, and the diff of the human edit.
  const artifacts = texts(html, '[data-testid="trace-artifacts"]').join("");
  assert.match(artifacts, /reply\/ticket-42 \(2 versions\)/);
  assert.match(artifacts, /\(human edit\)/);
  assert.match(artifacts, /-We refund you\./);
  assert.match(artifacts, /\+We will look into it\./);
  // Totals.
  const figures = texts(html, "#traces .kpi").join("\n");
  assert.match(figures, /model calls\s*2\s*1 failed · 3 retries/i);
  assert.match(figures, /0\.0001272 USD/);
  assert.match(figures, /812 \/ 9/);
  // Every payload is shown as text.
  const body = texts(html, "main").join("");
  for (const payload of Object.values(HOSTILE)) {
    assert.ok(body.includes(payload), `missing as text: ${payload}`);
  }
  // The notebook view is the same view.
  const view = viewTrace(text);
  assert.equal(holdsRawPayload(view.html), false);
  assert.match(view.html, /data-testid="trace-timeline"/);
  assert.match(view.text, /10 events, 2 model calls \(1 failed, 3 retries\)/);
  assert.match(
    view.text,
    /#8 .* review_gate_checked \[review\]: .*passed: false/,
  );
});
