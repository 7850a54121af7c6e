import { join } from "node:path";
import { validateCatalog } from "../catalog/validate_catalog.ts";
import { formatIssue } from "../errors.ts";
import { SLICES } from "../schema/task.ts";
import { CHECKS } from "../checks/registry.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  parseCommandArgs,
  printJson,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb validate`. */
export const validateCommand: Command = {
  ...about("validate"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      root: { type: "string" },
    });
    const root = values.root ?? ".";
    const result = await validateCatalog(root, { checks: CHECKS });
    const issues = result.ok
      ? []
      : result.issues.map((issue) =>
        issue.file === undefined
          ? issue
          : { ...issue, file: join(root, issue.file) }
      );
    if (values.json) {
      printJson(io, {
        ok: result.ok,
        root,
        issues,
        tasks: result.ok ? result.distribution : [],
      });
      return result.ok ? EXIT.ok : EXIT.usage;
    }
    if (!result.ok) {
      for (const issue of issues) io.out(formatIssue(issue));
      const n = issues.length;
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
