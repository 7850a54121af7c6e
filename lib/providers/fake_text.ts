/**
 * Small text helpers shared by the fake provider's task behaviours.
 *
 * @module
 */

/** "A", "A and B", "A, B and C". */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** A string field of the input, or "". */
export function stringField(
  input: Readonly<Record<string, unknown>>,
  key: string,
): string {
  const value = input[key];
  return typeof value === "string" ? value : "";
}

/** A plain object, or null. */
export function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : null;
}

/** Every string leaf of a JSON value (object values, array items, the value itself). */
export function stringLeaves(value: unknown): string[] {
  const leaves: string[] = [];
  addLeaves(value, leaves);
  return leaves;
}

function addLeaves(value: unknown, leaves: string[]): void {
  if (typeof value === "string") {
    leaves.push(value);
  } else if (Array.isArray(value)) {
    // A hole reads as undefined and adds nothing, as flatMap skips it.
    for (const item of value) addLeaves(item, leaves);
  } else {
    const record = asRecord(value);
    if (record) {
      for (const item of Object.values(record)) addLeaves(item, leaves);
    }
  }
}

/** Appends sentences from `pool`, in order and each at most once, until `text` reaches `minLength`. */
export function padTo(
  text: string,
  minLength: number,
  pool: readonly string[],
): string {
  let out = text;
  for (const sentence of pool) {
    if (out.length >= minLength) break;
    out = `${out} ${sentence}`;
  }
  return out;
}
