import type { Usage } from "../schema/model_call.ts";

/** Per-provider limits. */
export interface RateLimits {
  /** Requests per minute. */
  requestsPerMinute?: number;
  /** Tokens per minute (input + output, as providers report them). */
  tokensPerMinute?: number;
}

/**
 * The clock rate limits are timed by and waited on (`rateLimitClock`; tests
 * pass a fake one).
 *
 * @example A clock standing still: three calls asked for at once wait for slots 100 ms apart
 * ```ts
 * import { experiment, loadCatalog, type LimiterClock, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const waits: number[] = [];
 * const clock: LimiterClock = {
 *   now: () => 0,
 *   sleep: (ms) => {
 *     waits.push(ms);
 *     return Promise.resolve();
 *   },
 * };
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * await experiment(store, {
 *   task: "resume_matching", prompts: ["v1"], models: ["fake-fast"], cases: ["rm-001"],
 *   cache: "off", rateLimits: { fake: { requestsPerMinute: 600 } }, rateLimitClock: clock,
 * });
 * assert.deepEqual(waits, [100, 200]);
 * ```
 */
export interface LimiterClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: LimiterClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What a call is expected to use, before it is sent. */
export interface CallSize {
  /** UTF-8 bytes of the prompt (system prompt and messages). */
  readonly promptBytes: number;
  /** The request's `max_tokens`, when it sets one. */
  readonly maxTokens?: number | undefined;
}

/** Tokens held for a call in the last minute's budget until its usage is known. */
export interface TokenReservation {
  /** Tokens held now. */
  readonly tokens: number;
  /**
   * Replaces the held tokens with what the provider reported (input +
   * output). With no usage (a failed attempt) the reservation stays.
   */
  settle(usage: Usage | null): void;
}

const MINUTE = 60_000;

/**
 * What the runner asks of a rate limiter: a request slot and room for a
 * call's tokens before it is sent (held until settled with its usage).
 * {@linkcode RateLimiter} limits one process; workers share one through
 * the store.
 */
export interface Limiter {
  /** Whether it limits tokens per minute (a call's size is then needed). */
  readonly limitsTokens: boolean;
  /** Waits for a request slot and for room in the token budget, then holds the call's tokens. */
  acquire(size?: CallSize): Promise<TokenReservation>;
}

/**
 * A per-provider rate limiter over a sliding minute.
 *
 * Requests per minute are spaced evenly (one slot every `60000 / rpm` ms),
 * which is how providers enforce them. Tokens per minute are *reserved*
 * before a call is sent and settled with the provider's reported usage
 * after it, so the limit holds at any concurrency: a call waits until the
 * last minute's settled and reserved tokens plus its own reservation fit.
 * The reservation is the prompt's UTF-8 bytes times the highest
 * tokens-per-byte this provider has reported in the session (1 until the
 * first report: a token covers at least one byte), plus the request's
 * `max_tokens` (or, when it sets none, the largest output reported so far).
 * Only a call whose reservation alone exceeds the limit goes ahead over it,
 * and only into an empty minute.
 */
export class RateLimiter implements Limiter {
  readonly #interval: number;
  readonly #tokensPerMinute: number | undefined;
  readonly #clock: LimiterClock;
  #nextSlot = -Infinity;
  #window: { at: number; tokens: number }[] = [];
  #tokensPerByte = 1;
  #sawUsage = false;
  #largestOutput = 0;
  #queue: Promise<void> = Promise.resolve();

  /** Builds a limiter; with no limits it never waits. */
  constructor(limits: RateLimits = {}, clock: LimiterClock = REAL_CLOCK) {
    this.#interval = limits.requestsPerMinute && limits.requestsPerMinute > 0
      ? MINUTE / limits.requestsPerMinute
      : 0;
    this.#tokensPerMinute = limits.tokensPerMinute && limits.tokensPerMinute > 0
      ? limits.tokensPerMinute
      : undefined;
    this.#clock = clock;
  }

  /** Whether it limits tokens per minute (a call's size is then needed). */
  get limitsTokens(): boolean {
    return this.#tokensPerMinute !== undefined;
  }

  /** The tokens a call of this size reserves (0 without a token limit). */
  reserveFor(size: CallSize): number {
    if (this.#tokensPerMinute === undefined) return 0;
    return Math.ceil(size.promptBytes * this.#tokensPerByte) +
      (size.maxTokens ?? this.#largestOutput);
  }

  /**
   * Waits for a request slot and for room in the token budget, then holds
   * the call's tokens. Callers are served in the order they asked.
   */
  acquire(size: CallSize = { promptBytes: 0 }): Promise<TokenReservation> {
    const turn = this.#queue.then(() => this.#wait(size));
    this.#queue = turn.then(() => {}, () => {});
    return turn;
  }

  async #wait(size: CallSize): Promise<TokenReservation> {
    const limit = this.#tokensPerMinute;
    const tokens = this.reserveFor(size);
    if (limit !== undefined) {
      for (;;) {
        const now = this.#clock.now();
        this.#window = this.#window.filter((s) => now - s.at < MINUTE);
        const used = this.#window.reduce((sum, s) => sum + s.tokens, 0);
        if (used + tokens <= limit || this.#window.length === 0) break;
        await this.#clock.sleep(MINUTE - (now - this.#window[0]!.at));
      }
    }
    if (this.#interval > 0) {
      const now = this.#clock.now();
      const slot = Math.max(now, this.#nextSlot);
      this.#nextSlot = slot + this.#interval;
      if (slot > now) await this.#clock.sleep(slot - now);
    }
    if (limit === undefined) return NO_RESERVATION;
    const entry = { at: this.#clock.now(), tokens };
    this.#window.push(entry);
    return {
      tokens,
      settle: (usage) => {
        if (!usage) return;
        // Every prompt token counts, whether the provider's cache served it.
        const input = (usage.input_tokens ?? 0) +
          (usage.cache_read_tokens ?? 0) + (usage.cache_write_tokens ?? 0);
        const output = usage.output_tokens ?? 0;
        entry.tokens = input + output;
        if (size.promptBytes > 0 && usage.input_tokens !== null) {
          const ratio = input / size.promptBytes;
          this.#tokensPerByte = this.#sawUsage
            ? Math.max(this.#tokensPerByte, ratio)
            : ratio;
          this.#sawUsage = true;
        }
        this.#largestOutput = Math.max(this.#largestOutput, output);
      },
    };
  }
}

const NO_RESERVATION: TokenReservation = { tokens: 0, settle() {} };
