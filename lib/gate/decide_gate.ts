import { newId, nowIso } from "../content/ids.ts";
import { ConflictError } from "../errors.ts";
import { insertDecision } from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import { Tracer } from "../trace/tracer.ts";
import { actorKey, requireDecision, requireText } from "./_checks.ts";
import { evaluateGate } from "./evaluate_gate.ts";
import type { GateDecisionKind, GateEvaluation } from "./gate.ts";

/** Options for {@linkcode decideGate}. */
export interface DecideGateOptions {
  /** Who decides (a named person). */
  actor: string;
  /** `approve` or `reject`. */
  decision: GateDecisionKind;
  /** Why, in a sentence. */
  reason: string;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/**
 * Records a person's decision on a pending gate, bound to the gate's subject
 * hash, together with a `human_gate_resolved` trace event (actor, decision,
 * reason, time). A gate resolves once: deciding on an approved or rejected
 * gate is refused, as is deciding twice, approving one's own gate when the
 * policy does not allow it, and deciding after the subject changed.
 *
 * @param store The database.
 * @param gateId The gate id (or a unique prefix of at least 8 characters).
 * @param options Who decides what, and why.
 * @returns Where the gate stands after the decision.
 * @throws {NotFoundError} If the gate does not exist.
 * @throws {ConflictError} If the gate is resolved, the actor already decided, or self-approval is not allowed.
 * @throws {ValidationError} If the actor or reason is blank or the decision is unknown.
 *
 * @example Approving a gate
 * ```ts
 * import { decideGate, loadCatalog, open, requestGate } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { gate } = await requestGate(store, {
 *   task: "resume_matching", version: 1, actor: "ann", policy: { accepted_verdicts: [] },
 * });
 * const after = await decideGate(store, gate.id, {
 *   actor: "bob", decision: "approve", reason: "reviewed the diff",
 * });
 * assert.equal(after.status, "approved");
 * await assert.rejects(
 *   decideGate(store, gate.id, { actor: "cy", decision: "reject", reason: "late" }),
 *   /already approved/,
 * );
 * ```
 */
export async function decideGate(
  store: Store,
  gateId: string,
  options: DecideGateOptions,
): Promise<GateEvaluation> {
  const actor = requireText(options.actor, "actor");
  const reason = requireText(options.reason, "reason");
  requireDecision(options.decision);
  const before = await evaluateGate(store, gateId);
  const gate = before.gate;
  const verb = options.decision;
  if (before.status !== "pending") {
    throw new ConflictError(
      `Cannot ${verb} gate '${gate.id}' as it is already ${before.status}: ${
        before.reasons.join("; ")
      }; request a new gate`,
    );
  }
  if (
    gate.decisions.some((d) =>
      d.kind === "human" && actorKey(d.actor) === actorKey(actor)
    )
  ) {
    throw new ConflictError(
      `Cannot ${verb} gate '${gate.id}' as '${actor}' already decided on it; a person decides once`,
    );
  }
  if (
    verb === "approve" && actorKey(actor) === actorKey(gate.requested_by) &&
    !gate.policy.allow_self_approval
  ) {
    throw new ConflictError(
      `Cannot approve gate '${gate.id}' as '${actor}' requested it and the policy does not allow self-approval; ask someone else to approve`,
    );
  }
  const now = options.now ?? nowIso;
  const tracer = await Tracer.resume(store, gate.trace_id, { now });
  const at = now();
  const decision = {
    id: newId("dec"),
    gate_id: gate.id,
    kind: "human",
    actor,
    decision: verb,
    reason,
    subject_sha256: gate.subject_sha256,
    comparison_id: null,
    created_at: at,
  };
  const event = tracer.next("human_gate_resolved", {
    step: "human",
    data: {
      gate_id: gate.id,
      decision_id: decision.id,
      actor,
      decision: verb,
      reason,
      at,
      subject_sha256: gate.subject_sha256,
    },
  });
  await insertDecision(store, decision, [event]);
  return await evaluateGate(store, gate.id);
}
