import { replayBundle } from "../bundle/replay_bundle.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  parseCommandArgs,
  printJson,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { openBundleFile } from "./_bundle_files.ts";

function show(value: unknown): string {
  return JSON.stringify(value);
}

/** `wb replay`. */
export const replayCommand: Command = {
  ...about("replay"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      force: { type: "boolean" },
    }, true);
    const [path, ...extra] = positionals;
    if (!path) throw new UsageError("missing FILE");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    using file = await openBundleFile(path);
    const result = await replayBundle(file.readable, {
      force: values.force ?? false,
    });
    if (values.json) {
      printJson(io, {
        file: path,
        sha256: result.sha256,
        identical: result.identical,
        runs: result.runs.map((run) => ({
          run_id: run.runId,
          cells: run.cells,
          changed_cells: run.changedCells,
          stored_sha256: run.storedSha256,
          replayed_sha256: run.replayedSha256,
          redacted: run.redacted,
          figures: run.figures,
        })),
      });
      return result.identical ? EXIT.ok : EXIT.failed;
    }
    if (result.runs.length === 0) io.out(`${path}: no runs to replay`);
    for (const run of result.runs) {
      const verdict = run.storedSha256 === null
        ? "no scorecard in the bundle to compare with"
        : run.storedSha256 === run.replayedSha256
        ? "scorecard reproduced"
        : `scorecard differs (${run.figures.length} figures)`;
      io.out(
        `run ${run.runId}: ${run.cells} cells, ${run.changedCells} with other check results; ${verdict}${
          run.redacted ? " (some cases are redacted)" : ""
        }; 0 model calls`,
      );
      for (const figure of run.figures) {
        io.out(
          `  ${figure.path}: ${show(figure.stored)} -> ${
            show(figure.replayed)
          }`,
        );
      }
    }
    return result.identical ? EXIT.ok : EXIT.failed;
  },
};
