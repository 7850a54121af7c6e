import { createHash } from "node:crypto";
import { canonicalize } from "./canonicalize.ts";

/**
 * The sha256 of text (as UTF-8) or bytes, as 64 lowercase hex digits.
 *
 * @param data Text or bytes to hash.
 * @returns The hex digest.
 *
 * @example Hashing text
 * ```ts
 * import { sha256Hex } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
 * ```
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The content identity of a JSON value: sha256 over its RFC 8785 canonical
 * JSON. Equal values give equal hashes whatever their key order.
 *
 * @param value A JSON-compatible value.
 * @returns The hex digest of `canonicalize(value)`.
 * @throws {TypeError} If the value holds something JSON cannot represent.
 *
 * @example Key order does not matter
 * ```ts
 * import { contentHash } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(contentHash({ a: 1, b: 2 }), contentHash({ b: 2, a: 1 }));
 * ```
 */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalize(value));
}
