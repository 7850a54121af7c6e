import { rerunBundle } from "../bundle/rerun_bundle.ts";
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

/** `wb rerun`. */
export const rerunCommand: Command = {
  ...about("rerun"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      model: { type: "string" },
    }, true);
    const [path, ...extra] = positionals;
    if (!path) throw new UsageError("missing FILE");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    const bytes = await Deno.readFile(path).catch((error) => {
      throw new UsageError(`cannot read bundle '${path}': ${error.message}`);
    });
    const store = values.db === undefined
      ? undefined
      : await openFromFlag(values.db);
    try {
      const result = await rerunBundle(bytes, {
        ...(store === undefined ? {} : { store }),
        ...(values.model === undefined ? {} : { model: values.model }),
      });
      const code = result.runs.every((r) => r.figures.length === 0)
        ? EXIT.ok
        : EXIT.failed;
      if (values.json) {
        printJson(io, {
          file: path,
          sha256: result.sha256,
          runs: result.runs.map((run) => ({
            original_run_id: run.originalRunId,
            rerun_run_id: run.rerunRunId,
            model: run.model,
            original_scorecard_sha256: run.originalScorecardSha256,
            rerun_scorecard_sha256: run.rerunScorecardSha256,
            figures: run.figures,
          })),
        });
        return code;
      }
      if (result.runs.length === 0) io.out(`${path}: no runs to execute`);
      for (const run of result.runs) {
        io.out(
          `run ${run.originalRunId} -> ${run.rerunRunId} (${run.model}): ${
            run.originalScorecardSha256 === null
              ? "no scorecard in the bundle to compare with"
              : run.figures.length === 0
              ? "every figure reproduced"
              : `${run.figures.length} figures moved`
          }`,
        );
        for (const f of run.figures) {
          io.out(
            `  ${f.path}: ${JSON.stringify(f.stored)} -> ${
              JSON.stringify(f.replayed)
            }`,
          );
        }
      }
      return code;
    } finally {
      await store?.close();
    }
  },
};
