import assert from "node:assert/strict";
import { RateLimiter } from "./rate_limiter.ts";

Deno.test("RateLimiter spaces requests to the requests-per-minute limit", async () => {
  const limiter = new RateLimiter({ requestsPerMinute: 60_000 / 20 }); // one per 20 ms
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    await limiter.acquire();
    times.push(performance.now());
  }
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  for (const gap of gaps) {
    assert.ok(gap >= 15, `gap ${gap} ms is shorter than the limit allows`);
  }
});

Deno.test("RateLimiter without limits never waits", async () => {
  const limiter = new RateLimiter();
  for (let i = 0; i < 1000; i++) await limiter.acquire();
  limiter.charge(10);
});
