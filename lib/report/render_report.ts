import type { BundleDocument } from "../bundle/format.ts";
import type { BundleJwk } from "../bundle/keys.ts";
import { verifyBundle, type VerifyResult } from "../bundle/verify_bundle.ts";
import { gateOutcome } from "../gate/evaluate_gate.ts";
import { rankScorecards } from "../scoring/leaderboard.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import {
  type BundleModel,
  bundleModel,
  pickComparison,
  type RunView,
  shortVersion,
} from "./_bundle_model.ts";
import { checksTable, comparisonBanner } from "./_comparison.ts";
import type { ComparisonShown } from "./_comparison_schema.ts";
import { parseBundleText } from "./_read_bundle.ts";
import { html, type SafeHtml, trusted } from "./_html.ts";
import { page } from "./_page.ts";
import { pairedSamplesSection, samplesSection } from "./_samples.ts";
import {
  checkRateTable,
  dimensionTable,
  juryTable,
  scorecardKpis,
  sliceTable,
} from "./_scorecard.ts";
import {
  figure,
  gateTimeline,
  type Kpi,
  kpiGrid,
  num,
  table,
  verdictBanner,
  workflowDag,
} from "./_sections.ts";
import { correctionsOf } from "../trace/list_corrections.ts";
import type { CellResult } from "../schema/result.ts";
import { pairedCheckDeltas } from "../scoring/paired_check_deltas.ts";
import { pipelineTraces, traceSection } from "./_trace.ts";
import { verifyCommand } from "./_verify_command.ts";
import {
  comparedStepsTable,
  failingCellsSection,
  stepsTable,
} from "./_steps.ts";
import { cellTimelines } from "../scoring/step_figures.ts";
import { COLOURS } from "./_charts.ts";
import { plotComparison } from "./plot_comparison.ts";
import { plotCost } from "./plot_cost.ts";
import { plotDimensions } from "./plot_dimensions.ts";
import { plotLatency } from "./plot_latency.ts";
import { plotLeaderboard } from "./plot_leaderboard.ts";
import { plotSlices } from "./plot_slices.ts";

/** Options of {@link renderReport}. */
export interface RenderReportOptions {
  /**
   * The bundle's file name, used in the verify command the report prints.
   * @default "bundle.json"
   */
  readonly file?: string;
  /** A payload sha256 published out of band: the report says whether the bundle matches it. */
  readonly expect?: string;
  /** The signer's public key (from `wb keygen`): the report checks the signature and says whether it verified. */
  readonly pubkey?: BundleJwk;
  /**
   * The public key's file name, used in the verify command of a signed bundle.
   * @default "SIGNER.pub"
   */
  readonly pubkeyFile?: string;
  /**
   * Judged samples shown for the candidate (or each run); the baseline gets half as many.
   * @default 4
   */
  readonly samples?: number;
}

/** What {@link renderReport} produced. */
export interface RenderReportResult {
  /** The report: one self-contained HTML document. */
  readonly html: string;
  /** The bundle's verification, as the report states it. */
  readonly integrity: VerifyResult;
}

/**
 * Renders a bundle as one self-contained HTML report for reviewers,
 * auditors and customers: no script, no network, no external font (inline
 * SVG and CSS only, under a strict Content-Security-Policy), readable on a
 * phone and on paper. In order: the verdict and its reasons (an integrity
 * failure above it), the key figures (score, cost, latency, failure rate),
 * the plots, the per-slice, per-dimension and per-check tables, judged
 * samples with the judge's reasoning, the gate timeline, the workflow DAG,
 * and the integrity block with the exact command that verifies the bundle.
 *
 * The bundle is verified first; a bundle that fails verification is still
 * rendered, with the failure stated before anything else. Every piece of
 * text from the bundle (model output, dataset text, names) is escaped.
 * The same bundle always gives the same HTML.
 *
 * @param source The bundle's text or bytes (what {@linkcode bundle} returned as `text`, or the file).
 * @param options The file name for the verify command, an expected sha256, how many samples.
 * @returns The HTML and the verification result.
 * @throws {ValidationError} If the text is not a bundle at all (not JSON, or not the bundle format).
 *
 * @example Report a traced pipeline
 * ```ts
 * import { bundle, open, renderReport, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "demo", steps: [{ id: "a" }] });
 * await tracer.emit("step_finished", { step: "a" });
 * const { text, sha256 } = await bundle(store, { trace: tracer.traceId });
 * const { html, integrity } = await renderReport(text!, { file: "demo.json" });
 * assert.equal(integrity.ok, true);
 * assert.ok(html.startsWith("<!DOCTYPE html>"));
 * assert.ok(html.includes(`deno task wb verify demo.json --expect ${sha256}`));
 * ```
 */
export async function renderReport(
  source: string | Uint8Array,
  options: RenderReportOptions = {},
): Promise<RenderReportResult> {
  const text = typeof source === "string"
    ? source
    : new TextDecoder().decode(source);
  const integrity = await verifyBundle(text, {
    ...(options.expect !== undefined ? { expect: options.expect } : {}),
    ...(options.pubkey !== undefined ? { pubkey: options.pubkey } : {}),
  });
  const model = bundleModel(parseBundleText(text));
  const body = reportBody(model, integrity, {
    file: options.file ?? "bundle.json",
    samples: options.samples ?? 4,
    expect: options.expect,
    pubkeyFile: options.pubkeyFile ??
      (options.pubkey !== undefined ? "KEY.pub" : "SIGNER.pub"),
  });
  return { html: page(titleOf(model), body), integrity };
}

function titleOf(model: BundleModel): string {
  const tasks = [...new Set(model.runs.map((r) => r.run.task))];
  const traces = tasks.length > 0
    ? []
    : pipelineTraces(model.doc).map((t) => t.name);
  const named = tasks.length > 0 ? tasks : traces;
  return `LLM Workbench report${
    named.length > 0 ? `: ${named.join(", ")}` : ""
  }`;
}

interface BodyOptions {
  file: string;
  samples: number;
  expect: string | undefined;
  pubkeyFile: string;
}

function reportBody(
  model: BundleModel,
  integrity: VerifyResult,
  options: BodyOptions,
): SafeHtml {
  const { doc } = model;
  const comparison = pickComparison(model);
  const byId = new Map(model.runs.map((r) => [r.run.id, r]));
  const baseline = comparison
    ? byId.get(comparison.shown.baseline.run_id)
    : undefined;
  const candidate = comparison
    ? byId.get(comparison.shown.candidate.run_id)
    : undefined;
  const focus: RunView[] = comparison
    ? [candidate, baseline].filter((r): r is RunView => r !== undefined)
    : model.runs;
  const sections: { id: string; title: string; body: SafeHtml }[] = [];
  const traces = pipelineTraces(doc);
  if (traces.length > 0) {
    sections.push({
      id: "traces",
      title: "Traced pipelines",
      body: html`${traces.map(traceSection)}`,
    });
  }
  if (model.runs.length > 0 || traces.length === 0) {
    runSections(sections, model, focus, comparison?.shown, {
      baseline,
      candidate,
      samples: options.samples,
    });
  }
  const corrections = correctionsSection(model);
  if (corrections) {
    sections.push({
      id: "corrections",
      title: "Human corrections",
      body: corrections,
    });
  }
  sections.push({
    id: "gates",
    title: "Gate timeline",
    body: gateTimeline(model.gates, model.moves, gateStatuses(model)),
  });
  sections.push({
    id: "workflow",
    title: "Workflow",
    body: model.workflows.length === 0
      ? html`<p class="muted">No workflow snapshot.</p>`
      : html`${
        model.workflows.map((w) =>
          html`${
            workflowDag(w.workflow)
          }<p class="muted">snapshot sha256 <code>${w.sha256}</code></p>`
        )
      }`,
  });
  sections.push({
    id: "integrity",
    title: "Integrity",
    body: integrityBlock(doc, integrity, options),
  });

  const tasks = [...new Set(model.runs.map((r) => r.run.task))];
  return html`
    <header>
      <h1>${titleOf(model)}</h1>
      <p
        class="muted">Evidence up to ${doc.created_at}, bundled by ${doc
          .generator}${tasks.length > 0
          ? html`
            · task ${tasks.join(", ")}
          `
          : ""} · ${model.runs.length} run(s), ${doc.sections.receipts
          .length} model calls</p>
    </header>${integrity.ok ? "" : verdictBanner(
      "INTEGRITY FAILED",
      integrity.problems.slice(0, 10).map((p) =>
        `${
          [p.section, p.record === null ? null : `'${p.record}'`].filter(
            Boolean,
          ).join(" ")
        }: ${p.message}`
      ),
      "This bundle does not verify: it was changed after it was made, or is damaged. Do not rely on anything below.",
    )}${verdictSection(model, comparison?.shown)}<nav
      class="toc">${sections.map((s) =>
        html`<a href="#${s.id}">${s.title}</a>`
      )}</nav>${sections.map((s) =>
        html`<section id="${s.id}"><h2>${s.title}</h2>${s.body}</section>`
      )}${model.skipped.length > 0
        ? html`
          <section>
            <h2>Records not shown</h2>
            <ul>${model.skipped.map((s) => html`<li>${s}</li>`)}</ul>
          </section>
        `
        : ""}<footer>
      <p
        class="muted">Rendered from the bundle alone; the bundle is the evidence. Figures are recomputed from its records where the bundle holds no scorecard.</p>
    </footer>
  `;
}

function runSections(
  sections: { id: string; title: string; body: SafeHtml }[],
  model: BundleModel,
  focus: RunView[],
  shown: ComparisonShown | undefined,
  options: {
    baseline: RunView | undefined;
    candidate: RunView | undefined;
    samples: number;
  },
): void {
  const { baseline, candidate } = options;
  sections.push({
    id: "figures",
    title: "Key figures",
    body: keyFigures(focus, shown !== undefined),
  });
  sections.push({
    id: "plots",
    title: "Plots",
    body: plots(model, shown, baseline, candidate),
  });
  sections.push({
    id: "tables",
    title: "Slices, dimensions and checks",
    body: tables(
      focus,
      shown,
      candidate !== undefined && baseline !== undefined,
    ),
  });
  const steps = stepsSection(focus, shown, baseline, candidate);
  if (steps) sections.push({ id: "steps", title: "Steps", body: steps });
  sections.push({
    id: "samples",
    title: "Judged samples",
    body: candidate && baseline
      ? html`
        <p
          class="muted">Each candidate sample (weakest first, then one per slice) beside the baseline's answer to the same case and repetition.</p>${pairedSamplesSection(
            candidate.results,
            baseline.results,
            {
              limit: options.samples,
              labels: { candidate: candidate.label, baseline: baseline.label },
              inputs: model.inputs,
            },
          )}
      `
      : html`${
        focus.map((r, i) =>
          html`<h3>${r.label} <span class="muted">(run ${r.run.id})</span></h3>${
            samplesSection(r.results, {
              limit: i === 0 ? options.samples : Math.ceil(options.samples / 2),
              inputs: model.inputs,
            })
          }`
        )
      }`,
  });
}

/** Failing cells shown per run in the Steps section, each with its timeline. */
const FAILING_CELLS_SHOWN = 5;

/**
 * A pipeline run's steps: its per-step table (for a comparison, both runs'
 * side by side with the verdict's per-step cost checks) and its failing
 * cells, each with the step that owns it and its timeline. Undefined when
 * no run shown is a pipeline's.
 */
function stepsSection(
  focus: readonly RunView[],
  shown: ComparisonShown | undefined,
  baseline: RunView | undefined,
  candidate: RunView | undefined,
): SafeHtml | undefined {
  const piped = focus.filter((r) => r.scorecard?.steps);
  if (piped.length === 0) return undefined;
  const paired = shown !== undefined && baseline?.scorecard?.steps &&
    candidate?.scorecard?.steps;
  const intro = html`
    <p
      class="muted">Per step over the run's cells: cells it ran in, failed, refused by a gate before it, failing cells it owns (the first step whose output went wrong: a check per step where the pipeline defines one, else the final step), model calls, exact cost of its receipts (a cache hit costs 0; uncached beside it), wall-time latency per cell (calls included) and its gate's decisions. Counts over these cells only.</p>
  `;
  const failing = (r: RunView, role = "") =>
    html`<h3>Failing cells: ${role}${r.label} <span class="muted">(run ${r.run.id})</span></h3>${
      failingCellsSection(
        cellTimelines(r.events),
        r.results,
        FAILING_CELLS_SHOWN,
      )
    }`;
  if (paired) {
    return html`${intro}${
      comparedStepsTable(
        baseline.scorecard!.steps!,
        candidate.scorecard!.steps!,
        shown.checks,
      )
    }${failing(candidate, "candidate ")}${failing(baseline, "baseline ")}`;
  }
  return html`${intro}${
    piped.map((r) =>
      html`<h3>${r.label} <span class="muted">(run ${r.run.id})</span></h3>${
        stepsTable(r.scorecard!.steps!, r.scorecard!.cost.currency)
      }${failing(r)}`
    )
  }`;
}

/** Who wrote the compared prompt versions, and why (their notes). */
function authorsLine(
  model: BundleModel,
  comparison: ComparisonShown,
): SafeHtml {
  const versions = new Map(
    model.doc.sections.prompt_versions.map((v) => [v.id, v]),
  );
  const runs = new Map(model.runs.map((r) => [r.run.id, r.run]));
  const side = (role: string, runId: string) => {
    const id = runs.get(runId)?.prompt_version_id;
    const v = id === undefined ? undefined : versions.get(id);
    return v
      ? html`<li>${role}: <strong>${
        shortVersion(v.id)
      }</strong> by <strong>${v.author}</strong> (${
        v.created_at.slice(0, 10)
      }): ${v.note}</li>`
      : html`<li>${role}: ${
        id ?? runId
      } (prompt version not in the bundle)</li>`;
  };
  return html`<ul class="authors" data-testid="authors">${
    side("candidate", comparison.candidate.run_id)
  }${side("baseline", comparison.baseline.run_id)}</ul>`;
}

/** Corrections people recorded on the runs' outputs (`wb edit`), or undefined when none. */
function correctionsSection(model: BundleModel): SafeHtml | undefined {
  const byTrace = new Map(model.runs.map((r) => [r.run.trace_id, r]));
  const found = correctionsOf(
    model.doc.sections.trace_events.filter((e) =>
      byTrace.has(e.trace_id)
    ) as TraceEvent[],
  );
  if (found.length === 0) return undefined;
  const runOf = new Map(
    model.runs.flatMap((r) => r.results.map((c) => [c.id, r])),
  );
  return html`
    <p>People corrected ${found
      .length} output(s). The stored outputs, their scores and every figure above are the model's, unchanged; each correction is a new version bound to the cell's result and receipt.</p>
    <div data-testid="corrections">${table(
      ["run", "case", "by", "when", "reason"],
      found.map((c) => [
        runOf.get(c.result_id)?.label ?? c.result_id,
        `${c.case_key} #${c.repetition}`,
        c.editor,
        c.at,
        c.reason,
      ]),
    )}${found.map((c) =>
      html`
        <details>
          <summary>${c.case_key} #${c.repetition}: v${c.version} by ${c
            .editor}</summary>
          <pre class="diff">${c.patch}</pre>
        </details>
      `
    )}</div>
  `;
}

function verdictSection(
  model: BundleModel,
  comparison: ComparisonShown | undefined,
): SafeHtml {
  if (comparison) {
    return html`${comparisonBanner(comparison)}${
      authorsLine(model, comparison)
    }${
      comparison.improvements.length > 0
        ? html`
          <details>
            <summary>Improved (${comparison.improvements.length})</summary>
            <ul>${comparison.improvements.map((i) => html`<li>${i}</li>`)}</ul>
          </details>
        `
        : ""
    }${
      comparison.suggested_repetitions !== null &&
        comparison.verdict === "INCONCLUSIVE"
        ? html`<p>About <strong>${comparison.suggested_repetitions}</strong> repetitions per case would likely settle it.</p>`
        : ""
    }${
      (comparison.small_sample_warnings ?? []).length > 0
        ? html`
          <p><strong>Small samples:</strong></p>
          <ul>${(comparison.small_sample_warnings ?? []).map((w) =>
            html`<li>${w}</li>`
          )}</ul>
        `
        : ""
    }${
      (comparison.judge_warnings ?? []).length > 0
        ? html`
          <p><strong>Judge warnings:</strong></p>
          <ul>${(comparison.judge_warnings ?? []).map((w) =>
            html`<li>${w}</li>`
          )}</ul>
        `
        : ""
    }`;
  }
  const traces = pipelineTraces(model.doc);
  if (model.runs.length === 0 && traces.length > 0) {
    return verdictBanner(
      "TRACE",
      traces.flatMap((t) => [
        `${t.name}: ${t.totals.events} events, ${t.totals.calls} model calls (${t.totals.failedCalls} failed, ${t.totals.retries} retries), ${t.totals.versions} artifact versions, ${t.totals.edits} human edits`,
      ]),
      "A traced pipeline: what happened, in order, with every model call and artifact. Nothing was compared against a baseline.",
    );
  }
  return verdictBanner(
    "NO VERDICT",
    [`this bundle holds ${model.runs.length} run(s) and no comparison`],
    "Nothing was compared against a baseline in this bundle.",
  );
}

function keyFigures(runs: readonly RunView[], compared: boolean): SafeHtml {
  if (runs.length === 0) {
    return html`<p class="muted">No run in this bundle.</p>`;
  }
  return html`${
    runs.map((r, i) => {
      const role = compared ? (i === 0 ? "candidate" : "baseline") : "run";
      const kpis: Kpi[] = r.scorecard
        ? scorecardKpis(r.scorecard)
        : [{ key: "score", value: "–", sub: "no scorecard and no results" }];
      return html`<h3>${role}: ${r.label} <span class="muted">(${r.run.status}, ${r.run.repetitions} repetitions${
        r.computed ? ", scorecard recomputed from the bundle" : ""
      })</span></h3>${kpiGrid(kpis)}`;
    })
  }`;
}

function plots(
  model: BundleModel,
  comparison: ComparisonShown | undefined,
  baseline: RunView | undefined,
  candidate: RunView | undefined,
): SafeHtml {
  const out: SafeHtml[] = [];
  if (comparison && baseline?.scorecard && candidate?.scorecard) {
    const cards = {
      baseline: baseline.scorecard,
      candidate: candidate.scorecard,
    };
    const legend = [
      {
        mark: "dot" as const,
        colour: COLOURS.baseline,
        label: `baseline ${baseline.label}`,
      },
      {
        mark: "dot" as const,
        colour: COLOURS.candidate,
        label: `candidate ${candidate.label}`,
      },
      {
        mark: "dot" as const,
        colour: COLOURS.breach,
        label: "candidate, breaching its limit",
      },
      {
        mark: "whisker" as const,
        colour: COLOURS.candidate,
        label: "95% interval over cases",
      },
      {
        mark: "tick" as const,
        colour: COLOURS.limit,
        label: "limit: the lowest acceptable candidate value",
      },
    ];
    out.push(figure(
      trusted(plotComparison(comparison, cards).svg),
      "Per-slice score (0-1; the axis fits the data and the limits), with each slice's case count",
      legend,
    ));
    out.push(figure(
      trusted(plotComparison(comparison, { ...cards, by: "dimension" }).svg),
      "Rubric dimensions (1-5; the axis fits the data and the limits): mean with its 95% interval over cases, as in the table",
      legend,
    ));
  } else {
    for (const r of model.runs) {
      if (!r.scorecard) continue;
      const legend = [
        { mark: "dot" as const, colour: COLOURS.run, label: "mean" },
        {
          mark: "whisker" as const,
          colour: COLOURS.run,
          label: "95% interval over cases",
        },
      ];
      out.push(figure(
        trusted(plotSlices(r.scorecard).svg),
        `Per-slice score of ${r.label} (0-1; the axis fits the data), with each slice's case count`,
        legend,
      ));
      if (Object.values(r.scorecard.dimensions).some((d) => d.mean)) {
        out.push(figure(
          trusted(plotDimensions(r.scorecard).svg),
          `Rubric dimensions of ${r.label} (1-5): mean with its 95% interval over cases, as in the table`,
          legend,
        ));
      }
    }
    const scored = model.runs.filter((r) => r.scorecard);
    if (scored.length >= 2) {
      const entries = rankScorecards(
        scored.map((r) => ({
          sha256: r.scorecardSha256 ?? "",
          scorecard: r.scorecard!,
        })),
      );
      out.push(figure(
        trusted(plotLeaderboard(entries).svg),
        "Leaderboard: score against generation cost per cell (the tie-breaker); dot size: latency p50; hollow: technical tie",
        [
          { mark: "dot", colour: COLOURS.run, label: "run (#rank)" },
          {
            mark: "whisker",
            colour: COLOURS.run,
            label: "95% interval of its score",
          },
        ],
      ));
    }
  }
  const receipts = model.runs.flatMap((r) => r.receipts);
  if (receipts.length > 0) {
    const labels = Object.fromEntries(
      model.runs.map((r) => [r.run.id, r.label]),
    );
    out.push(figure(
      trusted(plotLatency(receipts, { labels }).svg),
      "Latency of every live model call (thin ticks) and the median (thick), generation and judge apart",
      [
        { mark: "tick", colour: COLOURS.generate, label: "generation call" },
        { mark: "tick", colour: COLOURS.judge, label: "judge call" },
      ],
    ));
    out.push(figure(
      trusted(plotCost(receipts, { labels }).svg),
      "Cost per run, generation and judge apart, rounded to 4 significant digits (the exact decimal sums are in the tooltips and the key figures)",
      [
        { mark: "bar", colour: COLOURS.generate, label: "generation" },
        { mark: "bar", colour: COLOURS.judge, label: "judge" },
      ],
    ));
  }
  return out.length > 0
    ? html`${out}`
    : html`<p class="muted">Nothing to plot.</p>`;
}

function tables(
  runs: readonly RunView[],
  comparison: ComparisonShown | undefined,
  paired: boolean,
): SafeHtml {
  const cards = runs.filter((r) => r.scorecard).map((r, i) => ({
    label: paired ? (i === 0 ? "candidate" : "baseline") : r.label,
    card: r.scorecard!,
  }));
  const ordered = paired ? [...cards].reverse() : cards;
  const failing = (kind: string): string[] =>
    comparison?.checks.filter((c) => c.kind === kind && c.outcome === "fail")
      .map((c) => c.name) ?? [];
  return html`${
    ordered.length > 0
      ? html`<h3>Per slice</h3>${
        sliceTable(ordered, failing("slice"))
      }<h3>Per dimension</h3>${dimensionTable(ordered, failing("dimension"))}`
      : ""
  }${
    comparison
      ? html`<h3>Every limit the verdict checked</h3>${checksTable(comparison)}`
      : ""
  }${
    paired && runs.length >= 2
      ? html`<h3>Check pass rates, paired</h3>${
        pairedChecksTable(runs[1]!.results, runs[0]!.results)
      }`
      : ""
  }${
    cards.map((c) => html`<h3>Checks: ${c.label}</h3>${checkRateTable(c.card)}`)
  }${
    cards.filter((c) => c.card.judge.jury).map((c) =>
      html`<h3>Jury agreement: ${c.label}</h3>${juryTable(c.card)}`
    )
  }`;
}

/** Each check's pass rate in both runs, and the paired difference with its interval. */
function pairedChecksTable(
  baseline: readonly CellResult[],
  candidate: readonly CellResult[],
): SafeHtml {
  const deltas = pairedCheckDeltas(baseline, candidate);
  if (deltas.length === 0) {
    return html`<p class="muted">No check in both runs.</p>`;
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const signed = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}`;
  return html`
    <p
      class="muted">Pass rates over the cases both runs ran; the difference's 95% interval draws the same cases for both runs (about unseen cases like these; none with fewer than 5 cases, or when every case moved alike). Points, not a verdict: the verdict's limits are above.</p>
    <div data-testid="paired-checks">${table(
      [
        "check",
        { text: "baseline", numeric: true },
        { text: "candidate", numeric: true },
        { text: "difference (points) [95%]", numeric: true },
        { text: "cases", numeric: true },
      ],
      deltas.map((d) => [
        d.check,
        num(pct(d.baseline)),
        num(pct(d.candidate)),
        num(
          `${signed(d.delta)}${
            d.low === null || d.high === null
              ? " (no interval)"
              : ` [${signed(d.low)}, ${signed(d.high)}]`
          }`,
        ),
        num(d.cases),
      ]),
    )}</div>
  `;
}

function integrityBlock(
  doc: BundleDocument,
  integrity: VerifyResult,
  options: BodyOptions,
): SafeHtml {
  const sha = integrity.sha256 ?? doc.integrity.sha256;
  const counts = Object.entries(integrity.counts).filter(([, n]) => n > 0);
  return html`
    <div
      class="integrity"><p><strong>${integrity.ok
        ? "Verified when this report was rendered"
        : "FAILED verification when this report was rendered"}:</strong> ${integrity
        .summary}</p>${table(["what", "value"], [
          [
            "payload sha256 (computed)",
            html`<code>${integrity.sha256 ?? "unreadable"}</code>`,
          ],
          [
            "payload sha256 (integrity block)",
            html`<code>${doc.integrity.sha256}</code>`,
          ],
          [
            "canonicalization",
            `${doc.integrity.canonicalization} + ${doc.integrity.digest}`,
          ],
          [
            "signature",
            integrity.signature === "none"
              ? "unsigned"
              : html`Ed25519, key id <code>${integrity.keyId ?? ""}</code> (${
                integrity.signature === "verified"
                  ? "verified against the given public key when this report was rendered"
                  : integrity.problems.some((p) =>
                      p.message.startsWith("signature check failed")
                    )
                  ? "FAILED against the given public key"
                  : "NOT checked: render with --pubkey KEY.pub, or run the command below"
              })`,
          ],
          [
            "redacted fields",
            doc.redactions.length > 0 ? doc.redactions.join(", ") : "none",
          ],
          ...(options.expect !== undefined
            ? [["expected sha256", html`<code>${options.expect}</code>`]]
            : []),
        ])}<p>Anyone can check this bundle offline. Hashes prove it is internally consistent; only a sha256 received from its author out of band (or a signature by a key you trust) proves who made it${integrity
          .signature === "none"
        ? ""
        : html`
          (<code>${options
            .pubkeyFile}</code> below is the public key of key id <code>${integrity
            .keyId ?? ""}</code>, obtained from its signer)
        `}:</p><pre data-testid="verify-command">${verifyCommand(
          options.file,
          sha,
          integrity.signature === "none" ? undefined : options.pubkeyFile,
        )}</pre>${table(
          ["section", { text: "records", numeric: true }],
          counts.map(([section, n]) => [section, num(n)]),
        )}</div>
  `;
}

/**
 * Each gate's status as its records in the bundle have it (the rules of
 * `evaluateGate`, with the subject as the bundle recorded it: whether that
 * content is still current is for the database to say, not the bundle).
 */
function gateStatuses(
  model: BundleModel,
): Record<string, { status: string; reasons: readonly string[] }> {
  const events = new Map<string, TraceEvent[]>();
  for (const e of model.doc.sections.trace_events) {
    const list = events.get(e.trace_id) ?? [];
    list.push(e as TraceEvent);
    events.set(e.trace_id, list);
  }
  return Object.fromEntries(model.gates.map((gate) => {
    const trace = (events.get(gate.trace_id) ?? []).sort((a, b) =>
      a.index - b.index
    );
    const { status, reasons } = gateOutcome(gate, trace);
    return [gate.id, { status, reasons }];
  }));
}
