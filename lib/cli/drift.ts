import { DEFAULT_COMPARE_MODE } from "../compare/compare.ts";
import { drift } from "../compare/drift.ts";
import { COMPARE_MODES, type CompareMode } from "../compare/verdict.ts";
import {
  type Command,
  DB_OPTION,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
  UsageError,
} from "./command.ts";
import { parseLimits, verdictExitCode } from "./compare.ts";
import { about } from "./about.ts";

/** `wb drift`. */
export const driftCommand: Command = {
  ...about("drift"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      baseline: { type: "string" },
      window: { type: "string" },
      mode: { type: "string" },
      limit: { type: "string", multiple: true },
      ...JSON_OPTION,
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
      printJson(io, result);
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
