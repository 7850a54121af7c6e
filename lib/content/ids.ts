/**
 * A new unique id with a readable prefix, sortable by creation time:
 * `<prefix>_<12 hex digits of milliseconds><12 random hex digits>`.
 *
 * @param prefix What the id names, e.g. `run`, `io`, `gate`.
 * @returns The id.
 *
 * @example A run id
 * ```ts
 * import { newId } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.match(newId("run"), /^run_[0-9a-f]{24}$/);
 * ```
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(16).padStart(12, "0");
  // Random bytes are drawn a pool at a time (one draw per id cost more
  // than the rest of making it).
  if (poolAt + 6 > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  let hex = "";
  for (let i = 0; i < 6; i++) hex += HEX[pool[poolAt++]!];
  return `${prefix}_${time}${hex}`;
}

const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => byte.toString(16).padStart(2, "0"),
);
const pool = new Uint8Array(4096);
let poolAt = pool.length;

let lastMs = NaN;
let lastIso = "";

/** The current time as an ISO 8601 UTC string; the one clock every layer reads. */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
