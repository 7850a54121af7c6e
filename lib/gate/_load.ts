import { ValidationError } from "../errors.ts";
import { type GateRow, getGate, listDecisions } from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import type { Gate, GateDecision } from "./gate.ts";
import { GateSubjectSchema } from "./gate.ts";
import { GatePolicySchema } from "./policy.ts";

/** A gate with its decisions, stored JSON validated. */
export async function loadGate(store: Store, id: string): Promise<Gate> {
  const row = await getGate(store, id);
  return toGate(row, await listDecisions(store, row.id));
}

/** A gate from its rows. */
export function toGate(
  row: GateRow,
  decisionRows: Awaited<ReturnType<typeof listDecisions>>,
): Gate {
  const subject = GateSubjectSchema.safeParse(row.subject);
  const policy = GatePolicySchema.safeParse(row.policy);
  if (!subject.success || !policy.success) {
    const issues = [
      ...(subject.success ? [] : subject.error.issues.map((i) => ({
        field: ["subject", ...i.path].join("."),
        message: i.message,
      }))),
      ...(policy.success ? [] : policy.error.issues.map((i) => ({
        field: ["policy", ...i.path].join("."),
        message: i.message,
      }))),
    ];
    throw new ValidationError(
      issues.map((i) => ({ ...i, file: `gates/${row.id}` })),
    );
  }
  const decisions: GateDecision[] = decisionRows.map((d) => ({
    id: d.id,
    kind: d.kind === "policy" ? "policy" : "human",
    actor: d.actor,
    decision: d.decision === "approve" ? "approve" : "reject",
    reason: d.reason,
    subject_sha256: d.subject_sha256,
    comparison_id: d.comparison_id,
    created_at: d.created_at,
  }));
  return {
    id: row.id,
    task: subject.data.task,
    alias: subject.data.alias,
    subject: subject.data,
    subject_sha256: row.subject_sha256,
    policy: policy.data,
    requested_by: row.requested_by,
    trace_id: row.trace_id,
    created_at: row.created_at,
    decisions,
  };
}
