import type { ModelAdapter } from "../providers/adapter.ts";
import type { ModelRequest, ModelResponse } from "../schema/model_call.ts";
import { ProviderError } from "../providers/adapter.ts";
import type { AttemptFailure } from "../schema/receipt.ts";

export type { AttemptFailure };

/** How a call is retried and bounded. */
export interface RetryPolicy {
  /** Attempts after the first. @default {4} */
  retries?: number;
  /** First backoff delay in ms; doubles each retry, with full jitter. @default {500} */
  baseDelayMs?: number;
  /** Longest single wait in ms (also caps retry-after). @default {30000} */
  maxDelayMs?: number;
  /** Per-attempt timeout in ms. @default {60000} */
  timeoutMs?: number;
}

/** The retry policy's defaults. */
export const DEFAULT_RETRY: Required<RetryPolicy> = {
  retries: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 60_000,
};

/** What one call came to, after retries. */
export interface CallOutcome {
  /** The response, when the call succeeded. */
  readonly response: ModelResponse | null;
  /** The last error, when every attempt failed. */
  readonly error: ProviderError | null;
  /** Attempts made. */
  readonly attempts: number;
  /** Every attempt that failed, in order, with the wait that followed it. */
  readonly failures: readonly AttemptFailure[];
  /** The successful (or last) attempt's latency in ms: the adapter's measure (request sent to answer read) when it gives one, else the attempt's wall time. */
  readonly latencyMs: number;
}

/** Hooks the runner gives: waiting for a rate-limit slot, the sleep function, randomness. */
export interface CallHooks {
  /**
   * Waits until the rate limiter allows one more request (each attempt);
   * what it holds is settled with the attempt's usage.
   */
  acquire?: () => Promise<
    { settle(usage: ModelResponse["usage"] | null): void } | void
  >;
  /**
   * Counts the attempt as sent, before it is (the send journal); a promise
   * is waited for. Its errors are not provider errors: they are thrown.
   */
  beforeSend?: () => void | Promise<void>;
  /** Sleeps (tests pass a fake). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for jitter. */
  random?: () => number;
  /** Whether to wait for the fake provider's simulated latency. */
  simulateLatency?: boolean;
  /** Called once a request has been handed to the adapter (each attempt). */
  sent?: () => void;
  /**
   * The attempt's deadline: a signal that aborts when the attempt has run
   * too long, ending it as a timeout (tests abort only the calls they hang).
   * @default {a timer of the policy's timeoutMs}
   */
  deadline?: (request: ModelRequest, timeoutMs: number) => AbortSignal;
}

/** Sleeps for `ms`, ending early (without error) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function asProviderError(
  error: unknown,
  timedOut: boolean,
  aborted: boolean,
): ProviderError {
  if (error instanceof ProviderError) {
    if (timedOut && error.kind === "aborted") {
      return new ProviderError("timeout", "the call timed out", {
        cause: error,
      });
    }
    return error;
  }
  if (aborted) {
    return new ProviderError("aborted", "the call was cancelled", {
      cause: error,
    });
  }
  if (timedOut) {
    return new ProviderError("timeout", "the call timed out", { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError("network", message, { cause: error });
}

/**
 * Calls a model with a per-attempt timeout and retries: exponential backoff
 * with full jitter, honouring the provider's retry-after, only for errors
 * that can succeed on retry. Never throws for provider failures: the last
 * error is returned so it is recorded on the receipt.
 *
 * @param adapter The model adapter.
 * @param request The request (its signal cancels everything).
 * @param policy Retry and timeout settings.
 * @param hooks Rate limiting, sleeping and randomness.
 * @returns The response or the last error, with attempts and latency.
 */
export async function callModel(
  adapter: ModelAdapter,
  request: ModelRequest,
  policy: RetryPolicy = {},
  hooks: CallHooks = {},
): Promise<CallOutcome> {
  const retries = policy.retries ?? DEFAULT_RETRY.retries;
  const base = policy.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const maxDelay = policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const timeoutMs = policy.timeoutMs ?? DEFAULT_RETRY.timeoutMs;
  const wait = hooks.sleep ?? sleep;
  const random = hooks.random ?? Math.random;
  const outer = request.signal;
  let attempts = 0;
  let lastError: ProviderError | null = null;
  let latencyMs = 0;
  const failures: AttemptFailure[] = [];
  const failed = (error: ProviderError, waitMs: number) =>
    failures.push({
      kind: error.kind,
      ...(error.status === undefined ? {} : { status: error.status }),
      wait_ms: Math.round(waitMs),
    });
  while (attempts <= retries) {
    if (outer?.aborted) {
      lastError = new ProviderError(
        "aborted",
        "the call was cancelled before it was sent",
      );
      break;
    }
    const held = await hooks.acquire?.();
    const counted = hooks.beforeSend?.();
    if (counted) await counted;
    attempts++;
    const timeout = new AbortController();
    const timer = hooks.deadline
      ? undefined
      : setTimeout(() => timeout.abort(), timeoutMs);
    const deadline = hooks.deadline?.(request, timeoutMs) ?? timeout.signal;
    const signal = outer ? AbortSignal.any([outer, deadline]) : deadline;
    const started = performance.now();
    try {
      const pending = adapter.call({ ...request, signal });
      hooks.sent?.();
      const answer = await pending;
      const measured = answer.latency_ms;
      let response = answer;
      if (measured !== undefined) {
        const { latency_ms: _measured, ...rest } = answer;
        response = rest;
      }
      if (hooks.simulateLatency && response.simulated_latency_ms) {
        await wait(response.simulated_latency_ms, signal);
      }
      // The adapter's own measure (request sent to answer read) when it has
      // one: the SDK's start-up and parsing are not the provider's latency.
      latencyMs = response.simulated_latency_ms ?? measured ??
        performance.now() - started;
      held?.settle(response.usage);
      return { response, error: null, attempts, failures, latencyMs };
    } catch (error) {
      latencyMs = performance.now() - started;
      held?.settle(null);
      lastError = asProviderError(
        error,
        deadline.aborted,
        outer?.aborted ?? false,
      );
    } finally {
      clearTimeout(timer);
    }
    if (!lastError.retryable || attempts > retries) {
      failed(lastError, 0);
      break;
    }
    const backoff = Math.min(maxDelay, base * 2 ** (attempts - 1)) * random();
    const delay = Math.min(
      maxDelay,
      Math.max(backoff, lastError.retryAfterMs ?? 0),
    );
    failed(lastError, delay);
    await wait(delay, outer);
  }
  return { response: null, error: lastError, attempts, failures, latencyMs };
}
