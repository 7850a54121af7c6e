import { comparisonMarkdown } from "../compare/comparison_markdown.ts";
import { loadComparison } from "../compare/load_comparison.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import { bundleMarkdown } from "../report/bundle_markdown.ts";
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

/** `wb summary`. */
export const summaryCommand: Command = {
  ...about("summary"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
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
      if (values.json) {
        printJson(io, {
          source: "bundle",
          file: target,
          ok: integrity.ok,
          sha256: integrity.sha256,
          markdown: text,
        });
      } else if (!values.markdown) io.out(text.trimEnd());
      // The summary says so first; the exit code says so to CI.
      return integrity.ok ? EXIT.ok : EXIT.failed;
    }
    await using store = await openFromFlag(values.db);
    const comparison = await loadComparison(store, positionals[0], {
      task: values.task,
    });
    const text = comparisonMarkdown(comparison);
    if (values.markdown) await Deno.writeTextFile(values.markdown, text);
    if (values.json) {
      printJson(io, {
        source: "comparison",
        comparison_id: comparison.id,
        verdict: comparison.verdict,
        markdown: text,
      });
    } else if (!values.markdown) io.out(text.trimEnd());
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
