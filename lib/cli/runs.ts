import { listRuns } from "../store/runs.ts";
import { tableLines } from "./_table.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
} from "./command.ts";

const USAGE = `wb runs: list runs, newest first

Usage:
  wb runs [--task T] [--db URL]

One line per run: its id (any unique prefix of 8 characters or more works
wherever a run id is asked for), task, prompt version, model, judge,
repetitions, status and when it started. Interrupted runs continue with
\`wb experiment --resume RUN\`; \`wb show RUN\` prints a run's scorecard.`;

/** `wb runs`. */
export const runsCommand: Command = {
  name: "runs",
  summary: "list runs, newest first (ids, versions, models, status)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
    });
    await using store = await openFromFlag(values.db);
    const runs = await listRuns(
      store,
      values.task === undefined ? {} : { task: values.task },
    );
    if (runs.length === 0) {
      io.out(
        values.task === undefined
          ? "no runs yet: start one with `wb experiment`"
          : `no runs for task '${values.task}'`,
      );
      return EXIT.ok;
    }
    const table = [
      ["run", "task", "prompt", "model", "judge", "reps", "status", "started"],
      ...runs.map((r) => [
        r.id,
        r.task,
        r.prompt_version_id,
        r.model_config_id,
        r.judge_config_id ?? "-",
        String(r.repetitions),
        r.status,
        r.created_at,
      ]),
    ];
    for (const line of tableLines(table)) io.out(line);
    return EXIT.ok;
  },
};
