import { promptHistory } from "../gate/prompt_history.ts";
import { viewPromptHistory } from "../report/view_prompt_history.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
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
      json: { type: "boolean" },
    });
    const task = required(values.task, "task");
    await using store = await openFromFlag(values.db);
    const history = await promptHistory(store, task);
    if (values.json) io.out(JSON.stringify(history, null, 2));
    else {for (const line of viewPromptHistory(history).text.split("\n")) {
        io.out(line);
      }}
    return EXIT.ok;
  },
};
