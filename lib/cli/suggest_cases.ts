import { suggestCases } from "../production/suggest_cases.ts";
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

/** `wb suggest-cases`. */
export const suggestCasesCommand: Command = {
  ...about("suggest-cases"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      window: { type: "string", multiple: true },
      limit: { type: "string" },
      ...JSON_OPTION,
    });
    const limit = values.limit === undefined ? 10 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UsageError(
        `--limit takes a positive whole number, not '${values.limit}'`,
      );
    }
    await using store = await openFromFlag(values.db);
    const result = await suggestCases(store, {
      task: required(values.task, "task"),
      windows: values.window,
      limit,
    });
    if (values.json) {
      printJson(io, result);
      return EXIT.ok;
    }
    io.out(
      `${result.proposals.length} proposals from ${result.considered} scored production inputs${
        result.without_input
          ? ` (${result.without_input} read from OTLP files have no stored input)`
          : ""
      }`,
    );
    for (const p of result.proposals) {
      io.out(
        `  ${p.receipt_id} (${p.window}): ${p.why.join(", ")}; score ${
          p.score?.toFixed(3) ?? "n/a"
        }; slice ${p.slice}: ${p.slice_reason}`,
      );
    }
    if (result.proposals.length) {
      io.out(
        "accept with: wb accept-cases --task TASK --author NAME --receipt ID [--slice ID=SLICE]",
      );
    }
    return EXIT.ok;
  },
};
