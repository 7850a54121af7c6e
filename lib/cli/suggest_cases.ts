import { suggestCases } from "../production/suggest_cases.ts";
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
  `wb suggest-cases: production inputs worth adding to the suite, with a slice

Usage:
  wb suggest-cases --task T [--window W ...] [--limit N] [--json] [--db URL]

Reads the windows \`wb score-traces\` scored and proposes inputs as new
cases: failures first (a failed call or check), then low scores (0.5 or
less), then inputs unlike any suite case; each with the slice its nearest
suite cases suggest and why. Nothing is added: \`wb accept-cases\` does.

Exit codes: 0 listed, 2 bad input.`;

/** `wb suggest-cases`. */
export const suggestCasesCommand: Command = {
  name: "suggest-cases",
  summary: "propose production inputs as new cases, with a suggested slice",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      window: { type: "string", multiple: true },
      limit: { type: "string" },
      json: { type: "boolean" },
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
      io.out(JSON.stringify(result, null, 2));
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
