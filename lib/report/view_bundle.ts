import type { BundleResult } from "../bundle/bundle.ts";
import type { VerifyResult } from "../bundle/verify_bundle.ts";
import { html } from "./_html.ts";
import { num, table, verdictBanner } from "./_sections.ts";
import { verifyCommand } from "./_verify_command.ts";
import { View } from "./view.ts";

/** Options of {@link viewBundle}. */
export interface ViewBundleOptions {
  /**
   * The bundle's file name, for the verify command shown.
   * @default "bundle.json"
   */
  readonly file?: string;
}

/**
 * A bundle for a notebook, as {@linkcode bundle} wrote it or as
 * {@linkcode verifyBundle} found it: the outcome first (written, intact, or
 * FAILED with every problem), then the payload sha256, the exact command
 * that verifies it, and the records per section.
 *
 * @param result What `bundle()` or `verifyBundle()` returned.
 * @param options The file name for the verify command.
 * @returns The view.
 *
 * @example A verification that failed
 * ```ts
 * import { viewBundle } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const view = viewBundle({
 *   ok: false, sha256: "ab".repeat(32), counts: {} as never, redacted: 0, signature: "none",
 *   keyId: null, summary: "FAILED receipts 'io_1': record hash mismatch",
 *   problems: [{ section: "receipts", record: "io_1", message: "record hash mismatch" }],
 * });
 * assert.match(view.text, /^FAILED/);
 * assert.match(view.html, /receipts &#39;io_1&#39;: record hash mismatch/);
 * ```
 */
export function viewBundle(
  result: BundleResult | VerifyResult,
  options: ViewBundleOptions = {},
): View {
  const file = options.file ?? "bundle.json";
  const verified = "ok" in result;
  const word = verified ? (result.ok ? "INTACT" : "FAILED") : "WRITTEN";
  const reasons = verified
    ? result.problems.map((p) =>
      [p.section, p.record === null ? null : `'${p.record}'`].filter(Boolean)
        .join(" ") + `: ${p.message}`
    )
    : [];
  const sha = result.sha256;
  const pubkey = result.keyId === null ? undefined : "SIGNER.pub";
  const counts = Object.entries(result.counts ?? {}).filter(([, n]) => n > 0);
  const body = html`${
    verdictBanner(
      word,
      reasons,
      verified ? result.summary : `${result.bytes} bytes`,
    )
  }${
    sha
      ? html`
        <p>Payload sha256: <code>${sha}</code></p>
        <p>Verify with:</p>
        <pre>${verifyCommand(file, sha, pubkey)}</pre>
      `
      : ""
  }${
    counts.length > 0
      ? table(
        ["section", { text: "records", numeric: true }],
        counts.map(([section, n]) => [section, num(n)]),
      )
      : ""
  }`;
  const text = verified
    ? [result.summary, ...reasons.map((r) => `  - ${r}`)].join("\n")
    : `bundle written: ${result.bytes} bytes, sha256 ${result.sha256}\n  verify: ${
      verifyCommand(file, result.sha256, pubkey)
    }`;
  return new View(body.value, text);
}
