import { rescore } from "../scoring/rescore.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb rescore`. */
export const rescoreCommand: Command = {
  ...about("rescore"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
    }, true);
    const [runId, ...extra] = positionals;
    if (!runId) throw new UsageError("missing RUN");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    await using store = await openFromFlag(values.db);
    const result = await rescore(store, runId);
    if (values.json) {
      printJson(io, result);
      return EXIT.ok;
    }
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
