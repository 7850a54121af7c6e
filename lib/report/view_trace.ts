import { html } from "./_html.ts";
import { parseBundleText } from "./_read_bundle.ts";
import { verdictBanner } from "./_sections.ts";
import { pipelineTraces, traceSection, traceText } from "./_trace.ts";
import { View } from "./view.ts";

/**
 * A traced pipeline for a notebook, from a bundle of it (what
 * {@linkcode bundle} returns for `{ trace }`): the same view the published
 * report gives, with totals (calls, retries, tokens from provider usage,
 * exact cost, latency, artifact versions and human edits), the event
 * timeline in order (an event kind the view does not know is shown with its
 * data), every receipt and each artifact's versions with the diff from the
 * version before. Every text from the bundle is escaped.
 *
 * @param source The bundle's text or bytes.
 * @returns The view (the text form lists the timeline).
 * @throws {ValidationError} If the text is not a bundle.
 *
 * @example A pipeline with one recorded call
 * ```ts
 * import { bundle, open, recordCall, Tracer, viewTrace } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "triage", steps: [{ id: "classify" }] });
 * await recordCall(tracer, {
 *   provider: "anthropic", model: "claude-haiku-4-5",
 *   request: { messages: [{ role: "user", content: "Where is my parcel?" }] },
 *   response: { text: "shipping", usage: { input_tokens: 12, output_tokens: 1 } },
 *   latencyMs: 420, step: "classify",
 * });
 * const { text } = await bundle(store, { trace: tracer.traceId });
 * const view = viewTrace(text!);
 * assert.match(view.text, /1 model calls/);
 * assert.match(view.html, /data-testid="trace-receipts"/);
 * ```
 */
export function viewTrace(source: string | Uint8Array): View {
  const text = typeof source === "string"
    ? source
    : new TextDecoder().decode(source);
  const traces = pipelineTraces(parseBundleText(text));
  if (traces.length === 0) {
    return new View(
      verdictBanner("NO TRACE", ["this bundle holds no traced pipeline"]).value,
      "NO TRACE: this bundle holds no traced pipeline",
    );
  }
  return new View(
    html`${traces.map(traceSection)}`.value,
    traces.map(traceText).join("\n\n"),
  );
}
