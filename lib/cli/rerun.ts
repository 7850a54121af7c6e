import { rerunBundle } from "../bundle/rerun_bundle.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
  UsageError,
} from "./command.ts";

const USAGE = `wb rerun: execute a bundle's runs again with a model

Usage:
  wb rerun FILE [--model ID] [--db URL]

Imports the bundle (verified) into the database, runs each run's snapshot
again (same task, prompt version, dataset version, cases, repetitions and
judge) with the run's model config or --model ID, with the response cache
off, and lists the scorecard figures that moved. This calls models: keys
come from the environment as for wb experiment (the fake provider needs
none). Without --db it runs in a throwaway in-memory database.
Exit 0 when every figure is reproduced, 1 when one moved.`;

/** `wb rerun`. */
export const rerunCommand: Command = {
  name: "rerun",
  summary: "execute a bundle's runs again with a model and compare",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
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
      return result.runs.every((r) => r.figures.length === 0)
        ? EXIT.ok
        : EXIT.failed;
    } finally {
      await store?.close();
    }
  },
};
