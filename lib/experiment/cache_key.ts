import { sha256Hex } from "../content/sha256.ts";
import type { ModelRequest } from "../providers/adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { canonicalObject, canonicalValue } from "./_canonical.ts";

/** What of a model config a cache key covers. */
export type CacheKeyConfig = Pick<
  ModelConfig,
  "provider" | "model" | "base_url"
>;

/** What of a request a cache key covers. */
export type CacheKeyRequest = Pick<
  ModelRequest,
  "system" | "messages" | "params" | "structured" | "repetition"
>;

/**
 * The canonical JSON texts of a request's members that a cache key covers
 * (`params`, `system`, `messages`, `structured`, `repetition`), as
 * `canonicalValue` gives them; absent members may be left out.
 */
export type RequestMemberTexts = Readonly<
  Partial<Record<keyof CacheKeyRequest, string>>
>;

/**
 * The key over canonical member texts: the one definition of what a cache
 * key covers, shared by {@linkcode cacheKey} and the runner (which has the
 * texts already).
 */
export function cacheKeyOf(
  config: CacheKeyConfig,
  members: RequestMemberTexts,
): string {
  return sha256Hex(canonicalObject({
    provider: canonicalValue(config.provider),
    model: canonicalValue(config.model),
    base_url: canonicalValue(config.base_url ?? null),
    params: members.params,
    system: members.system ?? "null",
    messages: members.messages,
    structured: members.structured ?? "null",
    repetition: members.repetition ?? "0",
  }));
}

/**
 * The cache key of a request: sha256 of the canonical call that determines
 * the answer (provider, model, base URL, parameters, system prompt,
 * messages, structured output and repetition; not the abort signal or the
 * fake provider's hints).
 *
 * @param config The model config (provider, model, base URL).
 * @param request The request.
 * @returns 64 hex digits.
 *
 * @example Equal requests share a key; another repetition does not
 * ```ts
 * import { cacheKey, type ModelConfig } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const config: Pick<ModelConfig, "provider" | "model"> = { provider: "fake", model: "fake-fast-1" };
 * const request = { messages: [{ role: "user" as const, content: "Hi" }], params: { temperature: 0 }, repetition: 0 };
 * const key = cacheKey(config, request);
 * assert.match(key, /^[0-9a-f]{64}$/);
 * assert.equal(cacheKey(config, { ...request, messages: [{ role: "user", content: "Hi" }] }), key);
 * assert.notEqual(cacheKey(config, { ...request, repetition: 1 }), key);
 * ```
 */
export function cacheKey(
  config: CacheKeyConfig,
  request: CacheKeyRequest,
): string {
  const members: Partial<Record<keyof CacheKeyRequest, string>> = {};
  for (
    const field of [
      "params",
      "system",
      "messages",
      "structured",
      "repetition",
    ] as const
  ) {
    const value = request[field];
    if (value !== undefined) members[field] = canonicalValue(value);
  }
  return cacheKeyOf(config, members);
}
