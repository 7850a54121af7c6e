/**
 * The one place a model configuration becomes its adapter.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { ModelAdapter } from "./adapter.ts";
import { createAnthropicAdapter } from "./anthropic.ts";
import { createFakeAdapter } from "./fake.ts";
import { createOpenAIAdapter } from "./openai.ts";

/** Options for {@linkcode createAdapter}. */
export interface CreateAdapterOptions {
  /**
   * Reads environment variables: the API key comes from the variable the
   * config's `api_key_env` names (default `ANTHROPIC_API_KEY` /
   * `OPENAI_API_KEY`).
   *
   * @default {(name) => Deno.env.get(name)}
   */
  readonly env?: (name: string) => string | undefined;
  /**
   * The fetch the provider SDKs use (e.g. to route through a proxy in tests).
   *
   * @default {globalThis.fetch}
   */
  readonly fetch?: typeof fetch;
}

/**
 * Creates the adapter for a model configuration: `fake` (deterministic, no
 * network), `anthropic` (Messages API) or `openai` (Chat Completions; any
 * OpenAI-compatible server through `base_url`).
 *
 * Real adapters read their API key when created, so a missing key fails
 * here, before any call. Their SDKs never retry (the experiment runner
 * retries, honouring retry-after), and each call passes the request's
 * AbortSignal through. Failures are thrown as `ProviderError`.
 *
 * @param config The model configuration (an entry of `models.yaml`).
 * @param options Where to read environment variables, and the fetch to use.
 * @returns The adapter.
 * @throws {ConfigError} When the API key variable is unset or empty, or the provider is unknown.
 *
 * @example A missing key is reported before any call
 * ```ts
 * import { ConfigError, createAdapter, type ModelConfig } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const config: ModelConfig = {
 *   id: "claude-haiku-4-5",
 *   provider: "anthropic",
 *   model: "claude-haiku-4-5",
 *   params: {},
 *   options: {},
 *   api_key_env: "MY_ANTHROPIC_KEY",
 * };
 * assert.throws(
 *   () => createAdapter(config, { env: () => undefined }),
 *   (error) => error instanceof ConfigError && error.message.includes('"MY_ANTHROPIC_KEY"'),
 * );
 * const adapter = createAdapter(config, { env: (name) => name === "MY_ANTHROPIC_KEY" ? "sk-ant-example" : undefined });
 * assert.equal(adapter.provider, "anthropic");
 * assert.equal(adapter.model, "claude-haiku-4-5");
 * ```
 *
 * @example An OpenAI-compatible server (vLLM, Ollama, LM Studio, OpenRouter)
 * ```ts
 * import { createAdapter } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const adapter = createAdapter(
 *   {
 *     id: "llama-local",
 *     provider: "openai",
 *     model: "llama3.1:8b",
 *     base_url: "http://127.0.0.1:11434/v1",
 *     api_key_env: "OLLAMA_API_KEY",
 *     params: { temperature: 0 },
 *     options: {},
 *   },
 *   { env: () => "ollama" },
 * );
 * assert.equal(adapter.provider, "openai");
 * ```
 */
export function createAdapter(
  config: ModelConfig,
  options: CreateAdapterOptions = {},
): ModelAdapter {
  const provider: string = config.provider;
  switch (config.provider) {
    case "fake":
      return createFakeAdapter(config);
    case "anthropic":
      return createAnthropicAdapter(config, options);
    case "openai":
      return createOpenAIAdapter(config, options);
  }
  throw new ConfigError(
    `Cannot create an adapter for model config "${config.id}": unknown provider "${provider}"; use one of "fake", "anthropic", "openai"`,
  );
}
