/**
 * Gate steps of pipelines, seen from outside the pipeline: list them, and
 * decide one from any process (the CLI, a notebook, a script). A decision is
 * a `human_gate_resolved` event appended to the pipeline's own trace, bound
 * to the subject's hash; the waiting pipeline reads it and goes on.
 *
 * @module
 */
import { newId, nowIso } from "../content/ids.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Store } from "../store/open.ts";
import { findTraceEvents, listTraceEvents } from "../store/trace.ts";
import {
  STEP_GATE_SCOPE,
  stepGates,
  type StepGateState,
} from "../trace/step_gate.ts";
import { Tracer } from "../trace/tracer.ts";
import { actorKey, requireDecision, requireText } from "./_checks.ts";

/** Options for {@linkcode decideStepGate}. */
export interface DecideStepGateOptions {
  /** Who decides (a named person). */
  actor: string;
  /** `approve` or `reject`. */
  decision: "approve" | "reject";
  /** Why, in a sentence. */
  reason: string;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/** The trace that holds a gate step's request, if any. */
async function traceOfGate(
  store: Store,
  gateId: string,
): Promise<string | undefined> {
  const hits = await findTraceEvents(
    store,
    "gate_requested",
    `"gate_id":"${gateId}"`,
  );
  return hits.find((e) =>
    e.data.scope === STEP_GATE_SCOPE && e.data.gate_id === gateId
  )?.trace_id;
}

/**
 * A gate step by id, with where it stands now.
 *
 * @param store The database.
 * @param gateId The gate id (as `wb gates pending` lists it).
 * @returns The gate, or undefined when no pipeline requested it.
 */
export async function findStepGate(
  store: Store,
  gateId: string,
): Promise<StepGateState | undefined> {
  const traceId = await traceOfGate(store, gateId);
  if (traceId === undefined) return undefined;
  return stepGates(await listTraceEvents(store, traceId)).get(gateId);
}

/**
 * Every gate step of every pipeline trace, oldest first, optionally only
 * those with one status (`pending`: the ones waiting for a person).
 *
 * @param store The database.
 * @param options Which status to keep.
 * @returns The gates with their status, reasons and step context.
 *
 * @example Listing the gates waiting for a person
 * ```ts
 * import { listStepGates, open, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, {
 *   schema_version: 1, name: "support",
 *   steps: [{ id: "draft" }, { id: "review", after: ["draft"], gate: { subject: "draft" } }],
 * });
 * await assert.rejects(tracer.gate("review", { reply: "We will refund you." }, { waitMs: 0 }));
 * const pending = await listStepGates(store, { status: "pending" });
 * assert.equal(pending.length, 1);
 * assert.equal(pending[0]?.step, "review");
 * ```
 */
export async function listStepGates(
  store: Store,
  options: { status?: StepGateState["status"] | undefined } = {},
): Promise<StepGateState[]> {
  const requests = await findTraceEvents(
    store,
    "gate_requested",
    `"scope":"${STEP_GATE_SCOPE}"`,
  );
  const traces = [...new Set(requests.map((e) => e.trace_id))];
  const out: StepGateState[] = [];
  for (const traceId of traces) {
    for (
      const gate of stepGates(await listTraceEvents(store, traceId)).values()
    ) {
      if (options.status === undefined || gate.status === options.status) {
        out.push(gate);
      }
    }
  }
  return out.sort((a, b) =>
    a.requested_at < b.requested_at
      ? -1
      : a.requested_at > b.requested_at
      ? 1
      : 0
  );
}

/**
 * Records a person's decision on a pending gate step of a pipeline, from any
 * process: a `human_gate_resolved` event on the gate step of the pipeline's
 * trace, bound to the subject's sha256, with the actor, decision, reason and
 * time. Refused when the gate is decided already, the actor decided before,
 * or the policy says the actor may not approve.
 *
 * @param store The database.
 * @param gateId The gate id.
 * @param options Who decides what, and why.
 * @returns The gate after the decision.
 * @throws {NotFoundError} If no pipeline requested this gate.
 * @throws {ConflictError} If the gate is decided, the actor decided already, or may not approve.
 * @throws {ValidationError} If the actor or reason is blank or the decision unknown.
 *
 * @example Approving a held reply
 * ```ts
 * import { decideStepGate, open, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, {
 *   schema_version: 1, name: "support",
 *   steps: [{ id: "draft" }, { id: "review", after: ["draft"], gate: { subject: "draft" } }],
 * });
 * const held = await tracer.gate("review", { reply: "hi" }, { waitMs: 0 }).catch((e) => e);
 * const after = await decideStepGate(store, held.gateId, { actor: "ann", decision: "approve", reason: "polite" });
 * assert.equal(after.status, "approved");
 * ```
 */
export async function decideStepGate(
  store: Store,
  gateId: string,
  options: DecideStepGateOptions,
): Promise<StepGateState> {
  const actor = requireText(options.actor, "actor");
  const reason = requireText(options.reason, "reason");
  requireDecision(options.decision);
  const traceId = await traceOfGate(store, gateId);
  if (traceId === undefined) {
    throw new NotFoundError(
      "gate",
      gateId,
      "list the gates waiting for a decision with `wb gates pending`",
    );
  }
  const now = options.now ?? nowIso;
  // Another writer of the trace (the pipeline itself) may take the next
  // position first: the unique (trace, index) refuses the second write, and
  // the decision is checked and chained again.
  for (let attempt = 0;; attempt++) {
    const gate = stepGates(await listTraceEvents(store, traceId)).get(gateId)!;
    if (gate.status !== "pending") {
      throw new ConflictError(
        `Cannot ${options.decision} gate '${gateId}' as it is already ${gate.status}: ${
          gate.reasons.join("; ")
        }`,
      );
    }
    if (
      gate.decisions.some((d) =>
        d.kind === "human" && actorKey(d.actor) === actorKey(actor)
      )
    ) {
      throw new ConflictError(
        `Cannot ${options.decision} gate '${gateId}' as '${actor}' already decided on it; a person decides once`,
      );
    }
    if (
      gate.policy.not_approvers.some((a) => actorKey(a) === actorKey(actor))
    ) {
      throw new ConflictError(
        `Cannot ${options.decision} gate '${gateId}' as its policy says '${actor}' may not decide it; ask someone else`,
      );
    }
    const tracer = await Tracer.resume(store, traceId, {
      now,
      enforceGates: false,
    });
    try {
      await tracer.emit("human_gate_resolved", {
        step: gate.step,
        data: {
          scope: STEP_GATE_SCOPE,
          gate_id: gateId,
          decision_id: newId("dec"),
          actor,
          decision: options.decision,
          reason,
          at: now(),
          subject_sha256: gate.subject_sha256,
        },
      });
    } catch (error) {
      if (attempt < 4) continue;
      throw error;
    }
    return stepGates(await listTraceEvents(store, traceId)).get(gateId)!;
  }
}
