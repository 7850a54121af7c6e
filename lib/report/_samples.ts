/**
 * Judged samples: a few cells of a run shown in full, with their output,
 * check results and the judge's score and reasoning per dimension. Failures
 * first, then one per slice, so a reader sees what went wrong and what
 * typical output looks like.
 *
 * @module
 */
import type { CellResult } from "../schema/result.ts";
import { html, type SafeHtml } from "./_html.ts";
import { num, table } from "./_sections.ts";

/** A cell's weakness: failed checks and low rubric scores count against it. */
function badness(cell: CellResult): number {
  if (cell.status !== "ok") return 100;
  const failed = Object.values(cell.checks).filter((c) => !c.pass).length;
  const rubric = cell.rubric ? Object.values(cell.rubric) : [];
  const low = rubric.reduce((n, r) => n + (5 - r.score), 0);
  return failed * 10 + low + (cell.judge_error ? 5 : 0);
}

/**
 * Picks up to `limit` cells: the weakest first (at most half the limit),
 * then the first cell of each slice not yet shown, then the rest in order.
 */
export function pickSamples(
  cells: readonly CellResult[],
  limit: number,
): CellResult[] {
  const picked: CellResult[] = [];
  const has = (c: CellResult): boolean => picked.includes(c);
  const weakest = cells.filter((c) => badness(c) > 0)
    .toSorted((a, b) => badness(b) - badness(a) || order(a, b));
  for (const cell of weakest.slice(0, Math.ceil(limit / 2))) picked.push(cell);
  const slices = new Set(picked.map((c) => c.slice));
  for (const cell of cells.toSorted(order)) {
    if (picked.length >= limit) break;
    if (!slices.has(cell.slice)) {
      picked.push(cell);
      slices.add(cell.slice);
    }
  }
  for (const cell of cells.toSorted(order)) {
    if (picked.length >= limit) break;
    if (!has(cell)) picked.push(cell);
  }
  return picked;
}

function order(a: CellResult, b: CellResult): number {
  return a.case_key.localeCompare(b.case_key) || a.repetition - b.repetition;
}

/** Pretty-prints JSON output compactly (lists of plain values on one line); other text is shown as it is. */
export function pretty(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  return compact(value, "");
}

function compact(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) {
      return JSON.stringify(value).replace(/","/g, '", "');
    }
    const inner = indent + "  ";
    return `[\n${
      value.map((v) => inner + compact(v, inner)).join(",\n")
    }\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const inner = indent + "  ";
    return `{\n${
      entries.map(([k, v]) =>
        `${inner}${JSON.stringify(k)}: ${compact(v, inner)}`
      )
        .join(",\n")
    }\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** One judged sample in full. */
export function sampleBlock(
  cell: CellResult,
  input?: Readonly<Record<string, unknown>>,
): SafeHtml {
  const checks = Object.entries(cell.checks);
  const rubric = cell.rubric ? Object.entries(cell.rubric) : [];
  return html`
    <article
      class="sample"><h3>${cell.case_key} · ${cell.slice} · repetition ${cell
        .repetition}${cell.status === "ok" ? "" : html`
        · <span class="badge v-fail">${cell.status}</span>
      `}</h3>${input
        ? html`
          <details>
            <summary>Input</summary>
            <pre>${JSON.stringify(input, null, 2)}</pre>
          </details>
        `
        : ""}<p><strong>Output</strong></p><pre>${cell.output === null
        ? "(no output)"
        : pretty(cell.output)}</pre>${checks.length > 0
        ? table(
          ["check", "result", { text: "score", numeric: true }, "detail"],
          checks.map(([name, c]) => ({
            breach: !c.pass,
            cells: [
              name,
              html`<span class="badge v-${c.pass ? "pass" : "fail"}">${
                c.pass ? "pass" : "fail"
              }</span>`,
              num(c.score.toFixed(2)),
              c.detail,
            ],
          })),
        )
        : ""}${rubric.length > 0
        ? table(
          [
            "dimension",
            { text: "score", numeric: true },
            "judge's reasoning",
            "evidence quoted",
          ],
          rubric.map(([name, r]) => [
            name,
            num(`${r.score}/5`),
            r.reasoning,
            r.evidence ? html`<q>${r.evidence}</q>` : "–",
          ]),
        )
        : ""}${cell.judge_error
        ? html`<p><strong>Judge error:</strong> ${cell.judge_error}</p>`
        : ""}</article>
  `;
}

/**
 * Judged samples of a comparison, side by side: each sampled candidate cell
 * (weakest first) beside the baseline's cell of the same case and
 * repetition, so a reader sees what changed on the same input. The columns
 * stack on a narrow screen.
 */
export function pairedSamplesSection(
  candidate: readonly CellResult[],
  baseline: readonly CellResult[],
  options: {
    limit?: number;
    labels: { candidate: string; baseline: string };
    inputs?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  },
): SafeHtml {
  const picked = pickSamples(candidate, options.limit ?? 8);
  if (picked.length === 0) return html`<p class="muted">No samples.</p>`;
  const key = (c: CellResult) => `${c.case_key}#${c.repetition}`;
  const base = new Map(baseline.map((c) => [key(c), c]));
  return html`${
    picked.map((c) => {
      const other = base.get(key(c));
      return html`
        <div class="pair" data-testid="sample-pair">
          <div><p class="side">candidate ${options.labels
            .candidate}</p>${sampleBlock(
              c,
              options.inputs?.get(c.case_key),
            )}</div>
          <div><p class="side">baseline ${options.labels.baseline}</p>${other
            ? sampleBlock(other)
            : html`
              <p
                class="muted">The baseline has no cell for ${c
                  .case_key} repetition ${c.repetition}.</p>
            `}</div>
        </div>
      `;
    })
  }`;
}

/** A section of judged samples. */
export function samplesSection(
  cells: readonly CellResult[],
  options: {
    limit?: number;
    inputs?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  } = {},
): SafeHtml {
  const picked = pickSamples(cells, options.limit ?? 8);
  if (picked.length === 0) return html`<p class="muted">No samples.</p>`;
  return html`${
    picked.map((c) => sampleBlock(c, options.inputs?.get(c.case_key)))
  }`;
}
