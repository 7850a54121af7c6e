import { acceptCases } from "../production/accept_cases.ts";
import type { Slice } from "../schema/task.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
  required,
  UsageError,
} from "./command.ts";

const USAGE =
  `wb accept-cases: add production inputs to the suite as a new dataset version

Usage:
  wb accept-cases --task T --author NAME --receipt ID [--receipt ID ...]
                  [--slice ID=SLICE ...] [--root DIR] [--db URL]

Appends each call's input to datasets/T.jsonl as case prod-ID (the suggested
slice unless --slice overrides it; expected values empty until a person adds
them), with a note naming the source receipt (id and sha256) and the author,
then loads the catalog: the new dataset version passes every catalog check,
the task's slice mix included, or the file is restored and nothing is stored.
A cases_accepted trace event links the version, the cases, their receipts
and the author.

Exit codes: 0 accepted, 2 bad input or a dataset the catalog refuses (its
issues are printed).`;

/** `wb accept-cases`. */
export const acceptCasesCommand: Command = {
  name: "accept-cases",
  summary: "add production inputs to the suite as a new dataset version",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      author: { type: "string" },
      receipt: { type: "string", multiple: true },
      slice: { type: "string", multiple: true },
      root: { type: "string" },
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
