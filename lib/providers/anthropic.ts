/**
 * The Anthropic adapter: the Messages API through `@anthropic-ai/sdk`.
 *
 * @module
 */

import type Anthropic from "@anthropic-ai/sdk";
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
export const ANTHROPIC_API_KEY_ENV = "ANTHROPIC_API_KEY";

/**
 * `max_tokens` sent when neither the request nor the config sets one (the
 * Messages API requires it).
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** Options for {@linkcode createAnthropicAdapter}. */
export interface AnthropicAdapterOptions {
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
  "end_turn": "end",
  "max_tokens": "max_tokens",
  "stop_sequence": "stop_sequence",
  "refusal": "refusal",
  "tool_use": "tool_use",
};

/**
 * Creates an adapter that calls an Anthropic model through the Messages API.
 *
 * The key is read from the variable `config.api_key_env` names (default
 * `ANTHROPIC_API_KEY`) when the adapter is created; the SDK's own retries are
 * off (the runner retries) and `config.base_url`, when set, replaces the API
 * host. `config.options.timeout_ms` bounds one request (default 10 minutes).
 *
 * @param config The model configuration (provider `anthropic`).
 * @param options Where to read the key from, and the fetch to use.
 * @returns The adapter.
 * @throws {ConfigError} When the key variable is unset, or the config is not for `anthropic`.
 */
export function createAnthropicAdapter(
  config: ModelConfig,
  options: AnthropicAdapterOptions = {},
): ModelAdapter {
  if (config.provider !== "anthropic") {
    throw new ConfigError(
      `Cannot create the anthropic adapter for model config "${config.id}": its provider is "${config.provider}"`,
    );
  }
  const apiKey = resolveApiKey(config, ANTHROPIC_API_KEY_ENV, options.env);
  const timeout = timeoutOf(config);
  const timer = new CallTimer();
  // The SDK is imported by the first call, so that a process which never
  // calls Anthropic (a fake run, `wb runs`, `import` of the toolkit) does not
  // load it.
  let connected: Promise<{ sdk: Sdk; client: Anthropic }> | undefined;
  const connect = () =>
    connected ??= import("@anthropic-ai/sdk").then((sdk) => ({
      sdk,
      client: new sdk.default({
        apiKey,
        maxRetries: 0,
        timeout,
        ...(config.base_url === undefined ? {} : { baseURL: config.base_url }),
        fetch: timer.fetch(options.fetch),
      }),
    }));
  const where = `Anthropic call to model "${config.model}"`;
  return {
    provider: "anthropic",
    model: config.model,
    async call(request: ModelRequest): Promise<ModelResponse> {
      const body = buildBody(config, request);
      const { sdk, client } = await connect();
      let message: unknown;
      let timing: CallTiming = {};
      try {
        [message, timing] = await timer.run(() =>
          client.messages.create(
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
        ...parseMessage(where, message, config, request),
        ...timed(timing),
      };
    },
  };
}

function buildBody(
  config: ModelConfig,
  request: ModelRequest,
): Anthropic.MessageCreateParamsNonStreaming {
  const params = mergeParams(config, request.params);
  const structured = request.structured;
  return {
    model: config.model,
    max_tokens: params.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: request.messages.map((message) => ({
      role: message.role,
      content: message.content,
    })),
    ...(request.system ? { system: request.system } : {}),
    ...(params.temperature === undefined
      ? {}
      : { temperature: params.temperature }),
    ...(params.top_p === undefined ? {} : { top_p: params.top_p }),
    ...(params.stop === undefined ? {} : { stop_sequences: params.stop }),
    ...(structured === undefined ? {} : {
      tools: [{
        name: structured.name,
        input_schema: structured.schema as Anthropic.Tool.InputSchema,
      }],
      tool_choice: { type: "tool" as const, name: structured.name },
    }),
  };
}

function parseMessage(
  where: string,
  message: unknown,
  config: ModelConfig,
  request: ModelRequest,
): ModelResponse {
  if (!isRecord(message) || !Array.isArray(message["content"])) {
    throw malformedError(where, "the body has no content array");
  }
  const blocks = message["content"].filter(isRecord);
  const structured = request.structured;
  const tool = structured === undefined
    ? undefined
    : blocks.find((block) =>
      block["type"] === "tool_use" && block["name"] === structured.name
    );
  const text = tool !== undefined
    ? JSON.stringify(tool["input"] ?? null)
    : blocks
      .filter((block) =>
        block["type"] === "text" && typeof block["text"] === "string"
      )
      .map((block) => block["text"] as string)
      .join("");
  const reported = message["stop_reason"];
  // A forced tool call is how the structured answer arrives: it ended normally.
  const stopReason = tool !== undefined && reported === "tool_use"
    ? "end"
    : typeof reported === "string"
    ? STOP_REASONS[reported] ?? reported
    : null;
  return {
    text,
    usage: parseUsage(message["usage"]),
    response_id: typeof message["id"] === "string" ? message["id"] : null,
    model: typeof message["model"] === "string"
      ? message["model"]
      : config.model,
    stop_reason: stopReason,
  };
}

function parseUsage(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  return {
    input_tokens: count(usage["input_tokens"]),
    output_tokens: count(usage["output_tokens"]),
    cache_read_tokens: count(usage["cache_read_input_tokens"]),
    cache_write_tokens: count(usage["cache_creation_input_tokens"]),
  };
}

/** The `@anthropic-ai/sdk` module, imported by an adapter's first call. */
type Sdk = typeof import("@anthropic-ai/sdk");

function toProviderError(
  {
    AnthropicError,
    APIConnectionError,
    APIConnectionTimeoutError,
    APIError,
    APIUserAbortError,
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
      detail: error.apiMessage ?? error.message,
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
  if (error instanceof AnthropicError) {
    return new ProviderError(
      "bad_request",
      `${where} was refused by the SDK before sending: ${error.message}`,
      { cause: error },
    );
  }
  return error;
}
