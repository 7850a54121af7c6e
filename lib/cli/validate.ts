import { join } from "node:path";
import { validateCatalog } from "../catalog/validate_catalog.ts";
import { formatIssue } from "../errors.ts";
import { SLICES } from "../schema/task.ts";
import { CHECKS } from "../checks/registry.ts";
import { type Command, DB_OPTION, EXIT, parseCommandArgs } from "./command.ts";

const USAGE =
  `wb validate: check prompts/, datasets/ and models.yaml without writing anything

Usage:
  wb validate [--root DIR] [--db URL]

Prints every problem as file:line: field: message and exits 2 when the
catalog is invalid; otherwise prints each task's slice distribution and
exits 0. --root is the repository root (default: the working directory).
--db is accepted for symmetry with other commands; validate never opens it.`;

/** `wb validate`. */
export const validateCommand: Command = {
  name: "validate",
  summary: "check the catalog files and print each task's slice mix",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      root: { type: "string" },
    });
    const root = values.root ?? ".";
    const result = await validateCatalog(root, { checks: CHECKS });
    if (!result.ok) {
      for (const issue of result.issues) {
        io.out(formatIssue(
          issue.file === undefined
            ? issue
            : { ...issue, file: join(root, issue.file) },
        ));
      }
      const n = result.issues.length;
      io.err(`${n} problem${n === 1 ? "" : "s"} in the catalog at ${root}`);
      return EXIT.usage;
    }
    io.out(`catalog at ${root} is valid`);
    for (const task of result.distribution) {
      io.out(`${task.task}: ${task.total} cases`);
      for (const slice of SLICES) {
        const { count, share, target } = task.slices[slice];
        io.out(
          `  ${slice.padEnd(14)}${String(count).padStart(5)}  ${
            percent(share).padStart(6)
          }  (target ${percent(target)})`,
        );
      }
    }
    return EXIT.ok;
  },
};

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
