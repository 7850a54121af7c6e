import assert from "node:assert/strict";
import { type LimiterClock, RateLimiter } from "./rate_limiter.ts";

/** A clock that only moves when someone sleeps on it. */
function fakeClock(): LimiterClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep(ms) {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

const usage = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  cache_read_tokens: null,
  cache_write_tokens: null,
});

Deno.test("RateLimiter spaces requests to the requests-per-minute limit", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ requestsPerMinute: 3000 }, clock); // one per 20 ms
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      await limiter.acquire();
      starts.push(clock.now());
    }),
  );
  assert.deepEqual(starts, [0, 20, 40, 60]);
});

Deno.test("RateLimiter without limits never waits and holds no tokens", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({}, clock);
  for (let i = 0; i < 100; i++) {
    const held = await limiter.acquire({ promptBytes: 1000, maxTokens: 500 });
    assert.equal(held.tokens, 0);
  }
  assert.deepEqual(clock.slept, []);
  assert.equal(limiter.limitsTokens, false);
});

Deno.test("RateLimiter reserves a call's tokens before it is sent, so concurrent calls cannot overshoot", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ tokensPerMinute: 1000 }, clock);
  // Before any usage is known a prompt byte counts as a token: 300 + 100.
  const size = { promptBytes: 300, maxTokens: 100 };
  const a = await limiter.acquire(size);
  const b = await limiter.acquire(size);
  assert.deepEqual([a.tokens, b.tokens], [400, 400]);
  assert.deepEqual(clock.slept, []);
  // A third would make 1200 in the minute: it waits for the first to age out.
  const c = limiter.acquire(size);
  assert.equal((await c).tokens, 400);
  assert.deepEqual(clock.slept, [60_000]);
});

Deno.test("RateLimiter settles a reservation with the provider's usage and learns tokens per byte", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ tokensPerMinute: 1000 }, clock);
  const first = await limiter.acquire({ promptBytes: 400, maxTokens: 100 });
  assert.equal(first.tokens, 500);
  first.settle(usage(100, 40)); // a quarter of a token per byte
  // Now 140 are spent; the next reservations use 0.25 tokens per byte.
  assert.equal(limiter.reserveFor({ promptBytes: 400, maxTokens: 100 }), 200);
  for (let i = 0; i < 4; i++) {
    await limiter.acquire({ promptBytes: 400, maxTokens: 100 });
  }
  assert.deepEqual(clock.slept, []); // 140 + 4 x 200 = 940
  await limiter.acquire({ promptBytes: 400, maxTokens: 100 });
  assert.deepEqual(clock.slept, [60_000]);
});

Deno.test("RateLimiter reserves the largest output seen when a request sets no max_tokens", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ tokensPerMinute: 10_000 }, clock);
  (await limiter.acquire({ promptBytes: 100 })).settle(usage(100, 700));
  assert.equal(limiter.reserveFor({ promptBytes: 100 }), 800);
});

Deno.test("RateLimiter lets one call larger than the limit through, only into an empty minute", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ tokensPerMinute: 100 }, clock);
  const big = await limiter.acquire({ promptBytes: 500 });
  assert.equal(big.tokens, 500);
  assert.deepEqual(clock.slept, []);
  await limiter.acquire({ promptBytes: 10 });
  assert.deepEqual(clock.slept, [60_000]);
});
