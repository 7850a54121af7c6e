import type { ModelRequest, ModelResponse } from "../schema/model_call.ts";

/** The one contract every provider implements. */
export interface ModelAdapter {
  /** The provider name, e.g. `anthropic`. */
  readonly provider: string;
  /** The provider's model name. */
  readonly model: string;
  /**
   * Calls the model once. Failures are thrown as {@linkcode ProviderError}
   * so the runner can tell what to retry.
   */
  call(request: ModelRequest): Promise<ModelResponse>;
}

/** What kind of provider failure happened; decides whether to retry. */
export type ProviderErrorKind =
  | "rate_limit"
  | "server"
  | "overloaded"
  | "timeout"
  | "malformed"
  | "auth"
  | "bad_request"
  | "aborted"
  | "network";

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set([
  "rate_limit",
  "server",
  "overloaded",
  "timeout",
  "network",
]);

/**
 * A failed model call, normalized across providers.
 *
 * @example A rate limit with retry-after
 * ```ts
 * import { ProviderError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new ProviderError("rate_limit", "429 Too Many Requests", { status: 429, retryAfterMs: 2000 });
 * assert.equal(error.retryable, true);
 * assert.equal(error.retryAfterMs, 2000);
 * ```
 */
export class ProviderError extends Error {
  /** The normalized kind of failure. */
  readonly kind: ProviderErrorKind;
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;
  /** How long the provider asked us to wait (retry-after), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Whether retrying can succeed. */
  readonly retryable: boolean;

  /** Builds the error. */
  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ProviderError";
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.retryable = RETRYABLE.has(kind);
  }
}
