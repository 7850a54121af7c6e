/**
 * A provider's rate limits shared by every worker on a store, with the
 * in-process limiter's rules (`rate_limiter.ts`): request slots reserved in
 * the store one after another (requests per minute spaced evenly across all
 * workers), and tokens reserved in the store before a call is sent (the
 * prompt's bytes times the highest tokens-per-byte this worker has seen,
 * plus `max_tokens` or the largest output seen) and settled with the
 * provider's usage after it, so tokens per minute hold across workers at any
 * concurrency. Both are timed by the database's clock, so workers on machines
 * whose clocks differ agree, unless a clock is given (tests pass fake ones
 * that tell every worker the same time).
 *
 * @module
 */
import { newId } from "../content/ids.ts";
import type { Usage } from "../schema/model_call.ts";
import type { Store } from "../store/open.ts";
import {
  reserveRequestSlot,
  reserveTokens,
  settleTokens,
} from "../store/rate_limits.ts";
import type {
  CallSize,
  Limiter,
  LimiterClock,
  RateLimits,
  TokenReservation,
} from "./rate_limiter.ts";

const MINUTE = 60_000;

/** A limiter whose state is in the store, shared by every worker of a provider. */
export class SharedRateLimiter implements Limiter {
  readonly #store: Store;
  readonly #provider: string;
  readonly #rpm: number | undefined;
  readonly #tpm: number | undefined;
  readonly #clock: LimiterClock | undefined;
  #tokensPerByte = 1;
  #sawUsage = false;
  #largestOutput = 0;
  /** Settlements being written; the next acquire waits for them (and rethrows a failure). */
  #settling: Promise<void> = Promise.resolve();

  /**
   * A limiter on `store` for `provider`. With a `clock`, reservations are
   * made at its time (not the database's) and waited for on it: every
   * worker sharing the store must be given clocks that tell the same time.
   */
  constructor(
    store: Store,
    provider: string,
    limits: RateLimits,
    clock?: LimiterClock,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#provider = provider;
    this.#rpm = limits.requestsPerMinute && limits.requestsPerMinute > 0
      ? limits.requestsPerMinute
      : undefined;
    this.#tpm = limits.tokensPerMinute && limits.tokensPerMinute > 0
      ? limits.tokensPerMinute
      : undefined;
  }

  get limitsTokens(): boolean {
    return this.#tpm !== undefined;
  }

  async acquire(
    size: CallSize = { promptBytes: 0 },
  ): Promise<TokenReservation> {
    await this.#settling;
    const tpm = this.#tpm;
    const id = newId("tok");
    const tokens = tpm === undefined ? 0 : Math.ceil(
      size.promptBytes * this.#tokensPerByte,
    ) + (size.maxTokens ?? this.#largestOutput);
    if (tpm !== undefined) {
      for (;;) {
        const wait = await reserveTokens(
          this.#store,
          `tpm:${this.#provider}`,
          { id, tokens },
          tpm,
          MINUTE,
          this.#clock?.now(),
        );
        if (wait === 0) break;
        await this.#sleep(wait);
      }
    }
    if (this.#rpm !== undefined) {
      const wait = await reserveRequestSlot(
        this.#store,
        `rpm:${this.#provider}`,
        MINUTE / this.#rpm,
        this.#clock?.now(),
      );
      if (wait > 0) await this.#sleep(wait);
    }
    if (tpm === undefined) return { tokens: 0, settle() {} };
    return {
      tokens,
      settle: (usage: Usage | null) => {
        if (!usage) return;
        const input = (usage.input_tokens ?? 0) +
          (usage.cache_read_tokens ?? 0) + (usage.cache_write_tokens ?? 0);
        const output = usage.output_tokens ?? 0;
        if (size.promptBytes > 0 && usage.input_tokens !== null) {
          const ratio = input / size.promptBytes;
          this.#tokensPerByte = this.#sawUsage
            ? Math.max(this.#tokensPerByte, ratio)
            : ratio;
          this.#sawUsage = true;
        }
        this.#largestOutput = Math.max(this.#largestOutput, output);
        const previous = this.#settling;
        this.#settling = previous.then(() =>
          settleTokens(this.#store, id, input + output)
        );
      },
    };
  }

  #sleep(ms: number): Promise<void> {
    return this.#clock
      ? this.#clock.sleep(ms)
      : new Promise((resolve) => setTimeout(resolve, ms));
  }
}
