/**
 * Canonical JSON assembled from canonical parts, so the runner serializes
 * each large value (a rendered prompt, a response) once, and reuses the
 * text for the cache key, the receipt's sha256 and the stored columns.
 * Every function here gives exactly `canonicalize` of the whole value.
 *
 * @module
 */
import { canonicalize } from "../content/canonicalize.ts";

/** Canonical JSON of a value, with a fast path for primitives (same output as `canonicalize`). */
export function canonicalValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      if (value.isWellFormed()) return JSON.stringify(value);
      break;
    case "number":
      if (Number.isFinite(value)) return JSON.stringify(value);
      break;
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      break;
  }
  return canonicalize(value);
}

/**
 * The canonical JSON of an object from its members' canonical JSON texts:
 * keys in UTF-16 code unit order (RFC 8785), `undefined` members left out
 * (as `canonicalize` leaves out properties whose value is `undefined`).
 * Keys must be well-formed strings.
 */
export function canonicalObject(
  members: Readonly<Record<string, string | undefined>>,
): string {
  const keys = Object.keys(members).sort();
  let out = "{";
  for (const key of keys) {
    const text = members[key];
    if (text === undefined) continue;
    if (out.length > 1) out += ",";
    out += JSON.stringify(key) + ":" + text;
  }
  return out + "}";
}

/**
 * The canonical JSON of a plain object, taking the texts of some members
 * from `known` (which must be exactly their canonical JSON) and
 * serializing the others.
 */
export function canonicalWith(
  value: Readonly<Record<string, unknown>>,
  known: Readonly<Record<string, string | undefined>>,
): string {
  const members: Record<string, string | undefined> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item === undefined) continue;
    members[key] = known[key] ?? canonicalValue(item);
  }
  return canonicalObject(members);
}
