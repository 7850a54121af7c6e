import {
  compare,
  DEFAULT_COMPARE_MODE,
  type SettleBudget,
} from "../compare/compare.ts";
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
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** The exit code of a verdict: 0 APPROVED, 1 REJECTED, 3 INCONCLUSIVE. */
export function verdictExitCode(verdict: Verdict): number {
  return verdict === "APPROVED"
    ? EXIT.ok
    : verdict === "REJECTED"
    ? EXIT.failed
    : EXIT.inconclusive;
}

/** `--limit NAME=VALUE` pairs as limits (`slice=-0.05`). */
export function parseLimits(
  pairs: readonly string[],
): CompareLimits | undefined {
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

/** `--budget 200` (calls) or `--budget 0.50usd` / `$0.50` (money). */
function parseBudget(text: string | undefined): SettleBudget | undefined {
  if (text === undefined) return undefined;
  const calls = /^\d+$/.exec(text.trim());
  if (calls) return { calls: Number(text) };
  const money = /^\$?(\d+(?:\.\d+)?)\s*(?:usd)?$/i.exec(text.trim());
  if (money && (/usd$/i.test(text.trim()) || text.trim().startsWith("$"))) {
    return { usd: money[1]! };
  }
  throw new UsageError(
    `--budget takes a number of calls (e.g. 200) or an amount of money (e.g. 0.50usd), not '${text}'`,
  );
}

/** `wb compare`. */
export const compareCommand: Command = {
  ...about("compare"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      baseline: { type: "string" },
      candidate: { type: "string" },
      mode: { type: "string" },
      limit: { type: "string", multiple: true },
      seed: { type: "string" },
      settle: { type: "boolean" },
      budget: { type: "string" },
      "allow-judge-change": { type: "boolean" },
      markdown: { type: "string" },
      ...JSON_OPTION,
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
    const budget = parseBudget(values.budget);
    if (budget && !values.settle) {
      throw new UsageError("--budget goes with --settle");
    }
    await using store = await openFromFlag(values.db);
    const result = await compare(store, {
      baseline,
      candidate,
      mode: mode as CompareMode,
      limits: parseLimits(values.limit ?? []),
      seed,
      settle: values.settle ? { budget } : false,
      allowJudgeChange: values["allow-judge-change"] ?? false,
    });
    if (values.markdown) {
      await Deno.writeTextFile(values.markdown, comparisonMarkdown(result));
    }
    if (values.json) {
      printJson(io, result);
    } else {
      io.out(result.summary);
      io.out(
        `comparison ${result.id}: ${result.candidate.prompt_version_id} (run ${result.candidate.run_id}) against ${result.baseline.prompt_version_id} (run ${result.baseline.run_id}), mode ${result.mode}`,
      );
      for (const line of result.reasons) io.out(`  rejected: ${line}`);
      for (const line of result.inconclusive) io.out(`  not settled: ${line}`);
      for (const line of result.improvements) io.out(`  improved: ${line}`);
      for (const line of result.small_sample_warnings ?? []) {
        io.out(`  small sample: ${line}`);
      }
      if (result.settle) {
        const s = result.settle;
        io.out(
          `settled in ${s.looks.length} look${
            s.looks.length === 1 ? "" : "s"
          }: ${s.calls} calls and ${s.cost} spent of a budget of ${
            "calls" in s.budget ? `${s.budget.calls} calls` : `${s.budget.usd}`
          } (the runs had made ${s.base_calls}); stopped: ${s.stopped}`,
        );
        for (const look of s.looks) {
          const added = look.added.reduce((n, a) => n + a.repetitions, 0);
          io.out(
            `  look ${look.look}: ${look.verdict}, ${look.undecided.length} undecided${
              added
                ? `; ${added} more repetitions of ${look.added.length} cases in each run (${look.calls} calls)`
                : ""
            }`,
          );
        }
      }
      if (result.judge_change) {
        io.out(
          `judge changed (allowed): baseline ${
            result.judge_change.baseline ?? "none"
          }, candidate ${result.judge_change.candidate ?? "none"}`,
        );
      }
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
