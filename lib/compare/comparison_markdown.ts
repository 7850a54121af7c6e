import type { CheckOutcome, Comparison, DeltaCheck } from "./verdict.ts";

/** Escapes text for a Markdown table cell or line (no HTML, no pipes, no emphasis). */
function md(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_{}\[\]|#])/g, "\\$1")
    .replace(/\r?\n/g, " ");
}

const MARK: Record<CheckOutcome, string> = {
  fail: "❌ fail",
  inconclusive: "⚠️ inconclusive",
  pass: "✅ pass",
};

const ICON = { APPROVED: "✅", REJECTED: "❌", INCONCLUSIVE: "⚠️" } as const;

function figure(check: DeltaCheck, x: number | null): string {
  if (x === null) return "n/a";
  if (check.kind === "cost") return x.toFixed(6);
  if (check.kind === "latency_p95") return `${Math.round(x)} ms`;
  return x.toFixed(3);
}

function delta(check: DeltaCheck, x: number | null): string {
  if (x === null) return "n/a";
  const relative = check.kind === "cost" || check.kind === "latency_p95";
  const text = relative ? `${(x * 100).toFixed(1)}%` : x.toFixed(3);
  return x >= 0 && !text.startsWith("-") ? `+${text}` : text;
}

function name(check: DeltaCheck): string {
  return check.kind === "dimension" || check.kind === "slice"
    ? `${check.kind} '${check.name}'`
    : check.name;
}

/**
 * A Markdown summary of a comparison for a pull request comment or a CI job
 * summary: the verdict first, then one table row per limited check (failing
 * first) with the figures, the delta, its 95% interval and the limit, then
 * the reasons, open questions and improvements in words, then the judge
 * with its calibration and any warning that a rejecting dimension rests on
 * weak judge agreement. Text from the
 * records is escaped, so nothing in it renders as HTML or Markdown.
 *
 * @param comparison The comparison.
 * @returns The Markdown text.
 *
 * @example The verdict comes first
 * ```ts
 * import { comparisonMarkdown, type Comparison } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const text = comparisonMarkdown({
 *   verdict: "APPROVED", summary: "APPROVED: no limit breached", task: "t",
 *   baseline: { run_id: "r1", prompt_version_id: "t@v1", model_config_id: "fake-fast", repetitions: 3 },
 *   candidate: { run_id: "r2", prompt_version_id: "t@v2", model_config_id: "fake-fast", repetitions: 3 },
 *   mode: "confident", paired_cases: 30, checks: [], reasons: [], inconclusive: [], improvements: [],
 *   id: "cmp_1", sha256: "ab".repeat(32), aggregate: { delta: 0.01, interval: null },
 * } as unknown as Comparison);
 * assert.match(text, /^## ✅ Prompt verdict: APPROVED/);
 * ```
 */
export function comparisonMarkdown(comparison: Comparison): string {
  const c = comparison;
  const lines = [
    `## ${ICON[c.verdict]} Prompt verdict: ${c.verdict}`,
    "",
    md(c.summary),
    "",
    `Task ${md(c.task)}: candidate ${md(c.candidate.prompt_version_id)} (run ${
      md(c.candidate.run_id)
    }, model ${md(c.candidate.model_config_id)}) against baseline ${
      md(c.baseline.prompt_version_id)
    } (run ${md(c.baseline.run_id)}, model ${
      md(c.baseline.model_config_id)
    }); ${c.paired_cases} paired cases, ${
      Math.min(c.baseline.repetitions, c.candidate.repetitions)
    } repetitions, mode ${md(c.mode)}.`,
    "",
  ];
  const limited = c.checks.filter((k) => k.limit !== null);
  if (limited.length) {
    lines.push(
      "| Result | Check | Baseline | Candidate | Delta | 95% CI | Limit |",
      "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    );
    for (const k of limited) {
      lines.push(
        `| ${MARK[k.outcome]} | ${md(name(k))} | ${figure(k, k.baseline)} | ${
          figure(k, k.candidate)
        } | ${delta(k, k.delta)} | ${
          k.interval
            ? `${delta(k, k.interval.low)} to ${delta(k, k.interval.high)}`
            : "n/a"
        } | ${delta(k, k.limit)} |`,
      );
    }
    lines.push("");
  }
  const section = (title: string, items: readonly string[]) => {
    if (!items.length) return;
    lines.push(`### ${title}`, "", ...items.map((t) => `- ${md(t)}`), "");
  };
  section("Why it is rejected", c.reasons);
  section("Not settled", c.inconclusive);
  section("Improvements", c.improvements);
  section("Judge warnings", c.judge_warnings ?? []);
  if (c.judge) {
    const cal = c.judge.calibration;
    lines.push(
      `Judge ${md(c.judge.config_id)}${
        cal
          ? `, calibrated on ${cal.matched} of ${cal.labels} human labels (rho per dimension: ${
            Object.entries(cal.dimensions).map(([name, d]) =>
              `${md(name)} ${d.rho === null ? "n/a" : d.rho.toFixed(2)}`
            ).join(", ")
          })`
          : ", not calibrated against human labels"
      }.`,
      "",
    );
  }
  const aggregate = c.aggregate.delta === null
    ? "n/a"
    : `${c.aggregate.delta >= 0 ? "+" : ""}${c.aggregate.delta.toFixed(3)}`;
  lines.push(
    `Comparison ${md(c.id)}, sha256 ${
      c.sha256.slice(0, 12)
    }; aggregate score ${aggregate} (shown for the record: the verdict reads every dimension, slice and cost limit instead).`,
  );
  return lines.join("\n") + "\n";
}
