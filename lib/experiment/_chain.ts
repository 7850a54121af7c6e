/**
 * Chaining events built elsewhere onto a trace's head as it is now: a
 * worker builds its cells' events on its own copy of the chain, and the
 * commit, which sees the head every worker's commits left, chains them
 * again there (same type, step, time and data; new index, previous hash and
 * hash).
 *
 * @module
 */
import type { ChainHead } from "../store/run_cells.ts";
import { GENESIS_HASH, hashEvent } from "../trace/event.ts";
import type { TraceEvent } from "../schema/trace_event.ts";

/** Events (grouped, e.g. per cell) chained in order from `head`. */
export function rechain(
  groups: readonly (readonly TraceEvent[])[],
  head: ChainHead,
): TraceEvent[][] {
  let index = head.index;
  let prevHash = head.prevHash ?? GENESIS_HASH;
  return groups.map((events) =>
    events.map((event) => {
      const unhashed = {
        trace_id: event.trace_id,
        index: index++,
        type: event.type,
        step: event.step,
        at: event.at,
        data: event.data,
        prev_hash: prevHash,
      };
      const chained = { ...unhashed, hash: hashEvent(unhashed) };
      prevHash = chained.hash;
      return chained;
    })
  );
}
