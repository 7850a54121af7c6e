import { verifyBundle, type VerifyResult } from "../bundle/verify_bundle.ts";
import { comparisonMarkdown } from "../compare/comparison_markdown.ts";
import type { Comparison } from "../compare/verdict.ts";
import { bundleModel, pickComparison } from "./_bundle_model.ts";
import { parseBundleText } from "./_read_bundle.ts";
import { verifyCommand } from "./_verify_command.ts";

/** Options of {@link bundleMarkdown}. */
export interface BundleMarkdownOptions {
  /**
   * The bundle's file name, for the verify command.
   * @default "bundle.json"
   */
  readonly file?: string;
  /** A payload sha256 published out of band: the summary says whether the bundle matches it. */
  readonly expect?: string;
  /** The bundle's verification, when the caller has already made it (with the same `expect`). */
  readonly integrity?: VerifyResult;
}

/** Escapes text for a Markdown line or table cell (no HTML, no pipes, no emphasis). */
function md(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_{}\[\]|#])/g, "\\$1")
    .replace(/\r?\n/g, " ");
}

/**
 * A Markdown summary of a bundle for a pull request comment or a CI job
 * summary. A bundle of a comparison gives the comparison's own summary
 * (verdict first, see {@linkcode comparisonMarkdown}); a bundle of runs
 * gives one table row per run. Either way it ends with the integrity line
 * and the exact command that verifies the bundle; a bundle that does not
 * verify says so on its first line. Text from the bundle is escaped.
 *
 * @param source The bundle's text or bytes.
 * @param options The file name for the verify command, an expected sha256.
 * @returns The Markdown text.
 * @throws {ValidationError} If the text is not a bundle.
 *
 * @example A traced pipeline's bundle
 * ```ts
 * import { bundle, bundleMarkdown, open, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "demo", steps: [{ id: "a" }] });
 * await tracer.emit("step_finished", { step: "a" });
 * const { text, sha256 } = await bundle(store, { trace: tracer.traceId });
 * const summary = await bundleMarkdown(text!, { file: "demo.json" });
 * assert.match(summary, /^## Bundle: no verdict/);
 * assert.ok(summary.includes(`deno task wb verify demo.json --expect ${sha256}`));
 * ```
 */
export async function bundleMarkdown(
  source: string | Uint8Array,
  options: BundleMarkdownOptions = {},
): Promise<string> {
  const text = typeof source === "string"
    ? source
    : new TextDecoder().decode(source);
  const integrity = options.integrity ?? await verifyBundle(
    text,
    options.expect !== undefined ? { expect: options.expect } : {},
  );
  const model = bundleModel(parseBundleText(text));
  const lines: string[] = [];
  if (!integrity.ok) {
    lines.push(
      `> ❌ **This bundle does not verify: ${
        md(integrity.summary)
      }.** Do not rely on the figures below.`,
      "",
    );
  }
  const picked = pickComparison(model);
  if (picked) {
    const { record, shown } = picked;
    lines.push(
      comparisonMarkdown({
        ...(record.body as object),
        ...shown,
        id: record.id,
        sha256: record.sha256,
        trace_id: record.trace_id,
        created_at: record.created_at,
      } as unknown as Comparison).trimEnd(),
      "",
    );
  } else {
    lines.push(
      "## Bundle: no verdict",
      "",
      `${model.runs.length} run(s) and no comparison.`,
      "",
    );
    if (model.runs.length > 0) {
      lines.push(
        "| Run | Prompt | Model | Score (95% CI) | Cost | Failure rate |",
        "| --- | --- | --- | ---: | ---: | ---: |",
      );
      for (const r of model.runs) {
        const card = r.scorecard;
        const a = card?.aggregate;
        lines.push(
          `| ${md(r.run.id)} | ${md(r.run.prompt_version_id)} | ${
            md(r.run.model_config_id)
          } | ${
            a
              ? `${a.estimate.toFixed(3)} (${a.low.toFixed(3)} to ${
                a.high.toFixed(3)
              })`
              : "n/a"
          } | ${
            card
              ? `${card.cost.total}${
                card.cost.currency ? ` ${md(card.cost.currency)}` : ""
              }`
              : "n/a"
          } | ${card ? `${(card.failures.rate * 100).toFixed(1)}%` : "n/a"} |`,
        );
      }
      lines.push("");
    }
  }
  const sha = integrity.sha256 ?? model.doc.integrity.sha256;
  lines.push(
    `Integrity: ${integrity.ok ? "✅" : "❌"} ${md(integrity.summary)}`,
    "",
    "Verify it offline:",
    "",
    "```sh",
    verifyCommand(
      options.file ?? "bundle.json",
      sha,
      integrity.signature === "none" ? undefined : "SIGNER.pub",
    ),
    "```",
  );
  return lines.join("\n") + "\n";
}
