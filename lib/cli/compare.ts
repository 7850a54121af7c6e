import { compare, DEFAULT_COMPARE_MODE } from "../compare/compare.ts";
import { comparisonMarkdown } from "../compare/comparison_markdown.ts";
import {
  COMPARE_MODES,
  type CompareLimits,
  type CompareMode,
  type Verdict,
} from "../compare/verdict.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
  required,
  UsageError,
} from "./command.ts";

const USAGE =
  `wb compare: a regression verdict, candidate run against baseline run

Usage:
  wb compare --baseline RUN --candidate RUN [--mode point|strict|confident]
             [--limit NAME=VALUE ...] [--seed N] [--markdown FILE] [--json] [--db URL]

Any rubric dimension, slice or the cost per cell past its limit rejects the
candidate, whatever the average did. Limits: dimension (default -0.25, 1-5
scale), slice (-0.10, 0-1 scale), cost_growth (0.2 = +20%), and optionally
latency_p95_growth, failure_rate, injection_rate; task.yaml 'limits' and then
--limit override the defaults. Modes (default ${DEFAULT_COMPARE_MODE}): point reads means only;
strict rejects when the 95% interval reaches past a limit; confident rejects
only when the whole interval is past it and answers INCONCLUSIVE otherwise.

Exit codes: 0 APPROVED, 1 REJECTED, 3 INCONCLUSIVE, 2 bad input.
--markdown FILE writes a summary for a pull request or job summary;
--json prints the whole verdict.`;

/** The exit code of a verdict: 0 APPROVED, 1 REJECTED, 3 INCONCLUSIVE. */
export function verdictExitCode(verdict: Verdict): number {
  return verdict === "APPROVED"
    ? EXIT.ok
    : verdict === "REJECTED"
    ? EXIT.failed
    : EXIT.inconclusive;
}

function parseLimits(pairs: readonly string[]): CompareLimits | undefined {
  if (!pairs.length) return undefined;
  const limits: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^([a-z_0-9]+)=(-?[0-9.]+)$/.exec(pair.trim());
    const value = match ? Number(match[2]) : NaN;
    if (!match || !Number.isFinite(value)) {
      throw new UsageError(
        `--limit takes NAME=NUMBER (e.g. slice=-0.05), not '${pair}'`,
      );
    }
    limits[match[1]!] = value;
  }
  return limits as CompareLimits;
}

/** `wb compare`. */
export const compareCommand: Command = {
  name: "compare",
  summary: "a regression verdict: candidate run against baseline run",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      baseline: { type: "string" },
      candidate: { type: "string" },
      mode: { type: "string" },
      limit: { type: "string", multiple: true },
      seed: { type: "string" },
      markdown: { type: "string" },
      json: { type: "boolean" },
    });
    const baseline = required(values.baseline, "baseline");
    const candidate = required(values.candidate, "candidate");
    const mode = values.mode ?? DEFAULT_COMPARE_MODE;
    if (!COMPARE_MODES.includes(mode as CompareMode)) {
      throw new UsageError(
        `--mode takes ${COMPARE_MODES.join(", ")}, not '${mode}'`,
      );
    }
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed)) {
      throw new UsageError(`--seed takes an integer, not '${values.seed}'`);
    }
    await using store = await openFromFlag(values.db);
    const result = await compare(store, {
      baseline,
      candidate,
      mode: mode as CompareMode,
      limits: parseLimits(values.limit ?? []),
      seed,
    });
    if (values.markdown) {
      await Deno.writeTextFile(values.markdown, comparisonMarkdown(result));
    }
    if (values.json) {
      io.out(JSON.stringify(result, null, 2));
    } else {
      io.out(result.summary);
      io.out(
        `comparison ${result.id}: ${result.candidate.prompt_version_id} (run ${result.candidate.run_id}) against ${result.baseline.prompt_version_id} (run ${result.baseline.run_id}), mode ${result.mode}`,
      );
      for (const line of result.reasons) io.out(`  rejected: ${line}`);
      for (const line of result.inconclusive) io.out(`  not settled: ${line}`);
      for (const line of result.improvements) io.out(`  improved: ${line}`);
      if (result.judge) {
        const c = result.judge.calibration;
        io.out(
          `judge ${result.judge.config_id}${
            c
              ? `: calibrated on ${c.matched} of ${c.labels} human labels`
              : ": no human labels to calibrate it"
          }`,
        );
      }
      for (const line of result.judge_warnings ?? []) {
        io.out(`  warning: ${line}`);
      }
    }
    return verdictExitCode(result.verdict);
  },
};
