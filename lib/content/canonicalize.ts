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
  assertJson(value, "$");
  return jcs(value) as string;
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
