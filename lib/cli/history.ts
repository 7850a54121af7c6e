import { promptHistory } from "../gate/prompt_history.ts";
import { viewPromptHistory } from "../report/view_prompt_history.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb history`. */
export const historyCommand: Command = {
  ...about("history"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      ...JSON_OPTION,
    });
    const task = required(values.task, "task");
    await using store = await openFromFlag(values.db);
    const history = await promptHistory(store, task);
    if (values.json) {
      printJson(io, history);
      return EXIT.ok;
    }
    for (const line of viewPromptHistory(history).text.split("\n")) {
      io.out(line);
    }
    return EXIT.ok;
  },
};
