/**
 * HTML fragments shared by the published report and the Jupyter views:
 * verdict banner, KPI grid, tables, gate timeline, workflow DAG. Every
 * fragment is built with the escaping `html` template.
 *
 * @module
 */
import type { Gate } from "../gate/gate.ts";
import type { AliasMove } from "../gate/promote.ts";
import type { Workflow } from "../trace/workflow.ts";
import { html, type HtmlValue, type SafeHtml, trusted } from "./_html.ts";

/** A verdict or a status word, with its reasons, as the first thing a reader sees. */
export function verdictBanner(
  word: string,
  reasons: readonly string[],
  caption?: string,
): SafeHtml {
  return html`
    <section class="verdict v-${cssWord(word)}" data-testid="verdict"
      role="status"><div class="label">${word}</div>${caption
        ? html`<p>${caption}</p>`
        : ""}${reasons.length > 0
        ? html`<ul>${reasons.map((r) => html`<li>${r}</li>`)}</ul>`
        : ""}</section>
  `;
}

/** A CSS-class-safe form of a word (letters, digits, `_`, `-`). */
export function cssWord(word: string): string {
  return word.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** One key figure. */
export interface Kpi {
  key: string;
  value: HtmlValue;
  sub?: HtmlValue;
}

/** A responsive grid of key figures. */
export function kpiGrid(kpis: readonly Kpi[]): SafeHtml {
  return html`<div class="kpis">${
    kpis.map((k) =>
      html`
        <div
          class="kpi"><div class="k">${k.key}</div><div class="v">${k
            .value}</div>${k.sub !== undefined
            ? html`<div class="s">${k.sub}</div>`
            : ""}</div>
      `
    )
  }</div>`;
}

/** A table cell: text, or `{ value, numeric }` for right-aligned figures. */
export type Cell = HtmlValue | { value: HtmlValue; numeric: true };

/** A table row, optionally marked as a breach. */
export interface Row {
  cells: readonly Cell[];
  breach?: boolean;
}

/** A horizontally scrollable table. */
export function table(
  headers: readonly (string | { text: string; numeric: true })[],
  rows: readonly (readonly Cell[] | Row)[],
  caption?: string,
): SafeHtml {
  const head = headers.map((h) =>
    typeof h === "string"
      ? html`<th>${h}</th>`
      : html`<th class="n">${h.text}</th>`
  );
  const body = rows.map((row) => {
    const r: Row = isRow(row) ? row : { cells: row };
    return html`<tr${
      r.breach
        ? html`
          class="breach"
        `
        : ""
    }>${
      r.cells.map((c) =>
        isNumeric(c) ? html`<td class="n">${c.value}</td>` : html`<td>${c}</td>`
      )
    }</tr>`;
  });
  return html`
    <div class="scroll">
      <table>${caption
        ? html`<caption>${caption}</caption>`
        : ""}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>
    </div>
  `;
}

function isRow(row: readonly Cell[] | Row): row is Row {
  return !Array.isArray(row);
}

function isNumeric(cell: Cell): cell is { value: HtmlValue; numeric: true } {
  return typeof cell === "object" && cell !== null && !Array.isArray(cell) &&
    "numeric" in cell;
}

/** A right-aligned numeric cell. */
export function num(value: HtmlValue): Cell {
  return { value, numeric: true };
}

/** One legend entry: a swatch of a chart's mark and what it means. */
export interface LegendItem {
  /** `dot` (an estimate), `whisker` (its interval), `tick` (a dashed limit), `bar`. */
  readonly mark: "dot" | "whisker" | "tick" | "bar";
  /** A colour of the chart's palette. */
  readonly colour: string;
  /** What the mark means. */
  readonly label: string;
}

const SWATCH: Record<LegendItem["mark"], (c: string) => string> = {
  dot: (c) => `<circle cx="9" cy="6" r="4.5" fill="${c}" stroke="white"/>`,
  whisker: (c) =>
    `<line x1="1" x2="17" y1="6" y2="6" stroke="${c}" stroke-width="2"/>`,
  tick: (c) =>
    `<line x1="9" x2="9" y1="0" y2="12" stroke="${c}" stroke-width="2" stroke-dasharray="3,2"/>`,
  bar: (c) => `<rect x="1" y="2" width="16" height="8" fill="${c}"/>`,
};

/** A figure with its caption, and a legend of its marks when given. */
export function figure(
  svg: SafeHtml,
  caption: string,
  legend: readonly LegendItem[] = [],
): SafeHtml {
  return html`<figure>${
    legend.length > 0
      ? html`<div class="legend">${
        legend.map((item) =>
          html`<span><svg width="18" height="12" aria-hidden="true">${
            trusted(SWATCH[item.mark](cssColour(item.colour)))
          }</svg> ${item.label}</span>`
        )
      }</div>`
      : ""
  }${svg}<figcaption>${caption}</figcaption></figure>`;
}

/** A palette colour (`#rgb`/`#rrggbb`), or grey for anything else. */
function cssColour(colour: string): string {
  return /^#[0-9a-fA-F]{3,6}$/.test(colour) ? colour : "#6b7280";
}

/** A short form of a sha256 for tables; the full hash stays in the title. */
export function shortHash(hash: string): SafeHtml {
  return html`<code title="${hash}">${hash.slice(0, 12)}</code>`;
}

/**
 * The gate timeline: each gate's request, then every decision (who, what,
 * when, on which subject hash), then the alias moves it allowed, in time order.
 */
export function gateTimeline(
  gates: readonly Gate[],
  moves: readonly AliasMove[] = [],
  statuses: Readonly<
    Record<string, { status: string; reasons: readonly string[] }>
  > = {},
): SafeHtml {
  if (gates.length === 0) return html`<p class="muted">No gates.</p>`;
  return html`${
    gates.map((gate) => {
      const status = statuses[gate.id];
      const entries: { at: string; body: SafeHtml }[] = [
        {
          at: gate.created_at,
          body:
            html`<strong>${gate.requested_by}</strong> requested gate <code>${gate.id}</code> to move <code>${gate.alias}</code> to <code>${gate.subject.prompt_version.id}</code> on subject ${
              shortHash(gate.subject_sha256)
            }${
              gate.subject.comparison
                ? html`
                  (comparison <code>${gate.subject.comparison.id}</code>: ${gate
                    .subject.comparison.verdict})
                `
                : ""
            }`,
        },
        ...gate.decisions.map((d) => ({
          at: d.created_at,
          body: html`
            <strong>${d.actor}</strong> (${d.kind}) <span
              class="badge v-${d.decision === "approve" ? "pass" : "fail"}">${d
                .decision}</span> on ${shortHash(
                  d.subject_sha256,
                )}${d.subject_sha256 === gate.subject_sha256 ? "" : html`
                <strong>(not the gate's subject: does not count)</strong>
              `}: ${d.reason}
          `,
        })),
        ...moves.filter((m) => m.gate_id === gate.id).map((m) => ({
          at: m.created_at,
          body:
            html`<strong>${m.moved_by}</strong> moved <code>${m.alias}</code> to <code>${m.prompt_version_id}</code>${
              m.previous_prompt_version_id
                ? html`
                  (from <code>${m.previous_prompt_version_id}</code>)
                `
                : ""
            }`,
        })),
      ].sort((a, b) => a.at.localeCompare(b.at));
      return html`
        <h3>Gate <code>${gate.id}</code> · ${gate.task} → ${gate.alias}${status
          ? html`
            <span class="badge v-${cssWord(status.status)}">${status
              .status}</span>
          `
          : ""}</h3>${status && status.reasons.length > 0
          ? html`<p class="muted">${status.reasons.join("; ")}</p>`
          : ""}<ol
          class="timeline">${entries.map((e) =>
            html`<li><time>${e.at}</time> · ${e.body}</li>`
          )}</ol>
      `;
    })
  }`;
}

/** The workflow DAG as a nested list: each step under the steps it comes after. */
export function workflowDag(workflow: Workflow): SafeHtml {
  const children = new Map<string, string[]>();
  for (const step of workflow.steps) {
    for (const parent of step.after) {
      children.set(parent, [...(children.get(parent) ?? []), step.id]);
    }
  }
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  const roots = workflow.steps.filter((s) => s.after.length === 0);
  const item = (id: string, path: readonly string[]): SafeHtml => {
    const step = byId.get(id);
    if (!step || path.includes(id)) return html``;
    const kids = children.get(id) ?? [];
    const uses = Object.entries(step.uses);
    return html`<li><strong>${step.id}</strong>${
      step.after.length > 1
        ? html`
          <span class="muted">(after ${step.after.join(", ")})</span>
        `
        : ""
    }${
      step.description
        ? html`
          · ${step.description}
        `
        : ""
    }${
      uses.length > 0
        ? html`<br><span class="muted mono">${
          uses.map(([k, v]) => `${k}=${v}`).join("  ")
        }</span>`
        : ""
    }${
      kids.length > 0
        ? html`<ul>${kids.map((k) => item(k, [...path, id]))}</ul>`
        : ""
    }</li>`;
  };
  return html`
    <div class="dag">
      <p><strong>${workflow.name}</strong></p>
      <ul>${roots.map((r) => item(r.id, []))}</ul>
    </div>
  `;
}
