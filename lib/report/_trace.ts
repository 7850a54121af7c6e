/**
 * The traced pipelines of a bundle (traces that are not a run's, a gate's
 * or a comparison's): their event timeline, every receipt, the artifacts
 * with their versions and diffs, and totals. Shared by the published report
 * and `viewTrace`. Generic over event types: a kind this code does not know
 * is a timeline row with its data, so events other areas add show up.
 *
 * @module
 */
import { createTwoFilesPatch } from "diff";
import { Decimal } from "decimal.js";
import { type BundleDocument, wholeReceipts } from "../bundle/format.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { Workflow } from "../trace/workflow.ts";
import { html, type SafeHtml } from "./_html.ts";
import { type Kpi, kpiGrid, num, shortHash, table } from "./_sections.ts";

type Sections = BundleDocument["sections"];
type ArtifactRecord = Sections["artifacts"][number];

/** One traced pipeline of a bundle. */
export interface TraceView {
  readonly traceId: string;
  readonly name: string;
  readonly workflow: Workflow | null;
  readonly events: readonly TraceEvent[];
  readonly receipts: readonly Receipt[];
  /** Artifact versions per key, oldest first, keys sorted. */
  readonly artifacts: ReadonlyMap<string, readonly ArtifactRecord[]>;
  readonly totals: TraceTotals;
}

/** What a trace's calls and artifacts add up to. */
export interface TraceTotals {
  readonly events: number;
  readonly calls: number;
  readonly failedCalls: number;
  readonly retries: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Calls without reported usage (tokens are never estimated). */
  readonly missingUsage: number;
  /** Exact decimal sum, or null when no call has a cost. */
  readonly cost: string | null;
  readonly currency: string | null;
  /** Calls without a cost (left out of the sum). */
  readonly missingCost: number;
  readonly latencyMs: number;
  readonly versions: number;
  readonly edits: number;
  /** Events whose type this code has no headline for (shown with their data). */
  readonly otherEvents: number;
}

/**
 * The traces a bundle was made of (`scope.traces`), and any other that
 * belongs to no run, gate or comparison.
 */
export function pipelineTraces(doc: BundleDocument): TraceView[] {
  const s = doc.sections;
  const owned = new Set<string>([
    ...s.runs.map((r) => r.trace_id),
    ...s.gates.map((g) => g.trace_id),
    ...s.comparisons.map((c) => c.trace_id).filter((t): t is string =>
      t !== null
    ),
  ]);
  const ids = [
    ...new Set([
      ...s.workflows.map((w) => w.trace_id),
      ...s.trace_events.map((e) => e.trace_id),
    ]),
  ].filter((id) => doc.scope.traces.includes(id) || !owned.has(id)).sort();
  const allReceipts = wholeReceipts(s.receipts) as unknown as Receipt[];
  return ids.map((traceId) => {
    const snapshot = s.workflows.find((w) => w.trace_id === traceId);
    const workflow = (snapshot?.snapshot ?? null) as Workflow | null;
    const events = (s.trace_events.filter((e) =>
      e.trace_id === traceId
    ) as TraceEvent[]).toSorted((a, b) => a.index - b.index);
    const receipts = allReceipts.filter((r) =>
      r.trace_id === traceId && r.run_id === null
    );
    const artifacts = new Map<string, ArtifactRecord[]>();
    for (
      const a of s.artifacts.filter((a) => a.trace_id === traceId).toSorted((
        a,
        b,
      ) => a.key < b.key ? -1 : a.key > b.key ? 1 : a.version - b.version)
    ) {
      artifacts.set(a.key, [...(artifacts.get(a.key) ?? []), a]);
    }
    return {
      traceId,
      name: snapshot?.name ?? workflow?.name ?? traceId,
      workflow,
      events,
      receipts,
      artifacts,
      totals: totalsOf(events, receipts, artifacts),
    };
  });
}

function totalsOf(
  events: readonly TraceEvent[],
  receipts: readonly Receipt[],
  artifacts: ReadonlyMap<string, readonly ArtifactRecord[]>,
): TraceTotals {
  let cost = new Decimal(0);
  let costed = 0;
  const currencies = new Set<string>();
  for (const r of receipts) {
    if (r.cost === null) continue;
    cost = cost.plus(r.cost);
    costed++;
    if (r.currency) currencies.add(r.currency);
  }
  const sum = (f: (r: Receipt) => number) =>
    receipts.reduce((n, r) => n + f(r), 0);
  return {
    events: events.length,
    calls: receipts.length,
    failedCalls: receipts.filter((r) => r.status !== "ok").length,
    retries: sum((r) => Math.max(0, r.attempts - 1)),
    inputTokens: sum((r) => r.usage?.input_tokens ?? 0),
    outputTokens: sum((r) => r.usage?.output_tokens ?? 0),
    missingUsage: receipts.filter((r) => r.status === "ok" && r.usage === null)
      .length,
    cost: costed > 0 ? cost.toString() : null,
    currency: currencies.size === 1 ? [...currencies][0]! : null,
    missingCost: receipts.length - costed,
    latencyMs: sum((r) => r.latency_ms),
    versions: [...artifacts.values()].reduce((n, v) => n + v.length, 0),
    edits: events.filter((e) => e.type === "artifact_edited").length,
    otherEvents: events.filter((e) => !(e.type in HEADLINES)).length,
  };
}

type Data = Readonly<Record<string, unknown>>;
const str = (v: unknown): string =>
  v === undefined || v === null
    ? ""
    : typeof v === "string"
    ? v
    : JSON.stringify(v);

/** Headlines of the event kinds this code knows; others show their data. */
const HEADLINES: Record<string, (d: Data) => string> = {
  workflow_started: (d) => `workflow started (snapshot ${str(d.sha256)})`,
  step_started: () => "step started",
  step_finished: () => "step finished",
  step_failed: (d) => `step failed: ${str(d.error)}`,
  model_call: (d) =>
    `model call ${str(d.provider)}/${str(d.model)}: ${str(d.status)}`,
  artifact_written: (d) => `artifact ${str(d.key)} v${str(d.version)} written`,
  artifact_edited: (d) =>
    `artifact ${str(d.key)} v${str(d.version)} edited by ${str(d.editor)}${
      d.reason ? `: ${str(d.reason)}` : ""
    }`,
};

/** One line of what an event says: its headline, or its data for an unknown kind. */
export function eventSummary(event: TraceEvent): string {
  const headline = HEADLINES[event.type];
  if (headline) return headline(event.data);
  const data = Object.entries(event.data).map(([k, v]) => {
    const text = str(v);
    return `${k}: ${text.length > 160 ? `${text.slice(0, 160)}…` : text}`;
  });
  return data.length > 0 ? data.join("; ") : "(no data)";
}

function moneyOf(t: TraceTotals): string {
  return t.cost === null
    ? "–"
    : `${t.cost}${t.currency ? ` ${t.currency}` : ""}`;
}

/** The key figures of one trace. */
export function traceKpis(t: TraceTotals): Kpi[] {
  return [
    {
      key: "model calls",
      value: String(t.calls),
      sub: `${t.failedCalls} failed · ${t.retries} retries`,
    },
    {
      key: "tokens in / out",
      value: `${t.inputTokens} / ${t.outputTokens}`,
      sub: t.missingUsage > 0
        ? `${t.missingUsage} calls without usage (not estimated)`
        : "from provider usage",
    },
    {
      key: "cost",
      value: moneyOf(t),
      sub: t.missingCost > 0
        ? `exact sum; ${t.missingCost} calls without a cost`
        : "exact sum of the receipts",
    },
    {
      key: "latency",
      value: `${(t.latencyMs / 1000).toFixed(2)} s`,
      sub: "sum over calls",
    },
    {
      key: "artifacts",
      value: String(t.versions),
      sub: `versions · ${t.edits} human edits`,
    },
    { key: "events", value: String(t.events), sub: "hash-chained" },
  ];
}

/** The timeline: every event in order, known kinds with a headline, others with their data. */
export function traceTimeline(view: TraceView): SafeHtml {
  return html`<div data-testid="trace-timeline">${
    table(
      [{ text: "#", numeric: true }, "at (UTC)", "type", "step", "what"],
      view.events.map((e) => [
        num(e.index),
        html`<span class="nowrap">${e.at.slice(11, 23)}</span>`,
        html`<code class="nowrap">${e.type}</code>`,
        e.step ?? "",
        eventSummary(e),
      ]),
    )
  }</div>`;
}

/** Every receipt of the trace: provider, model, tokens, exact cost, latency, retries, error. */
export function traceReceipts(view: TraceView): SafeHtml {
  if (view.receipts.length === 0) {
    return html`<p class="muted" data-testid="trace-receipts">No model call recorded.</p>`;
  }
  return html`<div data-testid="trace-receipts">${
    table(
      [
        "receipt",
        "provider / model",
        "status",
        { text: "tokens in", numeric: true },
        { text: "tokens out", numeric: true },
        { text: "cost", numeric: true },
        { text: "latency ms", numeric: true },
        { text: "retries", numeric: true },
        "error",
      ],
      view.receipts.map((r) => ({
        cells: [
          shortHash(r.id),
          `${r.provider} / ${r.model}`,
          r.status,
          num(r.usage?.input_tokens ?? "–"),
          num(r.usage?.output_tokens ?? "–"),
          num(r.cost === null ? "–" : `${r.cost} ${r.currency ?? ""}`.trim()),
          num(Math.round(r.latency_ms)),
          num(Math.max(0, r.attempts - 1)),
          r.error === null ? "" : str(r.error),
        ],
        breach: r.status !== "ok",
      })),
    )
  }</div>`;
}

/** Each artifact's versions, who made each, the bodies and the diff from the version before. */
export function traceArtifacts(view: TraceView): SafeHtml {
  if (view.artifacts.size === 0) {
    return html`<p class="muted" data-testid="trace-artifacts">No artifact.</p>`;
  }
  const edits = new Map(
    view.events.filter((e) => e.type === "artifact_edited").map((e) => [
      str(e.data.artifact_id),
      e.data,
    ]),
  );
  return html`<div data-testid="trace-artifacts">${
    [...view.artifacts.entries()].map(([key, versions]) =>
      html`<h4>${key} <span class="muted">(${versions.length} version${
        versions.length === 1 ? "" : "s"
      })</span></h4>${
        table(
          [{ text: "v", numeric: true }, "by", "when", "sha256", "reason"],
          versions.map((v) => {
            const edit = edits.get(v.id);
            return [
              num(v.version),
              `${v.created_by ?? "–"}${edit ? " (human edit)" : ""}`,
              v.created_at,
              shortHash(v.sha256),
              edit?.reason ? str(edit.reason) : "",
            ];
          }),
        )
      }${
        versions.map((v, i) =>
          html`<details${
            i === versions.length - 1
              ? html`
                open
              `
              : ""
          }><summary>${key} v${v.version}${
            i > 0
              ? html`
                · diff from v${versions[i - 1]!.version}
              `
              : ""
          }</summary>${
            i > 0
              ? html`<pre class="diff">${
                createTwoFilesPatch(
                  `${key}@v${versions[i - 1]!.version}`,
                  `${key}@v${v.version}`,
                  versions[i - 1]!.body,
                  v.body,
                )
              }</pre>`
              : ""
          }<pre>${v.body}</pre></details>`
        )
      }`
    )
  }</div>`;
}

/** The whole view of one trace: totals, timeline, receipts, artifacts. */
export function traceSection(view: TraceView): SafeHtml {
  return html`<h3>${view.name} <span class="muted">(trace ${view.traceId})</span></h3>${
    kpiGrid(traceKpis(view.totals))
  }<h4>Timeline</h4>${traceTimeline(view)}<h4>Receipts</h4>${
    traceReceipts(view)
  }<h4>Artifacts</h4>${traceArtifacts(view)}`;
}

/** The plain-text form of one trace, for notebooks and terminals. */
export function traceText(view: TraceView): string {
  const t = view.totals;
  return [
    `trace ${view.traceId} (${view.name}): ${t.events} events, ${t.calls} model calls (${t.failedCalls} failed, ${t.retries} retries), tokens ${t.inputTokens} in / ${t.outputTokens} out, cost ${
      moneyOf(t)
    }, ${t.versions} artifact versions (${t.edits} human edits)`,
    ...view.events.map((e) =>
      `  #${e.index} ${e.at} ${e.type}${e.step ? ` [${e.step}]` : ""}: ${
        eventSummary(e)
      }`
    ),
  ].join("\n");
}
