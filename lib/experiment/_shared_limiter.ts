/**
 * A provider's rate limits shared by every worker on a store: request slots
 * reserved in the store one after another (`requestsPerMinute` spaced
 * evenly across all workers, as the in-process limiter spaces them), and
 * the last minute's tokens summed from the store (`tokensPerMinute`, charged
 * after each call from the provider's usage, as the in-process limiter
 * charges them).
 *
 * @module
 */
import {
  recordTokens,
  reserveRequestSlot,
  tokensInWindow,
} from "../store/rate_limits.ts";
import type { Store } from "../store/open.ts";
import type { Limiter, RateLimits } from "./rate_limiter.ts";

const MINUTE_MS = 60_000;

/** A limiter whose state is in the store, shared by every worker of a provider. */
export class SharedRateLimiter implements Limiter {
  readonly #store: Store;
  readonly #provider: string;
  readonly #limits: RateLimits;
  /** Token charges being written; the next acquire waits for them (and rethrows a failure). */
  #charging: Promise<void> = Promise.resolve();

  constructor(store: Store, provider: string, limits: RateLimits) {
    this.#store = store;
    this.#provider = provider;
    this.#limits = limits;
  }

  async acquire(): Promise<void> {
    await this.#charging;
    const tpm = this.#limits.tokensPerMinute;
    if (tpm && tpm > 0) {
      for (;;) {
        const { used, expiresInMs } = await tokensInWindow(
          this.#store,
          `tpm:${this.#provider}`,
          MINUTE_MS,
        );
        if (used < tpm || expiresInMs === null) break;
        await sleep(Math.max(1, expiresInMs));
      }
    }
    const rpm = this.#limits.requestsPerMinute;
    if (rpm && rpm > 0) {
      const wait = await reserveRequestSlot(
        this.#store,
        `rpm:${this.#provider}`,
        MINUTE_MS / rpm,
      );
      if (wait > 0) await sleep(wait);
    }
  }

  charge(tokens: number): void {
    const tpm = this.#limits.tokensPerMinute;
    if (!tpm || tokens <= 0) return;
    const previous = this.#charging;
    this.#charging = previous.then(() =>
      recordTokens(this.#store, `tpm:${this.#provider}`, tokens, 2 * MINUTE_MS)
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
