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
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  const record = asRecord(value);
  return record ? Object.values(record).flatMap(stringLeaves) : [];
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
