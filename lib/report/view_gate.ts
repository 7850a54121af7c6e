import type { GateEvaluation } from "../gate/gate.ts";
import type { AliasMove } from "../gate/promote.ts";
import { html } from "./_html.ts";
import { gateTimeline, verdictBanner } from "./_sections.ts";
import { View } from "./view.ts";

/** Options of {@link viewGate}. */
export interface ViewGateOptions {
  /** Alias moves to show on the timeline (those made through this gate are shown). */
  readonly moves?: readonly AliasMove[];
}

/**
 * A gate's state for a notebook: its status and reasons first, then the
 * timeline of its request, decisions (who, what, when, on which content
 * hash) and the alias moves it allowed.
 *
 * @param evaluation The gate as {@linkcode evaluateGate} returned it.
 * @param options Alias moves to show.
 * @returns The view.
 *
 * @example A pending gate
 * ```ts
 * import { evaluateGate, open, requestGate, viewGate } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await store.db.insertInto("prompt_versions").values({
 *   id: "t@v1", task: "t", version: 1, system: "", template: "x", params: "{}",
 *   sha256: "abc", author: "ann", note: "first", created_at: "2026-01-01T00:00:00Z",
 * }).execute();
 * const { gate } = await requestGate(store, {
 *   task: "t", version: 1, actor: "ann", policy: { accepted_verdicts: [] },
 * });
 * const view = viewGate(await evaluateGate(store, gate.id));
 * assert.match(view.text, /^gate .* pending/);
 * assert.match(view.html, /ann<\/strong> requested gate/);
 * ```
 */
export function viewGate(
  evaluation: GateEvaluation,
  options: ViewGateOptions = {},
): View {
  const { gate } = evaluation;
  const body = html`${
    verdictBanner(
      evaluation.status.toUpperCase(),
      evaluation.reasons,
      `Gate ${gate.id}: ${gate.task} → ${gate.alias} (${gate.subject.prompt_version.id})`,
    )
  }${gateTimeline([gate], options.moves ?? [])}`;
  const text = [
    `gate ${gate.id} ${gate.task} -> ${gate.alias}: ${evaluation.status}`,
    ...evaluation.reasons.map((r) => `  - ${r}`),
    ...gate.decisions.map((d) =>
      `  ${d.created_at} ${d.actor} (${d.kind}) ${d.decision} on ${
        d.subject_sha256.slice(0, 12)
      }: ${d.reason}`
    ),
  ].join("\n");
  return new View(body.value, text);
}
