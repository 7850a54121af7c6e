import { rescore } from "../scoring/rescore.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
  UsageError,
} from "./command.ts";

const USAGE = `wb rescore: re-run a run's checks with the current code

Usage:
  wb rescore RUN [--db URL]

Reads every cell's output back from its generation receipt, runs the
task's checks again with the current check code, updates the cells whose
checks changed, recomputes and stores the scorecard, and records a
'rescored' event in the run's trace. No model is called; rubric scores are
kept as judged. RUN may be a unique prefix of a run id.`;

/** `wb rescore`. */
export const rescoreCommand: Command = {
  name: "rescore",
  summary: "re-run a run's checks from its receipts (no model calls)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, DB_OPTION, true);
    const [runId, ...extra] = positionals;
    if (!runId) throw new UsageError("missing RUN");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    await using store = await openFromFlag(values.db);
    const result = await rescore(store, runId);
    io.out(
      `rescored run ${result.run_id}: ${result.cells} cells, ${result.changed} changed (${result.status_changed} changed status), 0 model calls`,
    );
    io.out(
      `scorecard ${result.sha256.slice(0, 12)}${
        result.previous_sha256 === null
          ? " (first)"
          : result.previous_sha256 === result.sha256
          ? " (unchanged)"
          : ` (was ${result.previous_sha256.slice(0, 12)})`
      }`,
    );
    const a = result.scorecard.aggregate;
    if (a) {
      io.out(
        `aggregate ${a.estimate.toFixed(3)} [${a.low.toFixed(3)}, ${
          a.high.toFixed(3)
        }]`,
      );
    }
    return EXIT.ok;
  },
};
