import { sha256Hex } from "../content/sha256.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import type { ModelConfig } from "../schema/model.ts";
import { canonicalObject, canonicalValue } from "./_canonical.ts";

/** What of a model config a cache key covers: everything that shapes an answer (not its id or API key variable). */
export type CacheKeyConfig = Pick<
  ModelConfig,
  "provider" | "model" | "base_url" | "options" | "behaviours"
>;

/**
 * The version of the key's own format, hashed into every key: a key made
 * under another format never matches, so entries written before a change
 * of what the key covers are never served. 2: the config's options and the
 * adapter's request shaping joined the key.
 */
export const CACHE_KEY_FORMAT = 2;

/**
 * The version of each provider adapter's request shaping (how it turns a
 * request into the provider's call: message layout, structured output,
 * defaults it adds). Raise a provider's number when its adapter starts
 * sending something else for the same request: its cached answers stop
 * being served.
 */
export const ADAPTER_REQUEST_VERSIONS: Readonly<
  Record<ModelConfig["provider"], number>
> = Object.freeze({ fake: 1, anthropic: 1, openai: 1 });

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
    key_format: String(CACHE_KEY_FORMAT),
    provider: canonicalValue(config.provider),
    adapter: String(ADAPTER_REQUEST_VERSIONS[config.provider] ?? 0),
    model: canonicalValue(config.model),
    base_url: canonicalValue(config.base_url ?? null),
    options: canonicalValue(config.options ?? {}),
    // The fake's task behaviour modules, only when named (keys of configs
    // that name none are unchanged).
    ...(config.behaviours === undefined
      ? {}
      : { behaviours: canonicalValue(config.behaviours) }),
    params: members.params,
    system: members.system ?? "null",
    messages: members.messages,
    structured: members.structured ?? "null",
    repetition: members.repetition ?? "0",
  }));
}

/**
 * The cache key of a request: sha256 of the canonical call that determines
 * the answer: the key's format version, the provider and its adapter's
 * request-shaping version, the model, base URL, the config's options (and a
 * fake config's `behaviours`), then the request's parameters, system
 * prompt, messages, structured output and repetition (not the abort signal or the fake provider's
 * hints, nor the config's id or API key variable).
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
 * const config: Pick<ModelConfig, "provider" | "model" | "options"> = { provider: "fake", model: "fake-fast-1", options: {} };
 * const request = { messages: [{ role: "user" as const, content: "Hi" }], params: { temperature: 0 }, repetition: 0 };
 * const key = cacheKey(config, request);
 * assert.match(key, /^[0-9a-f]{64}$/);
 * assert.equal(cacheKey(config, { ...request, messages: [{ role: "user", content: "Hi" }] }), key);
 * assert.notEqual(cacheKey(config, { ...request, repetition: 1 }), key);
 * assert.notEqual(cacheKey({ ...config, options: { bias: 0.5 } }, request), key);
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
