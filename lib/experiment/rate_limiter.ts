import pThrottle from "p-throttle";

/** Per-provider limits. */
export interface RateLimits {
  /** Requests per minute. */
  requestsPerMinute?: number;
  /** Tokens per minute (input + output, as providers report them). */
  tokensPerMinute?: number;
}

/** What the runner asks of a rate limiter: a slot before a call, its tokens after. */
export interface Limiter {
  /** Waits for a request slot (and for token budget). */
  acquire(): Promise<void>;
  /** Charges the tokens a finished call used. */
  charge(tokens: number): void;
}

/**
 * A per-provider rate limiter. Requests per minute are spaced by p-throttle
 * (a sliding window split into one-request slots so bursts stay smooth).
 * Tokens per minute cannot be known before a call, so they are charged
 * from the provider's reported usage after each call, and new requests wait
 * while the last minute's tokens are over the limit.
 */
export class RateLimiter implements Limiter {
  #throttled: (() => Promise<void>) | undefined;
  #tokensPerMinute: number | undefined;
  #spent: { at: number; tokens: number }[] = [];

  /** Builds a limiter; with no limits it never waits. */
  constructor(limits: RateLimits = {}) {
    if (limits.requestsPerMinute && limits.requestsPerMinute > 0) {
      const interval = 60_000 / limits.requestsPerMinute;
      this.#throttled = pThrottle({ limit: 1, interval, strict: true })(() =>
        Promise.resolve()
      );
    }
    this.#tokensPerMinute = limits.tokensPerMinute;
  }

  /** Waits for a request slot (and for token budget). */
  async acquire(): Promise<void> {
    const limit = this.#tokensPerMinute;
    if (limit) {
      for (;;) {
        const now = Date.now();
        this.#spent = this.#spent.filter((s) => now - s.at < 60_000);
        const used = this.#spent.reduce((sum, s) => sum + s.tokens, 0);
        if (used < limit || this.#spent.length === 0) break;
        await new Promise((r) =>
          setTimeout(r, 60_000 - (now - this.#spent[0]!.at))
        );
      }
    }
    await this.#throttled?.();
  }

  /** Charges the tokens a finished call used. */
  charge(tokens: number): void {
    if (this.#tokensPerMinute && tokens > 0) {
      this.#spent.push({ at: Date.now(), tokens });
    }
  }
}
