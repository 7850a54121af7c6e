import { diffBundles } from "../bundle/diff_bundles.ts";
import { diffArtifactVersions } from "../trace/artifacts.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { openBundleFile } from "./_bundle_files.ts";

function version(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be a version number (1, 2, ...)`);
  }
  return n;
}

/** `wb diff`. */
export const diffCommand: Command = {
  ...about("diff"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      artifact: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
    }, true);
    if (values.artifact !== undefined) {
      if (positionals.length > 0) {
        throw new UsageError(`unexpected '${positionals[0]}' with --artifact`);
      }
      const from = version(values.from, "from");
      const to = version(values.to, "to");
      await using store = await openFromFlag(values.db);
      const patch = await diffArtifactVersions(store, values.artifact, {
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
      const differs = /^@@/m.test(patch);
      if (values.json) {
        printJson(io, { artifact: values.artifact, differs, patch });
      } else io.out(patch.trimEnd());
      return differs ? EXIT.failed : EXIT.ok;
    }
    const [a, b, ...extra] = positionals;
    if (!a || !b) {
      throw new UsageError("name two bundle files, or --artifact KEY");
    }
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    using left = await openBundleFile(a);
    using right = await openBundleFile(b);
    const diff = await diffBundles(left.readable, right.readable);
    if (values.json) {
      printJson(io, {
        from: a,
        to: b,
        a: diff.a,
        b: diff.b,
        changes: diff.changes,
      });
    } else io.out(diff.text);
    return diff.changes.length === 0 ? EXIT.ok : EXIT.failed;
  },
};
