/**
 * A trace event's shape: what the tracer writes, the store keeps and a
 * bundle carries. Hashing and chain checks are in `lib/trace/event.ts`.
 *
 * @module
 */

/** One hash-chained trace event. */
export interface TraceEvent {
  /** The trace (workflow execution) this event belongs to. */
  readonly trace_id: string;
  /** 0-based position in the trace. */
  readonly index: number;
  /** What happened, e.g. `run_started`, `step_finished`, `gate_requested`. */
  readonly type: string;
  /** The workflow step it concerns, if any. */
  readonly step: string | null;
  /** When, as ISO 8601 UTC. */
  readonly at: string;
  /** Event data (ids, content hashes, figures); JSON only. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The previous event's hash (64 zeros, `GENESIS_HASH`, for the first). */
  readonly prev_hash: string;
  /** sha256 of the canonical event without this field. */
  readonly hash: string;
}

/** The fields an event's hash covers. */
export type UnhashedEvent = Omit<TraceEvent, "hash">;
