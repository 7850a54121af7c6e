import { contentHash } from "../content/sha256.ts";
import { newId, nowIso } from "../content/ids.ts";
import { ValidationError } from "../errors.ts";
import { type GateDecisionRow, insertGate } from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import { Tracer } from "../trace/tracer.ts";
import { requireAlias, requireText, requireVersion } from "./_checks.ts";
import { buildSubject, gateWorkflow } from "./_subject.ts";
import { evaluateGate } from "./evaluate_gate.ts";
import type { GateEvaluation } from "./gate.ts";
import { type GatePolicyInput, parseGatePolicy } from "./policy.ts";

/** Options for {@linkcode requestGate}. */
export interface RequestGateOptions {
  /** The task. */
  task: string;
  /** The prompt version number to promote (3 for `v3`). */
  version: number;
  /** The comparison whose verdict the policy gate reads (its candidate must be a run of this version). */
  comparison?: string | undefined;
  /** The alias the gate would allow to move. @default {"production"} */
  alias?: string | undefined;
  /** The policy; fields left out take the defaults. @default {DEFAULT_GATE_POLICY} */
  policy?: GatePolicyInput | undefined;
  /** Who asks (a person's name or a CI job's identity). */
  actor: string;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/**
 * Opens a gate: an explicit halt point before an alias moves to a prompt
 * version. The subject (the prompt version, the comparison and its runs'
 * results, each by id and sha256) and the policy are stored with the gate,
 * and the gate gets its own trace (workflow request -> policy -> human ->
 * promote) with a `gate_requested` event. When a comparison is given, the
 * policy gate is evaluated at once from its verdict and recorded as a
 * `policy_gate_evaluated` event.
 *
 * @param store The database.
 * @param options What to gate, the policy and who asks.
 * @returns The new gate and where it stands.
 * @throws {NotFoundError} If the prompt version or comparison does not exist.
 * @throws {ConflictError} If the comparison is of another task or its candidate ran another prompt version.
 * @throws {ValidationError} If the policy is invalid, needs a verdict but no comparison was given, or a field is blank.
 *
 * @example A gate with a human approval only
 * ```ts
 * import { loadCatalog, open, requestGate } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { gate, status } = await requestGate(store, {
 *   task: "resume_matching", version: 1, actor: "ann", policy: { accepted_verdicts: [] },
 * });
 * assert.equal(status, "pending");
 * assert.equal(gate.alias, "production");
 * assert.equal(gate.subject.prompt_version.id, "resume_matching@v1");
 * ```
 */
export async function requestGate(
  store: Store,
  options: RequestGateOptions,
): Promise<GateEvaluation> {
  const actor = requireText(options.actor, "actor");
  const task = requireText(options.task, "task");
  const alias = requireAlias(options.alias ?? "production");
  const version = requireVersion(options.version);
  const policy = parseGatePolicy(options.policy ?? {});
  if (policy.accepted_verdicts.length > 0 && options.comparison === undefined) {
    throw new ValidationError([{
      field: "comparison",
      message: `the policy requires a verdict (${
        policy.accepted_verdicts.join(" or ")
      }): pass the comparison of a run of ${task}@v${version} against the baseline`,
    }]);
  }
  const subject = await buildSubject(store, {
    task,
    alias,
    version,
    comparison: options.comparison,
  });
  const subjectSha = contentHash(subject);
  const now = options.now ?? nowIso;
  const id = newId("gate");
  const tracer = await Tracer.start(store, gateWorkflow(id, subject), { now });
  const createdAt = now();
  const events = [
    tracer.next("gate_requested", {
      step: "request",
      data: {
        gate_id: id,
        task,
        alias,
        subject,
        subject_sha256: subjectSha,
        policy,
        requested_by: actor,
      },
    }),
  ];
  const decisions: GateDecisionRow[] = [];
  if (subject.comparison) {
    const { verdict, id: comparisonId } = subject.comparison;
    const accepted = policy.accepted_verdicts.length === 0 ||
      policy.accepted_verdicts.includes(verdict);
    const reason = policy.accepted_verdicts.length === 0
      ? `verdict ${verdict} of comparison '${comparisonId}' recorded; the policy requires no verdict`
      : `verdict ${verdict} of comparison '${comparisonId}' ${
        accepted ? "is" : "is not"
      } accepted (policy accepts ${policy.accepted_verdicts.join(", ")})`;
    const decision: GateDecisionRow = {
      id: newId("dec"),
      gate_id: id,
      kind: "policy",
      actor: "policy",
      decision: accepted ? "approve" : "reject",
      reason,
      subject_sha256: subjectSha,
      comparison_id: comparisonId,
      created_at: createdAt,
    };
    decisions.push(decision);
    events.push(tracer.next("policy_gate_evaluated", {
      step: "policy",
      data: {
        gate_id: id,
        decision_id: decision.id,
        comparison_id: comparisonId,
        comparison_sha256: subject.comparison.sha256,
        verdict,
        accepted_verdicts: policy.accepted_verdicts,
        decision: decision.decision,
        reason,
        subject_sha256: subjectSha,
      },
    }));
  }
  await insertGate(
    store,
    {
      id,
      task,
      subject,
      subject_sha256: subjectSha,
      policy,
      requested_by: actor,
      trace_id: tracer.traceId,
      created_at: createdAt,
    },
    decisions,
    events,
  );
  return await evaluateGate(store, id);
}
