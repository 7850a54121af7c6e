/**
 * What the Anthropic and OpenAI adapters share: the API key lookup, the
 * parameter merge, retry-after parsing and the HTTP-status-to-kind mapping.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { ModelParams } from "../schema/prompt.ts";
import { ProviderError, type ProviderErrorKind } from "./adapter.ts";

/** Reads an environment variable; tests pass a map instead of the process environment. */
export type EnvReader = (name: string) => string | undefined;

/** The SDK request timeout when `options.timeout_ms` is not set: 10 minutes, the SDKs' own default. */
export const DEFAULT_TIMEOUT_MS = 600_000;

/**
 * The API key for a config, read from the variable `config.api_key_env`
 * names (or the provider's default variable).
 *
 * @throws {ConfigError} When the variable is unset or empty.
 */
export function resolveApiKey(
  config: ModelConfig,
  defaultVariable: string,
  env: EnvReader | undefined,
): string {
  const variable = config.api_key_env ?? defaultVariable;
  const read = env ?? ((name: string) => Deno.env.get(name));
  const key = read(variable);
  if (key === undefined || key.trim() === "") {
    throw new ConfigError(
      `Cannot create the ${config.provider} adapter for model config "${config.id}": environment variable "${variable}" is not set; export it or set "api_key_env" in models.yaml`,
    );
  }
  return key;
}

/** The request timeout in milliseconds from `config.options.timeout_ms`. */
export function timeoutOf(config: ModelConfig): number {
  const value = config.options["timeout_ms"];
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(
      `Cannot create the ${config.provider} adapter for model config "${config.id}": options.timeout_ms must be a positive integer of milliseconds, found ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/** The config's default params under the request's own (the request wins). */
export function mergeParams(
  config: ModelConfig,
  params: ModelParams,
): ModelParams {
  return { ...config.params, ...params };
}

/** A token count as reported, or `null` when the field is absent or not a count. */
export function count(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 0
    ? value
    : null;
}

/**
 * How long a failed response asks us to wait: `retry-after-ms`
 * (milliseconds), else `retry-after` as seconds or an HTTP date.
 *
 * @param headers The response headers.
 * @param now The current time in epoch milliseconds (for HTTP dates).
 * @returns Milliseconds to wait, or `undefined` when no usable header is present.
 */
export function parseRetryAfter(
  headers: Headers | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const millis = headers.get("retry-after-ms");
  if (millis !== null && /^\s*\d+(\.\d+)?\s*$/.test(millis)) {
    return Math.ceil(Number(millis));
  }
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) {
    return Math.ceil(Number(value) * 1000);
  }
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The kind of failure an HTTP error status (and the body's error type) means.
 *
 * @param status The HTTP status.
 * @param bodyType The error type named in the body (e.g. `overloaded_error`).
 */
export function kindOfStatus(
  status: number,
  bodyType: string | null | undefined,
): ProviderErrorKind {
  if (bodyType === "overloaded_error" || status === 529) return "overloaded";
  if (status === 429) return "rate_limit";
  if (status === 401 || status === 403) return "auth";
  if (status === 408) return "timeout";
  if (status >= 500) return "server";
  return "bad_request";
}

/** Builds the error for an HTTP error response. */
export function statusError(
  where: string,
  status: number,
  options: {
    headers: Headers | undefined;
    bodyType: string | null | undefined;
    detail: string;
    cause: unknown;
  },
): ProviderError {
  const kind = kindOfStatus(status, options.bodyType);
  const retryAfterMs = parseRetryAfter(options.headers);
  return new ProviderError(
    kind,
    `${where} failed with HTTP ${status} (${kind}): ${options.detail}`,
    {
      status,
      cause: options.cause,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  );
}

/**
 * When the caller's signal has fired, the error that says so: `timeout` when
 * it fired because of a timeout (`AbortSignal.timeout`), else `aborted`.
 */
export function abortError(
  where: string,
  signal: AbortSignal | undefined,
  cause: unknown,
): ProviderError | undefined {
  if (!signal?.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === "TimeoutError") {
    return new ProviderError(
      "timeout",
      `${where} timed out: the request signal fired`,
      { cause },
    );
  }
  return new ProviderError("aborted", `${where} was aborted by the caller`, {
    cause,
  });
}

/** Builds the error for a 200 response whose body is not what the API returns. */
export function malformedError(
  where: string,
  detail: string,
  cause?: unknown,
): ProviderError {
  return new ProviderError(
    "malformed",
    `${where} returned a malformed response: ${detail}`,
    cause === undefined ? { status: 200 } : { status: 200, cause },
  );
}

/** True for a plain object (not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
