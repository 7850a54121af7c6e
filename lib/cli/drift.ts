import { DEFAULT_COMPARE_MODE } from "../compare/compare.ts";
import { drift } from "../compare/drift.ts";
import { COMPARE_MODES, type CompareMode } from "../compare/verdict.ts";
import {
  type Command,
  DB_OPTION,
  openFromFlag,
  parseCommandArgs,
  required,
  UsageError,
} from "./command.ts";
import { parseLimits, verdictExitCode } from "./compare.ts";

const USAGE =
  `wb drift: a production window's verdict against a baseline, and which slice moved

Usage:
  wb drift --task T --baseline RUN|WINDOW --window WINDOW
           [--mode point|strict|confident] [--limit NAME=VALUE ...] [--json] [--db URL]

WINDOW is a day (2026-12-01) or an ISO week (2026-W49) scored by
\`wb score-traces\`; the baseline is an earlier window or the released
version's suite run. The limits, modes and tests are compare's: any slice's
score, rubric dimension or cost per input past its limit rejects; an
undecided limit is INCONCLUSIVE (confident mode). The two sides are
independent samples of inputs, so each interval is Welch's over inputs and
speaks of the traffic each was drawn from. Each failing or undecided figure
names the slice that moved it most: its change of share or its own change.

Exit codes: 0 APPROVED, 1 REJECTED, 3 INCONCLUSIVE, 2 bad input.`;

/** `wb drift`. */
export const driftCommand: Command = {
  name: "drift",
  summary: "a production window's verdict against a baseline run or window",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      baseline: { type: "string" },
      window: { type: "string" },
      mode: { type: "string" },
      limit: { type: "string", multiple: true },
      json: { type: "boolean" },
    });
    const mode = values.mode ?? DEFAULT_COMPARE_MODE;
    if (!COMPARE_MODES.includes(mode as CompareMode)) {
      throw new UsageError(
        `--mode takes ${COMPARE_MODES.join(", ")}, not '${mode}'`,
      );
    }
    await using store = await openFromFlag(values.db);
    const result = await drift(store, {
      task: required(values.task, "task"),
      baseline: required(values.baseline, "baseline"),
      window: required(values.window, "window"),
      mode: mode as CompareMode,
      limits: parseLimits(values.limit ?? []),
    });
    if (values.json) {
      io.out(JSON.stringify(result, null, 2));
    } else {
      io.out(result.summary);
      const side = (s: typeof result.baseline) =>
        `${s.window ?? "suite run"} (run ${s.run_id}, ${s.inputs} inputs)`;
      io.out(
        `drift of ${result.task}: ${side(result.window)} against ${
          side(result.baseline)
        }, mode ${result.mode}`,
      );
      for (const line of result.reasons) io.out(`  rejected: ${line}`);
      for (const line of result.inconclusive) io.out(`  not settled: ${line}`);
      for (const m of result.moved) io.out(`  moved: ${m.text}`);
      const shares = (s: typeof result.baseline) =>
        Object.entries(s.slice_shares).map(([k, v]) =>
          `${k} ${Math.round(v * 100)}%`
        ).join(", ");
      io.out(
        `  slice mix: ${shares(result.baseline)} -> ${shares(result.window)}`,
      );
      if (result.checks_left_out.length) {
        io.out(
          `  checks left out (one side only): ${
            result.checks_left_out.join(", ")
          }`,
        );
      }
      for (const line of result.caveats) io.out(`  caveat: ${line}`);
    }
    return verdictExitCode(result.verdict);
  },
};
