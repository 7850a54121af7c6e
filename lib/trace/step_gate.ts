/**
 * Gate steps inside a workflow: what a gate's request and decisions look
 * like as trace events, and where a gate stands, computed from them alone.
 * The trace is the record: a bundle of the trace carries every request and
 * decision beside the step it concerns, and its hash chain covers them.
 *
 * @module
 */
import type { TraceEvent } from "../schema/trace_event.ts";
import type { StepGatePolicy } from "./workflow.ts";

/** Where a gate step stands. */
export type StepGateStatus = "pending" | "approved" | "rejected";

/** What an automatic check decides about a gate's subject. */
export type StepGateCheckDecision = "approve" | "reject" | "hold";

/** One decision on a gate step, as its trace event records it. */
export interface StepGateDecision {
  /** The decision id. */
  readonly decision_id: string;
  /** `policy` for the automatic check, `human` for a person. */
  readonly kind: "policy" | "human";
  /** Who decided (the check's name for `policy`). */
  readonly actor: string;
  /** What they decided. */
  readonly decision: StepGateCheckDecision;
  /** Why. */
  readonly reason: string;
  /** The subject hash the decision was made on. */
  readonly subject_sha256: string;
  /** The index of its trace event. */
  readonly event_index: number;
  /** When. */
  readonly at: string;
}

/** A gate step's request and decisions, read from a trace. */
export interface StepGateState {
  /** The gate id. */
  readonly gate_id: string;
  /** The trace it halts. */
  readonly trace_id: string;
  /** The gate step. */
  readonly step: string;
  /** The step whose output it judges. */
  readonly subject_step: string;
  /** The output judged, as recorded. */
  readonly subject: unknown;
  /** sha256 of the canonical subject; every decision is bound to it. */
  readonly subject_sha256: string;
  /** The policy in force (from the workflow snapshot). */
  readonly policy: StepGatePolicy;
  /** Who (or what) asked. */
  readonly requested_by: string;
  /** When it was requested. */
  readonly requested_at: string;
  /** The index of the `gate_requested` event. */
  readonly event_index: number;
  /** Context recorded with the request (the cell, the steps it comes after). */
  readonly context: Readonly<Record<string, unknown>>;
  /** Its decisions in trace order. */
  readonly decisions: readonly StepGateDecision[];
  /** Where it stands. */
  readonly status: StepGateStatus;
  /** Why, one line each. */
  readonly reasons: readonly string[];
  /** The people whose approvals count. */
  readonly approvals: readonly string[];
}

/** The `scope` every gate-step event carries, apart from promotion gates' events. */
export const STEP_GATE_SCOPE = "step";

/** Whether an event is a gate step's request or decision. */
export function isStepGateEvent(event: TraceEvent): boolean {
  return event.data.scope === STEP_GATE_SCOPE &&
    (event.type === "gate_requested" ||
      event.type === "policy_gate_evaluated" ||
      event.type === "human_gate_resolved");
}

function actorKey(actor: string): string {
  return actor.trim().toLowerCase();
}

/**
 * Every gate step requested in a trace, with its status: decisions count
 * only when made on the gate's subject hash; the automatic check approves,
 * rejects or holds for people; people named in `not_approvers` do not
 * count; one decision per person; any counted rejection rejects; enough
 * distinct approvals approve; otherwise the gate is pending.
 *
 * @param events A trace's events in order.
 * @returns The gates by id, in request order.
 */
export function stepGates(
  events: readonly TraceEvent[],
): Map<string, StepGateState> {
  const requests = new Map<string, TraceEvent>();
  const decisions = new Map<string, StepGateDecision[]>();
  for (const e of events) {
    if (!isStepGateEvent(e)) continue;
    const id = String(e.data.gate_id);
    if (e.type === "gate_requested") {
      requests.set(id, e);
      continue;
    }
    const list = decisions.get(id) ?? [];
    list.push({
      decision_id: String(e.data.decision_id),
      kind: e.type === "policy_gate_evaluated" ? "policy" : "human",
      actor: String(e.data.actor),
      decision: e.data.decision as StepGateCheckDecision,
      reason: String(e.data.reason),
      subject_sha256: String(e.data.subject_sha256),
      event_index: e.index,
      at: e.at,
    });
    decisions.set(id, list);
  }
  const out = new Map<string, StepGateState>();
  for (const [id, request] of requests) {
    const d = request.data;
    const base = {
      gate_id: id,
      trace_id: request.trace_id,
      step: request.step ?? "",
      subject_step: String(d.subject_step),
      subject: d.subject,
      subject_sha256: String(d.subject_sha256),
      policy: d.policy as StepGatePolicy,
      requested_by: String(d.requested_by),
      requested_at: request.at,
      event_index: request.index,
      context: (d.context ?? {}) as Record<string, unknown>,
      decisions: decisions.get(id) ?? [],
    };
    out.set(id, { ...base, ...gateStatus(base) });
  }
  return out;
}

function gateStatus(
  gate: Pick<
    StepGateState,
    "policy" | "subject_sha256" | "decisions" | "subject_step"
  >,
): Pick<StepGateState, "status" | "reasons" | "approvals"> {
  const reasons: string[] = [];
  const counted: StepGateDecision[] = [];
  const seen = new Set<string>();
  const barred = new Set(gate.policy.not_approvers.map(actorKey));
  for (const d of gate.decisions) {
    if (d.subject_sha256 !== gate.subject_sha256) {
      reasons.push(
        `decision '${d.decision_id}' by ${d.actor} does not count: it was made on subject ${
          d.subject_sha256.slice(0, 12)
        }, not ${gate.subject_sha256.slice(0, 12)}`,
      );
      continue;
    }
    if (d.kind === "human") {
      if (barred.has(actorKey(d.actor))) {
        reasons.push(
          `${d.actor}'s ${d.decision} does not count: the gate's policy says they may not approve`,
        );
        continue;
      }
      if (seen.has(actorKey(d.actor))) {
        reasons.push(
          `${d.actor}'s second decision does not count: a person decides once`,
        );
        continue;
      }
      seen.add(actorKey(d.actor));
    }
    counted.push(d);
  }
  const check = counted.find((d) => d.kind === "policy");
  if (check?.decision === "reject") {
    return {
      status: "rejected",
      reasons: [...reasons, `check ${check.actor}: ${check.reason}`],
      approvals: [],
    };
  }
  if (check?.decision === "approve") {
    return {
      status: "approved",
      reasons: [...reasons, `check ${check.actor}: ${check.reason}`],
      approvals: [],
    };
  }
  if (check) reasons.push(`check ${check.actor} holds it: ${check.reason}`);
  const humans = counted.filter((d) => d.kind === "human");
  const rejection = humans.find((d) => d.decision === "reject");
  if (rejection) {
    return {
      status: "rejected",
      reasons: [
        ...reasons,
        `rejected by ${rejection.actor}: ${rejection.reason}`,
      ],
      approvals: [],
    };
  }
  const approvals = humans.filter((d) => d.decision === "approve").map((d) =>
    d.actor
  );
  const needed = gate.policy.approvals;
  if (needed === 0) {
    return {
      status: "rejected",
      reasons: [
        ...reasons,
        "held, and the policy names no approvals that could release it",
      ],
      approvals,
    };
  }
  if (approvals.length >= needed) {
    return {
      status: "approved",
      reasons: [
        ...reasons,
        `approved by ${
          approvals.join(", ")
        } (${approvals.length} of ${needed} required)`,
      ],
      approvals,
    };
  }
  return {
    status: "pending",
    reasons: [
      ...reasons,
      `needs ${needed - approvals.length} more approval${
        needed - approvals.length === 1 ? "" : "s"
      } (${approvals.length} of ${needed})`,
    ],
    approvals,
  };
}
