/**
 * The OpenAI adapter: Chat Completions through the `openai` package, for
 * OpenAI itself and any OpenAI-compatible server (vLLM, Ollama, LM Studio,
 * OpenRouter) through `base_url`.
 *
 * @module
 */

import type OpenAI from "openai";
import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import { type ModelAdapter, ProviderError } from "./adapter.ts";
import type {
  ModelRequest,
  ModelResponse,
  Usage,
} from "../schema/model_call.ts";
import {
  abortError,
  count,
  type EnvReader,
  isRecord,
  malformedError,
  mergeParams,
  resolveApiKey,
  statusError,
  timeoutOf,
} from "./_sdk_support.ts";
import { CallTimer, type CallTiming, timed } from "./_call_timing.ts";

/** The variable the key is read from when the config names none. */
export const OPENAI_API_KEY_ENV = "OPENAI_API_KEY";

/** Options for {@linkcode createOpenAIAdapter}. */
export interface OpenAIAdapterOptions {
  /**
   * Reads environment variables (the API key).
   *
   * @default {(name) => Deno.env.get(name)}
   */
  readonly env?: EnvReader;
  /**
   * The fetch the SDK uses.
   *
   * @default {globalThis.fetch}
   */
  readonly fetch?: typeof fetch;
}

const STOP_REASONS: Readonly<Record<string, string>> = {
  "stop": "end",
  "length": "max_tokens",
  "content_filter": "refusal",
  "tool_calls": "tool_use",
  "function_call": "tool_use",
};

/**
 * Creates an adapter that calls an OpenAI (or OpenAI-compatible) model
 * through Chat Completions.
 *
 * The key is read from the variable `config.api_key_env` names (default
 * `OPENAI_API_KEY`) when the adapter is created; the SDK's own retries are
 * off (the runner retries). `config.base_url` points the adapter at another
 * server; `max_tokens` is sent as `max_completion_tokens` to OpenAI itself and
 * as `max_tokens` to a server named by `base_url`.
 *
 * @param config The model configuration (provider `openai`).
 * @param options Where to read the key from, and the fetch to use.
 * @returns The adapter.
 * @throws {ConfigError} When the key variable is unset, or the config is not for `openai`.
 */
export function createOpenAIAdapter(
  config: ModelConfig,
  options: OpenAIAdapterOptions = {},
): ModelAdapter {
  if (config.provider !== "openai") {
    throw new ConfigError(
      `Cannot create the openai adapter for model config "${config.id}": its provider is "${config.provider}"`,
    );
  }
  const apiKey = resolveApiKey(config, OPENAI_API_KEY_ENV, options.env);
  const timeout = timeoutOf(config);
  const timer = new CallTimer();
  // The SDK is imported by the first call, so that a process which never
  // calls OpenAI (a fake run, `wb runs`, `import` of the toolkit) does not
  // load it.
  let connected: Promise<{ sdk: Sdk; client: OpenAI }> | undefined;
  const connect = () =>
    connected ??= import("openai").then((sdk) => ({
      sdk,
      client: new sdk.default({
        apiKey,
        // Explicit nulls keep the SDK from reading more credentials from the environment.
        adminAPIKey: null,
        organization: null,
        project: null,
        webhookSecret: null,
        maxRetries: 0,
        timeout,
        ...(config.base_url === undefined ? {} : { baseURL: config.base_url }),
        fetch: timer.fetch(options.fetch),
      }),
    }));
  const where = `OpenAI call to model "${config.model}"`;
  return {
    provider: "openai",
    model: config.model,
    async call(request: ModelRequest): Promise<ModelResponse> {
      const body = buildBody(config, request);
      const { sdk, client } = await connect();
      let completion: unknown;
      let timing: CallTiming = {};
      try {
        [completion, timing] = await timer.run(() =>
          client.chat.completions.create(
            body,
            request.signal === undefined
              ? undefined
              : { signal: request.signal },
          )
        );
      } catch (error) {
        throw toProviderError(sdk, where, error, request.signal);
      }
      return {
        ...parseCompletion(where, completion, config),
        ...timed(timing),
      };
    },
  };
}

function buildBody(
  config: ModelConfig,
  request: ModelRequest,
): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  const params = mergeParams(config, request.params);
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
  if (request.system) {
    messages.push({ role: "system", content: request.system });
  }
  for (const message of request.messages) {
    messages.push({ role: message.role, content: message.content });
  }
  const maxTokensField = config.base_url === undefined
    ? "max_completion_tokens"
    : "max_tokens";
  const structured = request.structured;
  return {
    model: config.model,
    messages,
    ...(params.temperature === undefined
      ? {}
      : { temperature: params.temperature }),
    ...(params.top_p === undefined ? {} : { top_p: params.top_p }),
    ...(params.stop === undefined ? {} : { stop: params.stop }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
    ...(params.max_tokens === undefined
      ? {}
      : { [maxTokensField]: params.max_tokens }),
    ...(structured === undefined ? {} : {
      response_format: {
        type: "json_schema" as const,
        json_schema: {
          name: structured.name,
          schema: structured.schema,
          strict: true,
        },
      },
    }),
  };
}

function parseCompletion(
  where: string,
  completion: unknown,
  config: ModelConfig,
): ModelResponse {
  if (!isRecord(completion) || !Array.isArray(completion["choices"])) {
    throw malformedError(where, "the body has no choices array");
  }
  const choice: unknown = completion["choices"][0];
  if (!isRecord(choice) || !isRecord(choice["message"])) {
    throw malformedError(where, "the first choice has no message");
  }
  const content = choice["message"]["content"];
  const refusal = choice["message"]["refusal"];
  if (
    content !== null && content !== undefined && typeof content !== "string"
  ) {
    throw malformedError(where, "the message content is not a string");
  }
  const refused = typeof refusal === "string" && refusal !== "";
  const reported = choice["finish_reason"];
  return {
    text: content ?? (refused ? refusal : ""),
    usage: parseUsage(completion["usage"]),
    response_id: typeof completion["id"] === "string" ? completion["id"] : null,
    model: typeof completion["model"] === "string"
      ? completion["model"]
      : config.model,
    stop_reason: refused
      ? "refusal"
      : typeof reported === "string"
      ? STOP_REASONS[reported] ?? reported
      : null,
  };
}

/**
 * OpenAI's `prompt_tokens` includes the cached prompt tokens; Usage keeps
 * them apart (as Anthropic reports them), so input_tokens is the uncached
 * part and each part is priced once. OpenAI reports no cache writes.
 */
function parseUsage(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  const prompt = count(usage["prompt_tokens"]);
  const details = usage["prompt_tokens_details"];
  const cached = isRecord(details) ? count(details["cached_tokens"]) : null;
  return {
    input_tokens: prompt === null
      ? null
      : cached === null
      ? prompt
      : count(prompt - cached),
    output_tokens: count(usage["completion_tokens"]),
    cache_read_tokens: cached,
    cache_write_tokens: null,
  };
}

/** The `openai` module, imported by an adapter's first call. */
type Sdk = typeof import("openai");

function toProviderError(
  {
    APIConnectionError,
    APIConnectionTimeoutError,
    APIError,
    APIUserAbortError,
    OpenAIError,
  }: Sdk,
  where: string,
  error: unknown,
  signal: AbortSignal | undefined,
): unknown {
  if (error instanceof ProviderError) return error;
  const aborted = abortError(where, signal, error);
  if (aborted) return aborted;
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderError("timeout", `${where} timed out`, { cause: error });
  }
  if (error instanceof APIUserAbortError) {
    return new ProviderError("aborted", `${where} was aborted`, {
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    const reason = error.cause instanceof Error ? error.cause.message : "";
    return new ProviderError(
      "network",
      `${where} could not reach the server: ${reason || error.message}`,
      { cause: error },
    );
  }
  if (error instanceof APIError && typeof error.status === "number") {
    return statusError(where, error.status, {
      headers: error.headers,
      bodyType: error.type,
      detail: error.message,
      cause: error,
    });
  }
  if (error instanceof SyntaxError) {
    return malformedError(
      where,
      `the body is not JSON: ${error.message}`,
      error,
    );
  }
  if (error instanceof OpenAIError) {
    return new ProviderError(
      "bad_request",
      `${where} was refused by the SDK before sending: ${error.message}`,
      { cause: error },
    );
  }
  return error;
}
