import { contentHash } from "../content/sha256.ts";
import type { Store } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { actorKey } from "./_checks.ts";
import { loadGate } from "./_load.ts";
import { currentSubject } from "./_subject.ts";
import type { Gate, GateDecision, GateEvaluation, GateStatus } from "./gate.ts";

/**
 * Where a gate stands, computed from its records as they are now.
 *
 * The subject's hash is recomputed from the current records (the prompt
 * version's sha256, the comparison's body, the runs' results): if it no
 * longer equals the hash the gate was requested on, the gate is `rejected`,
 * because every decision was made on other content. A decision counts only
 * when it was made on the gate's subject hash and is recorded on the gate's
 * trace, whose hash chain must verify. Then: a policy gate whose verdict is
 * not accepted rejects; a human rejection rejects (unless the policy says
 * rejections do not block); enough distinct approvals approve; otherwise the
 * gate is `pending`. Outcomes are values: nothing is thrown for a rejected
 * or pending gate.
 *
 * @param store The database.
 * @param gateId The gate id (or a unique prefix of at least 8 characters).
 * @returns The status with one reason per line.
 * @throws {NotFoundError} If the gate does not exist.
 * @throws {ValidationError} If the stored gate is not valid.
 *
 * @example A new gate waits for a human
 * ```ts
 * import { evaluateGate, loadCatalog, open, requestGate } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { gate } = await requestGate(store, {
 *   task: "resume_matching", version: 1, actor: "ann", policy: { accepted_verdicts: [] },
 * });
 * const evaluation = await evaluateGate(store, gate.id);
 * assert.equal(evaluation.status, "pending");
 * assert.match(evaluation.reasons.join("\n"), /needs 1 more approval/);
 * ```
 */
export async function evaluateGate(
  store: Store,
  gateId: string,
): Promise<GateEvaluation> {
  const gate = await loadGate(store, gateId);
  const { subject, changes } = await currentSubject(store, gate.subject);
  const current = contentHash(subject);
  const events = await listTraceEvents(store, gate.trace_id);
  return {
    gate,
    current_sha256: current,
    ...gateOutcome(gate, events, { sha256: current, changes }),
  };
}

/** A gate's status from its records alone: {@linkcode GateEvaluation} without the gate. */
export type GateOutcome = Omit<GateEvaluation, "gate" | "current_sha256">;

/**
 * Where a gate stands, from the gate, its trace's events and (when known)
 * its subject's hash as recomputed now; without `current` (a bundle, where
 * the records are what was judged) the subject is taken as unchanged.
 * The rules are {@linkcode evaluateGate}'s.
 */
export function gateOutcome(
  gate: Gate,
  events: readonly TraceEvent[],
  current?: { readonly sha256: string; readonly changes: readonly string[] },
): GateOutcome {
  const result = (
    status: GateStatus,
    reasons: string[],
    approvals: string[] = [],
    rejections: string[] = [],
  ): GateOutcome => ({ status, reasons, approvals, rejections });

  const problem = verifyChain(events);
  if (problem) {
    return result("rejected", [
      `the gate's trace '${gate.trace_id}' does not verify: ${problem.reason}`,
    ]);
  }
  if (contentHash(gate.subject) !== gate.subject_sha256) {
    return result("rejected", [
      `the gate's recorded subject does not match its subject_sha256 ${
        gate.subject_sha256.slice(0, 12)
      }`,
    ]);
  }
  if (current && current.sha256 !== gate.subject_sha256) {
    return result("rejected", [
      `the subject changed after it was judged, so no decision on it counts: ${
        current.changes.join("; ") ||
        `its hash is ${current.sha256.slice(0, 12)}`
      }; request a new gate`,
    ]);
  }

  const traced = new Set(
    events.filter((e) => e.data.gate_id === gate.id).map((e) =>
      e.data.decision_id
    ),
  );
  const reasons: string[] = [];
  const counted: GateDecision[] = [];
  for (const d of gate.decisions) {
    if (d.subject_sha256 !== gate.subject_sha256) {
      reasons.push(
        `${d.kind} decision '${d.id}' by ${d.actor} does not count: it was made on subject ${
          d.subject_sha256.slice(0, 12)
        }, not ${gate.subject_sha256.slice(0, 12)}`,
      );
    } else if (!traced.has(d.id)) {
      reasons.push(
        `${d.kind} decision '${d.id}' by ${d.actor} does not count: it is not on the gate's trace`,
      );
    } else counted.push(d);
  }

  const policy = gate.policy;
  if (policy.accepted_verdicts.length > 0) {
    const verdict = counted.find((d) => d.kind === "policy");
    if (!verdict) {
      return result("pending", [...reasons, "the policy gate has no verdict"]);
    }
    if (verdict.decision === "reject") {
      return result("rejected", [...reasons, `policy: ${verdict.reason}`]);
    }
    reasons.push(`policy: ${verdict.reason}`);
  }

  const humans = counted.filter((d) => d.kind === "human");
  const rejections = humans.filter((d) => d.decision === "reject");
  const rejectedBy = distinctActors(rejections);
  for (const d of rejections) {
    reasons.push(
      `rejected by ${d.actor}: ${d.reason}${
        policy.rejection_blocks ? "" : " (rejections do not block)"
      }`,
    );
  }
  if (policy.rejection_blocks && rejections.length > 0) {
    return result("rejected", reasons, [], rejectedBy);
  }
  const approvedBy = distinctActors(
    humans.filter((d) =>
      d.decision === "approve" &&
      (policy.allow_self_approval ||
        actorKey(d.actor) !== actorKey(gate.requested_by))
    ),
  );
  const needed = policy.approvals;
  if (approvedBy.length >= needed) {
    reasons.push(
      needed === 0
        ? "no human approval required"
        : `approved by ${
          approvedBy.join(", ")
        } (${approvedBy.length} of ${needed} required)`,
    );
    return result("approved", reasons, approvedBy, rejectedBy);
  }
  const missing = needed - approvedBy.length;
  reasons.push(
    `needs ${missing} more approval${
      missing === 1 ? "" : "s"
    } (${approvedBy.length} of ${needed})`,
  );
  return result("pending", reasons, approvedBy, rejectedBy);
}

/** The decisions' actors, one name per person (the first spelling seen). */
function distinctActors(decisions: readonly GateDecision[]): string[] {
  const byKey = new Map<string, string>();
  for (const d of decisions) {
    if (!byKey.has(actorKey(d.actor))) byKey.set(actorKey(d.actor), d.actor);
  }
  return [...byKey.values()];
}
