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
  const random = crypto.getRandomValues(new Uint8Array(6));
  let hex = "";
  for (const byte of random) hex += byte.toString(16).padStart(2, "0");
  return `${prefix}_${time}${hex}`;
}

/** The current time as an ISO 8601 UTC string; the one clock every layer reads. */
export function nowIso(): string {
  return new Date().toISOString();
}
