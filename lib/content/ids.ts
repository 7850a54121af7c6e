/**
 * A new unique id with a readable prefix, sortable by creation time:
 * `<prefix>_<12 hex digits of milliseconds><12 hex digits>`. The last 12
 * digits start at a random value each millisecond and count up within it,
 * so the ids one thread makes sort in the order it made them (a clock that
 * steps back keeps the last millisecond), and threads and processes do not
 * share them.
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
 * const [a, b] = [newId("io"), newId("io")];
 * assert.ok(a < b);
 * ```
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now > idMs) {
    idMs = now;
    idTime = now.toString(16).padStart(12, "0");
    crypto.getRandomValues(draw);
    // 47 random bits: counting up within a millisecond cannot overflow 48.
    counter = (draw[0]! & 0x7fff) * 2 ** 32 + draw[1]!;
  } else counter++;
  return `${prefix}_${idTime}${counter.toString(16).padStart(12, "0")}`;
}

let idMs = -1;
let idTime = "";
let counter = 0;
const draw = new Uint32Array(2);

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
