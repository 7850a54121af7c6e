/**
 * A comparison's HTML: the verdict banner with its summary and reasons, and
 * the table of every delta check, failing first. Shared by the report and
 * the notebook view.
 *
 * @module
 */
import type { ComparisonBody, DeltaCheck } from "../compare/verdict.ts";
import { html, type SafeHtml } from "./_html.ts";
import { num, table, verdictBanner } from "./_sections.ts";

/** The verdict, its one-line summary, and its reasons first. */
export function comparisonBanner(
  c:
    & Pick<
      ComparisonBody,
      "verdict" | "summary" | "reasons" | "inconclusive" | "mode"
    >
    & {
      readonly baseline: Pick<
        ComparisonBody["baseline"],
        "prompt_version_id" | "model_config_id"
      >;
      readonly candidate: Pick<
        ComparisonBody["candidate"],
        "prompt_version_id" | "model_config_id"
      >;
    },
): SafeHtml {
  const reasons = [
    ...c.reasons,
    ...c.inconclusive.map((r) => `possibly: ${r}`),
  ];
  const summary = c.summary.startsWith(`${c.verdict}: `)
    ? c.summary.slice(c.verdict.length + 2)
    : c.summary;
  return verdictBanner(
    c.verdict,
    reasons,
    `${summary} · candidate ${c.candidate.prompt_version_id} × ${c.candidate.model_config_id} against baseline ${c.baseline.prompt_version_id} × ${c.baseline.model_config_id} (${c.mode} mode)`,
  );
}

function fmt(value: number | null, digits = 3): string {
  return value === null ? "–" : value.toFixed(digits);
}

function pct(value: number | null): string {
  return value === null ? "–" : `${(value * 100).toFixed(1)}%`;
}

/** A check's figures formatted for its kind (relative growth as %). */
function figures(
  c: DeltaCheck,
): [string, string, string, string, string, string] {
  const relative = c.kind === "cost" || c.kind === "latency_p95";
  const rate = c.kind === "failure_rate" || c.kind === "injection_rate";
  const value = (v: number | null): string =>
    rate
      ? pct(v)
      : c.kind === "dimension"
      ? fmt(v, 2)
      : c.kind === "cost"
      ? fmt(v, 6)
      : c.kind === "latency_p95"
      ? v === null ? "–" : `${Math.round(v)} ms`
      : fmt(v);
  const delta = (v: number | null): string =>
    v === null
      ? "–"
      : relative || rate
      ? `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}${relative ? "%" : " pts"}`
      : `${v >= 0 ? "+" : ""}${v.toFixed(3)}`;
  return [
    value(c.baseline),
    value(c.candidate),
    delta(c.delta),
    c.interval ? `[${delta(c.interval.low)}, ${delta(c.interval.high)}]` : "–",
    c.case_interval
      ? `[${delta(c.case_interval.low)}, ${delta(c.case_interval.high)}]`
      : "–",
    c.limit === null ? "none" : delta(c.limit),
  ];
}

/** Every delta check, failing first, breaching rows marked. */
export function checksTable(c: Pick<ComparisonBody, "checks">): SafeHtml {
  const order = { fail: 0, inconclusive: 1, pass: 2 } as const;
  const checks = [...c.checks].sort((a, b) =>
    order[a.outcome] - order[b.outcome]
  );
  return table(
    [
      "figure",
      { text: "cases", numeric: true },
      { text: "baseline", numeric: true },
      { text: "candidate", numeric: true },
      { text: "delta", numeric: true },
      { text: "interval (these cases; decides)", numeric: true },
      { text: "unseen cases (95%)", numeric: true },
      { text: "limit", numeric: true },
      "status",
      "outcome",
    ],
    checks.map((check) => {
      const [b, cand, d, i, u, l] = figures(check);
      return {
        breach: check.outcome === "fail",
        cells: [
          check.kind === "slice" || check.kind === "dimension"
            ? html`${check.kind} <strong>${check.name}</strong>`
            : html`<strong>${check.name}</strong>`,
          num(check.cases === undefined ? "–" : String(check.cases)),
          num(b),
          num(cand),
          num(d),
          num(i),
          num(u),
          num(l),
          check.status === "possibly_breached"
            ? "undecided"
            : check.status.replace("_", " "),
          html`
            <span
              class="nowrap"><span class="badge v-${check.outcome === "fail"
                ? "fail"
                : check.outcome === "pass"
                ? "pass"
                : "pending"}">${check.outcome}</span>${check.improved
                ? " ↑ improved"
                : ""}</span>
          `,
        ],
      };
    }),
  );
}
