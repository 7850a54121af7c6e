import { promote } from "../gate/promote.ts";
import { resolve } from "../gate/resolve.ts";
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
import { parseVersionFlag } from "./gate.ts";

/** `wb promote`. */
export const promoteCommand: Command = {
  ...about("promote"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      alias: { type: "string" },
      version: { type: "string" },
      gate: { type: "string" },
      actor: { type: "string" },
      show: { type: "boolean" },
      ...JSON_OPTION,
    });
    const task = required(values.task, "task");
    const alias = required(values.alias, "alias");
    await using store = await openFromFlag(values.db);
    if (values.show) {
      const target = await resolve(store, task, alias);
      if (values.json) {
        printJson(io, target);
        return EXIT.ok;
      }
      io.out(
        `${task} ${alias} -> ${target.prompt_version_id} (sha256 ${
          target.sha256.slice(0, 12)
        }) via gate ${target.gate_id}, moved by ${target.moved_by} at ${target.moved_at}`,
      );
      return EXIT.ok;
    }
    const move = await promote(store, {
      task,
      alias,
      version: parseVersionFlag(required(values.version, "version")),
      gate: required(values.gate, "gate"),
      actor: required(values.actor, "actor"),
    });
    if (values.json) {
      printJson(io, move);
      return EXIT.ok;
    }
    io.out(
      `${task} ${alias}: ${
        move.previous_prompt_version_id ?? "(unset)"
      } -> ${move.prompt_version_id} via gate ${move.gate_id} by ${move.moved_by}`,
    );
    return EXIT.ok;
  },
};
