import { acceptCases } from "../production/accept_cases.ts";
import type { Slice } from "../schema/task.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb accept-cases`. */
export const acceptCasesCommand: Command = {
  ...about("accept-cases"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      author: { type: "string" },
      receipt: { type: "string", multiple: true },
      slice: { type: "string", multiple: true },
      root: { type: "string" },
      ...JSON_OPTION,
    });
    const slices: Record<string, Slice> = {};
    for (const pair of values.slice ?? []) {
      const match = /^([^=\s]+)=([a-z_]+)$/.exec(pair);
      if (!match) {
        throw new UsageError(`--slice takes ID=SLICE, not '${pair}'`);
      }
      slices[match[1]!] = match[2] as Slice;
    }
    await using store = await openFromFlag(values.db);
    const result = await acceptCases(store, {
      task: required(values.task, "task"),
      author: required(values.author, "author"),
      receipts: values.receipt ?? [],
      slices,
      root: values.root,
    });
    if (values.json) {
      printJson(io, result);
      return EXIT.ok;
    }
    io.out(
      `dataset ${result.dataset_id} (after ${result.previous_dataset_id}): ${result.added.length} cases added to ${result.file}`,
    );
    for (const a of result.added) {
      io.out(
        `  ${a.case_id}: ${a.slice}${
          a.slice === a.suggested_slice
            ? ""
            : ` (suggested ${a.suggested_slice})`
        } from receipt ${a.receipt_id} sha256 ${a.receipt_sha256}`,
      );
    }
    return EXIT.ok;
  },
};
