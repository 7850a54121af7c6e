import { listRunsBrief } from "../store/runs.ts";
import { tableLines } from "./_table.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb runs`. */
export const runsCommand: Command = {
  ...about("runs"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      task: { type: "string" },
    });
    await using store = await openFromFlag(values.db);
    const runs = await listRunsBrief(
      store,
      values.task === undefined ? {} : { task: values.task },
    );
    if (values.json) {
      printJson(io, { runs });
      return EXIT.ok;
    }
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
