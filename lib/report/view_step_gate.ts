import type { StepGateState } from "../trace/step_gate.ts";
import { html } from "./_html.ts";
import { verdictBanner } from "./_sections.ts";
import { View } from "./view.ts";

/**
 * A pipeline's gate step for a notebook: where it stands and why, the output
 * it holds (model output, shown as inert text), its policy and step context,
 * its decisions beside the step, and how to decide it from the next cell
 * (`decideStepGate`) or a terminal (`wb gate approve`).
 *
 * @param gate The gate as `listStepGates` or `decideStepGate` returns it.
 * @returns The view.
 *
 * @example A held reply
 * ```ts
 * import { listStepGates, open, Tracer, viewStepGate } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, {
 *   schema_version: 1, name: "support",
 *   steps: [{ id: "draft" }, { id: "review", after: ["draft"], gate: { subject: "draft" } }],
 * });
 * await tracer.gate("review", { reply: "<b>We refund you</b>" }, { waitMs: 0 }).catch(() => {});
 * const [held] = await listStepGates(store, { status: "pending" });
 * const view = viewStepGate(held!);
 * assert.match(view.text, /^gate .* review: pending/);
 * assert.match(view.html, /&lt;b&gt;We refund you/);
 * assert.match(view.html, /decideStepGate/);
 * ```
 */
export function viewStepGate(gate: StepGateState): View {
  const subject = JSON.stringify(gate.subject, null, 2) ?? "null";
  const shown = subject.length > 4000
    ? `${subject.slice(0, 4000)}... (${subject.length} characters)`
    : subject;
  const p = gate.policy;
  const policy = `${p.approvals} approval${p.approvals === 1 ? "" : "s"}${
    p.not_approvers.length ? `, not by ${p.not_approvers.join(", ")}` : ""
  }${p.check ? `; check ${p.check}` : ""}`;
  const decide =
    `await decideStepGate(store, "${gate.gate_id}", { actor: "YOUR NAME", decision: "approve", reason: "..." })`;
  const body = html`${
    verdictBanner(
      gate.status.toUpperCase(),
      gate.reasons,
      `Gate step ${gate.step} of trace ${gate.trace_id}: judges the output of ${gate.subject_step}`,
    )
  }<section><h3>Held output (sha256 ${
    gate.subject_sha256.slice(0, 12)
  })</h3><pre>${shown}</pre><p>Policy: ${policy}. Requested by ${gate.requested_by} at ${gate.requested_at}.</p><ul>${
    gate.decisions.map((d) =>
      html`<li>${d.at} <strong>${d.actor}</strong> (${d.kind}) ${d.decision} on ${
        d.subject_sha256.slice(0, 12)
      }: ${d.reason}</li>`
    )
  }</ul>${
    gate.status === "pending"
      ? html`<p>Decide it: <code>${decide}</code>, or <code>wb gate approve ${gate.gate_id} --actor NAME --reason TEXT</code>.</p>`
      : ""
  }</section>`;
  const text = [
    `gate ${gate.gate_id} ${gate.step}: ${gate.status}`,
    ...gate.reasons.map((r) => `  - ${r}`),
    `  subject ${gate.subject_sha256.slice(0, 12)}: ${
      shown.replace(/\s+/g, " ").slice(0, 300)
    }`,
    ...gate.decisions.map((d) =>
      `  ${d.at} ${d.actor} (${d.kind}) ${d.decision}: ${d.reason}`
    ),
    ...(gate.status === "pending" ? [`  decide: ${decide}`] : []),
  ].join("\n");
  return new View(body.value, text);
}
