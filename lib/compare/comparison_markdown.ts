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
 * first) with its cases, the figures, the delta, its deciding interval
 * (these cases), the case-resampled interval (unseen cases) and the limit,
 * then the reasons, open questions, improvements and small-sample
 * warnings in words, how settling reached the verdict, then the judge with
 * its calibration and any warning that a rejecting dimension rests on weak
 * judge agreement. Text from the
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
  const range = (
    k: DeltaCheck,
    r: { low: number; high: number } | null | undefined,
  ) => r ? `${delta(k, r.low)} to ${delta(k, r.high)}` : "n/a";
  if (limited.length) {
    const v2 = c.schema_version === 2;
    lines.push(
      v2
        ? "| Result | Check | Cases | Baseline | Candidate | Delta | Interval (these cases) | Unseen cases (95%) | Limit |"
        : "| Result | Check | Baseline | Candidate | Delta | 95% CI | Limit |",
      v2
        ? "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: |"
        : "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    );
    for (const k of limited) {
      lines.push(
        v2
          ? `| ${MARK[k.outcome]} | ${md(name(k))} | ${k.cases ?? "n/a"} | ${
            figure(k, k.baseline)
          } | ${figure(k, k.candidate)} | ${delta(k, k.delta)} | ${
            range(k, k.interval)
          } | ${range(k, k.case_interval)} | ${delta(k, k.limit)} |`
          : `| ${MARK[k.outcome]} | ${md(name(k))} | ${
            figure(k, k.baseline)
          } | ${figure(k, k.candidate)} | ${delta(k, k.delta)} | ${
            range(k, k.interval)
          } | ${delta(k, k.limit)} |`,
      );
    }
    lines.push("");
    if (v2) {
      lines.push(
        `The interval of each check speaks of these cases (what re-running them would change), at ${
          c.inference?.spending === "one look"
            ? "90% (two one-sided 5% tests)"
            : "the look's share of two one-sided 5% tests"
        }; it decides. The unseen-cases interval resamples the cases (at least 5) and does not decide.`,
        "",
      );
    }
  }
  const section = (title: string, items: readonly string[]) => {
    if (!items.length) return;
    lines.push(`### ${title}`, "", ...items.map((t) => `- ${md(t)}`), "");
  };
  section("Why it is rejected", c.reasons);
  section("Not settled", c.inconclusive);
  section("Improvements", c.improvements);
  section("Small samples", c.small_sample_warnings ?? []);
  section("Judge warnings", c.judge_warnings ?? []);
  if (c.settle) {
    const s = c.settle;
    section(
      `Settled in ${s.looks.length} look${s.looks.length === 1 ? "" : "s"}`,
      [
        ...s.looks.map((l) => {
          const added = l.added.reduce((n, a) => n + a.repetitions, 0);
          return `look ${l.look}: ${l.verdict}, ${l.undecided.length} undecided${
            added
              ? `; ${added} more repetitions of ${l.added.length} cases in each run, ${l.calls} calls, ${l.cost}`
              : ""
          }`;
        }),
        `spent ${s.calls} calls and ${s.cost} of a budget of ${
          "calls" in s.budget ? `${s.budget.calls} calls` : s.budget.usd
        } (the two runs had made ${s.base_calls}); stopped: ${s.stopped}`,
      ],
    );
  }
  if (c.judge_change) {
    lines.push(
      `The judge changed (allowed): baseline ${
        md(c.judge_change.baseline ?? "none")
      }, candidate ${md(c.judge_change.candidate ?? "none")}.`,
      "",
    );
  }
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
