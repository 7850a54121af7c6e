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

const USAGE =
  `wb history: a task's prompt versions and what was decided about each

Usage:
  wb history --task TASK [--json] [--db URL]

One line per version: author, date, content sha256, its verdict against
the version before (with the comparison that computed it; "not compared"
when none was) and its note; then which version each alias points to and
through which gate.`;

/** `wb history`. */
export const historyCommand: Command = {
  name: "history",
  summary: "a task's prompt versions: authors, notes, verdicts, aliases",
  usage: USAGE,
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
