import { canonicalize } from "../content/canonicalize.ts";
import { sha256Hex } from "../content/sha256.ts";
import type { TraceEvent, UnhashedEvent } from "../schema/trace_event.ts";

/**
 * The prev_hash of a trace's first event: 64 zeros.
 *
 * @example A chain starts at the genesis hash
 * ```ts
 * import { GENESIS_HASH, hashEvent, verifyChain } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(GENESIS_HASH, "0".repeat(64));
 * const first = { trace_id: "trace_demo", index: 0, type: "workflow_started", step: null, at: "2025-01-01T00:00:00.000Z", data: {} };
 * const chained = { ...first, prev_hash: GENESIS_HASH };
 * assert.equal(verifyChain([{ ...chained, hash: hashEvent(chained) }]), null);
 * const detached = { ...first, prev_hash: "f".repeat(64) };
 * assert.notEqual(verifyChain([{ ...detached, hash: hashEvent(detached) }]), null);
 * ```
 */
export const GENESIS_HASH: string = "0".repeat(64);

/**
 * The hash of an event: sha256 over the RFC 8785 canonical JSON of
 * `{trace_id, index, type, step, at, data, prev_hash}`.
 *
 * @param event The event without its hash.
 * @returns 64 hex digits.
 *
 * @example The hash covers the event's content
 * ```ts
 * import { GENESIS_HASH, hashEvent } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const event = { trace_id: "trace_demo", index: 0, type: "step_finished", step: "fetch", at: "2025-01-01T00:00:00.000Z", data: { bytes: 512 }, prev_hash: GENESIS_HASH };
 * const hash = hashEvent(event);
 * assert.match(hash, /^[0-9a-f]{64}$/);
 * assert.equal(hashEvent({ ...event }), hash);
 * assert.notEqual(hashEvent({ ...event, data: { bytes: 513 } }), hash);
 * ```
 */
export function hashEvent(event: UnhashedEvent): string {
  return sha256Hex(canonicalize({
    trace_id: event.trace_id,
    index: event.index,
    type: event.type,
    step: event.step,
    at: event.at,
    data: event.data,
    prev_hash: event.prev_hash,
  }));
}

/** Where a chain check failed. */
export interface ChainProblem {
  /** The position of the first bad event in the list given. */
  readonly position: number;
  /** The trace of the bad event. */
  readonly trace_id: string;
  /** The bad event's stated index. */
  readonly index: number | null;
  /** What is wrong. */
  readonly reason: string;
}

/**
 * Checks a list of events from one or more traces: every event's hash
 * matches its content, indexes run 0, 1, 2, ... per trace, and every
 * prev_hash is the previous event's hash. A removed, reordered, edited or
 * inserted event is reported at the first position where the chain breaks.
 *
 * @param events Events in stored order.
 * @returns The first problem, or `null` when the chain is intact.
 *
 * @example An edited event breaks the chain
 * ```ts
 * import { GENESIS_HASH, hashEvent, type TraceEvent, verifyChain } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const event = (index: number, prev_hash: string, data: Record<string, unknown>): TraceEvent => {
 *   const unhashed = { trace_id: "trace_demo", index, type: "step_finished", step: null, at: "2025-01-01T00:00:00.000Z", data, prev_hash };
 *   return { ...unhashed, hash: hashEvent(unhashed) };
 * };
 * const first = event(0, GENESIS_HASH, {});
 * const second = event(1, first.hash, { answer: 42 });
 * assert.equal(verifyChain([first, second]), null);
 * const edited = { ...second, data: { answer: 43 } };
 * assert.equal(verifyChain([first, edited])?.position, 1);
 * assert.equal(verifyChain([second])?.position, 0); // the first event was removed
 * ```
 */
export function verifyChain(
  events: readonly TraceEvent[],
): ChainProblem | null {
  const last = new Map<string, { index: number; hash: string }>();
  for (let position = 0; position < events.length; position++) {
    const event = events[position]!;
    const problem = (reason: string): ChainProblem => ({
      position,
      trace_id: event.trace_id,
      index: event.index,
      reason,
    });
    if (hashEvent(event) !== event.hash) {
      return problem(
        `event ${event.index} (${event.type}) does not match its hash`,
      );
    }
    const before = last.get(event.trace_id);
    const expectedIndex = before ? before.index + 1 : 0;
    const expectedPrev = before ? before.hash : GENESIS_HASH;
    if (event.index !== expectedIndex) {
      return problem(
        `event ${event.index} (${event.type}) found where event ${expectedIndex} belongs: removed or reordered`,
      );
    }
    if (event.prev_hash !== expectedPrev) {
      return problem(
        `event ${event.index} (${event.type}) does not follow the previous event`,
      );
    }
    last.set(event.trace_id, { index: event.index, hash: event.hash });
  }
  return null;
}
