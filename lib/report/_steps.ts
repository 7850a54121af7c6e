/**
 * A pipeline run's steps in HTML: the per-step table of its scorecard (or
 * both runs' side by side, with the verdict's per-step cost checks), the
 * failing cells with the step that owns each, and a cell's timeline (its
 * steps in order with calls, latency and outcome, each gate's decision
 * beside its step). Shared by the report and the notebook views; every
 * value from the bundle or store is escaped by the `html` template.
 *
 * @module
 */
import type { CellResult } from "../schema/result.ts";
import type { Scorecard, StepSummary } from "../schema/scorecard.ts";
import type { CellTimeline } from "../scoring/step_figures.ts";
import type { ComparisonShown } from "./_comparison_schema.ts";
import { html, type SafeHtml } from "./_html.ts";
import { pretty } from "./_samples.ts";
import { num, table } from "./_sections.ts";

type Steps = NonNullable<Scorecard["steps"]>;

/** Untrusted text cut to `max` characters (the cut is said). */
function clip(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}… (${text.length} characters)`
    : text;
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : value.toFixed(0);
}

function gateCell(f: StepSummary): string {
  return f.gate
    ? `${f.gate.approved} / ${f.gate.pending} / ${f.gate.rejected}`
    : "–";
}

/** A run's per-step figures: one row per step, in the order steps ran. */
export function stepsTable(steps: Steps, currency: string | null): SafeHtml {
  const unit = currency ? ` (${currency})` : "";
  return html`<div data-testid="steps-table">${
    table(
      [
        "step",
        { text: "cells", numeric: true },
        { text: "failed", numeric: true },
        { text: "refused", numeric: true },
        { text: "owns failing", numeric: true },
        { text: "calls", numeric: true },
        { text: `cost${unit}, exact`, numeric: true },
        { text: "uncached", numeric: true },
        { text: "latency p50 ms", numeric: true },
        { text: "p95 ms", numeric: true },
        { text: "gate approved / held / rejected", numeric: true },
      ],
      Object.entries(steps).map(([step, f]) => ({
        breach: f.owned > 0,
        cells: [
          html`<strong>${step}</strong>`,
          num(f.cells),
          num(f.failures),
          num(f.refused),
          num(f.owned),
          num(
            `${f.calls}${
              f.failed_calls > 0 ? ` (${f.failed_calls} failed)` : ""
            }`,
          ),
          num(
            `${f.cost}${
              f.missing_cost > 0 ? ` (+${f.missing_cost} unknown)` : ""
            }`,
          ),
          num(f.uncached_cost),
          num(ms(f.latency_ms?.p50)),
          num(ms(f.latency_ms?.p95)),
          num(gateCell(f)),
        ],
      })),
    )
  }</div>`;
}

/** A scorecard's steps as text lines (none for a run that is not a pipeline's). */
export function stepsText(card: Scorecard): string[] {
  if (!card.steps) return [];
  const unit = card.cost.currency ? ` ${card.cost.currency}` : "";
  return [
    "  steps:",
    ...Object.entries(card.steps).map(([step, f]) =>
      `    ${step}: ${f.cells} cells, ${f.failures} failed, ${f.refused} refused, owns ${f.owned} failing, ${f.calls} calls, cost ${f.cost}${unit}, p95 ${
        ms(f.latency_ms?.p95)
      } ms${
        f.gate
          ? `, gate ${f.gate.approved} approved / ${f.gate.pending} held / ${f.gate.rejected} rejected`
          : ""
      }`
    ),
  ];
}

/**
 * Both runs' steps side by side, each step with the verdict's cost check on
 * it (`cost per cell, step S`) where the comparison made one.
 */
export function comparedStepsTable(
  baseline: Steps,
  candidate: Steps,
  checks: ComparisonShown["checks"],
): SafeHtml {
  const names = [
    ...new Set([...Object.keys(baseline), ...Object.keys(candidate)]),
  ];
  const pair = (
    f: (s: StepSummary) => string | number,
    step: string,
  ) => {
    const b = baseline[step];
    const c = candidate[step];
    return num(`${b ? f(b) : "–"} → ${c ? f(c) : "–"}`);
  };
  return html`<div data-testid="steps-compared">${
    table(
      [
        "step",
        { text: "cells", numeric: true },
        { text: "failed", numeric: true },
        { text: "owns failing", numeric: true },
        { text: "calls", numeric: true },
        { text: "cost, exact", numeric: true },
        { text: "uncached (what the verdict compares)", numeric: true },
        { text: "p95 ms", numeric: true },
        { text: "gate approved / held / rejected", numeric: true },
        "verdict's cost check (per cell)",
      ],
      names.map((step) => {
        const check = checks.find((c) =>
          c.kind === "cost" && c.name === `cost per cell, step ${step}`
        );
        return {
          breach: check?.outcome === "fail",
          cells: [
            html`<strong>${step}</strong>`,
            pair((s) => s.cells, step),
            pair((s) => s.failures, step),
            pair((s) => s.owned, step),
            pair((s) => s.calls, step),
            pair((s) => s.cost, step),
            pair((s) => s.uncached_cost, step),
            pair((s) => ms(s.latency_ms?.p95), step),
            pair(gateCell, step),
            check
              ? html`<span class="badge v-${
                check.outcome === "fail"
                  ? "fail"
                  : check.outcome === "pass"
                  ? "pass"
                  : "pending"
              }">${check.outcome}</span> ${
                check.delta === null
                  ? "not measured"
                  : `${check.delta >= 0 ? "+" : ""}${
                    (check.delta * 100).toFixed(1)
                  }%`
              }${
                check.limit === null
                  ? ""
                  : `, limit +${(check.limit * 100).toFixed(1)}%`
              }`
              : html`<span class="muted">none (no call in either run)</span>`,
          ],
        };
      }),
      "baseline → candidate",
    )
  }</div>`;
}

/** One cell's steps and gates in the order they ran. */
export function cellTimelineTable(t: CellTimeline): SafeHtml {
  return html`<div data-testid="cell-timeline">${
    table(
      [
        { text: "#", numeric: true },
        "step",
        "outcome",
        { text: "calls", numeric: true },
        { text: "latency ms", numeric: true },
        "step check",
        "error or gate reason",
      ],
      t.entries.map((e, i) => ({
        breach: e.step === t.owner && e.kind === "step",
        cells: [
          num(i + 1),
          e.kind === "gate"
            ? html`gate <strong>${e.step}</strong>`
            : html`<strong>${e.step}</strong>${
              e.step === t.owner
                ? html`
                  <em>(owns the failure)</em>
                `
                : ""
            }`,
          html`<span class="badge v-${
            e.outcome === "ok" || e.outcome === "approved"
              ? "pass"
              : e.outcome === "held"
              ? "pending"
              : "fail"
          }">${e.outcome}</span>`,
          num(e.kind === "gate" ? "–" : e.calls),
          num(ms(e.latencyMs)),
          e.check === null ? "–" : e.check ? "pass" : "fail",
          clip(e.detail, 300),
        ],
      })),
    )
  }${
    t.error === null
      ? ""
      : html`<p>The pipeline's code failed after its steps: <code>${
        clip(t.error, 300)
      }</code></p>`
  }</div>`;
}

/** Why the owner step owns the cell, in words. */
function ownerReason(t: CellTimeline): string {
  const entry = t.entries.find((e) => e.step === t.owner && e.kind === "step");
  if (entry?.outcome === "failed") return "it failed";
  if (entry?.check === false) return "its output failed the step's check";
  if (t.error !== null) return "the pipeline's code failed after it";
  return "the final step: the cell's output failed a check";
}

/**
 * The failing cells of a run (those with an owner step), each with its
 * owner, why, the cell's final output (inert text) and its timeline.
 */
export function failingCellsSection(
  timelines: ReadonlyMap<string, CellTimeline>,
  results: readonly CellResult[],
  limit: number,
): SafeHtml {
  const failing = [...timelines.values()].filter((t) => t.owner !== null);
  if (failing.length === 0) {
    return html`<p class="muted">No failing cell: every cell passed its checks.</p>`;
  }
  const outputs = new Map(
    results.map((r) => [`${r.case_key}#${r.repetition}`, r.output]),
  );
  return html`
    <p
      class="muted">${failing.length} failing cell(s), ${Math.min(
        limit,
        failing.length,
      )} shown, each owned by the first step whose output went wrong.</p>${failing
        .slice(0, limit).map((t) => {
          const output = outputs.get(`${t.case}#${t.repetition}`);
          return html`
            <div class="sample"
              data-testid="failing-cell"><p><strong>${t.case}</strong> #${t
                .repetition} · ${t.status ??
                "not scored"} · owned by <strong>${t
                .owner}</strong>: ${ownerReason(
                  t,
                )}</p>${output === undefined || output === null
                ? ""
                : html`<pre>${
                  clip(pretty(output), 800)
                }</pre>`}${cellTimelineTable(
                  t,
                )}</div>
          `;
        })}
  `;
}
