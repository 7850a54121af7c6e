import jcs from "canonicalize";

/**
 * Serializes a JSON value as RFC 8785 canonical JSON (JCS): object keys
 * sorted by UTF-16 code units, ECMAScript number formatting, minimal string
 * escaping, no whitespace. Two values that are equal as JSON give the same
 * string, so its sha256 is the value's identity.
 *
 * Values JSON cannot represent are refused rather than silently changed:
 * `NaN`, `Infinity`, `undefined` inside arrays, functions, symbols, bigints
 * and strings (or keys) holding a lone UTF-16 surrogate. Object properties
 * whose value is `undefined` are omitted, as `JSON.stringify` omits them.
 *
 * @param value A JSON-compatible value.
 * @returns The canonical JSON text.
 * @throws {TypeError} If the value holds something JSON cannot represent.
 *
 * @example Key order and number formatting
 * ```ts
 * import { canonicalize } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(canonicalize({ b: 1e21, a: [1.0, "é"] }), '{"a":[1,"é"],"b":1e+21}');
 * assert.throws(() => canonicalize({ x: NaN }), TypeError);
 * ```
 */
export function canonicalize(value: unknown): string {
  try {
    const text = plainJson(value);
    if (text !== undefined) return text;
  } catch {
    // A cycle or a depth the single pass cannot take: the general path below
    // reports it as it always has.
  }
  assertJson(value, "$");
  return jcs(value) as string;
}

/**
 * The common case in one pass: plain objects, arrays, well-formed strings,
 * finite numbers, booleans and null, serialized exactly as the general path
 * (`assertJson` then `canonicalize` from npm) would. Returns `undefined` for
 * anything else (toJSON, class instances, boxed values, what JSON cannot
 * represent), which then takes the general path.
 */
function plainJson(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? JSON.stringify(value) : undefined;
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
        return undefined;
      }
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (item === undefined) return undefined;
          const text = plainJson(item);
          if (text === undefined) return undefined;
          out += i === 0 ? text : `,${text}`;
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const record = value as Record<string, unknown>;
      let out = "{";
      for (const key of Object.keys(record).sort()) {
        const item = record[key];
        if (item === undefined) continue;
        if (!key.isWellFormed()) return undefined;
        const text = plainJson(item);
        if (text === undefined) return undefined;
        out += `${out.length === 1 ? "" : ","}${JSON.stringify(key)}:${text}`;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

function assertJson(value: unknown, path: string): void {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) {
        throw new TypeError(
          `Cannot canonicalize ${path}: lone surrogate in string`,
        );
      }
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(
          `Cannot canonicalize ${path}: ${value} is not a JSON number`,
        );
      }
      return;
    case "boolean":
      return;
    case "object":
      if (value === null) return;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) {
            throw new TypeError(
              `Cannot canonicalize ${path}[${i}]: undefined in array`,
            );
          }
          assertJson(value[i], `${path}[${i}]`);
        }
        return;
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
        assertJson((value as { toJSON(): unknown }).toJSON(), path);
        return;
      }
      for (const [key, item] of Object.entries(value)) {
        if (!key.isWellFormed()) {
          throw new TypeError(
            `Cannot canonicalize ${path}: lone surrogate in key`,
          );
        }
        if (item !== undefined) assertJson(item, `${path}.${key}`);
      }
      return;
    default:
      throw new TypeError(
        `Cannot canonicalize ${path}: ${typeof value} is not JSON`,
      );
  }
}
