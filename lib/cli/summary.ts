import { comparisonMarkdown } from "../compare/comparison_markdown.ts";
import { loadComparison } from "../compare/load_comparison.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import { bundleMarkdown } from "../report/bundle_markdown.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
  UsageError,
} from "./command.ts";

const USAGE =
  `wb summary: the Markdown summary of a stored comparison or a bundle

Usage:
  wb summary [CMP] [--task T] [--markdown FILE] [--db URL]
  wb summary BUNDLE.json [--markdown FILE]

Prints (or writes to FILE) the verdict first, then a table of every limited
check and the reasons, for a pull request comment or a CI job summary.
Without CMP, the latest comparison (of --task, when given). The stored
verdict is checked against its sha256 first. Given a bundle file instead,
the bundle is verified and summarised (its comparison, or its runs), ending
with the command that verifies it.`;

/** `wb summary`. */
export const summaryCommand: Command = {
  name: "summary",
  summary: "print a stored comparison as Markdown (for pull requests and CI)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      markdown: { type: "string" },
    }, true);
    if (positionals.length > 1) {
      throw new UsageError(
        `give at most one comparison, not ${positionals.length}`,
      );
    }
    const target = positionals[0];
    if (target !== undefined && await isFile(target)) {
      const bundleText = await Deno.readTextFile(target);
      const integrity = await verifyBundle(bundleText);
      const text = await bundleMarkdown(bundleText, {
        file: target,
        integrity,
      });
      if (values.markdown) await Deno.writeTextFile(values.markdown, text);
      else io.out(text.trimEnd());
      // The summary says so first; the exit code says so to CI.
      return integrity.ok ? EXIT.ok : EXIT.failed;
    }
    await using store = await openFromFlag(values.db);
    const comparison = await loadComparison(store, positionals[0], {
      task: values.task,
    });
    const text = comparisonMarkdown(comparison);
    if (values.markdown) await Deno.writeTextFile(values.markdown, text);
    else io.out(text.trimEnd());
    return EXIT.ok;
  },
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
