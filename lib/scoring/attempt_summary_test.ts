import assert from "node:assert/strict";
import type { ReceiptFigures } from "../schema/receipt.ts";
import { summarizeAttempts } from "./attempt_summary.ts";

const base: Omit<ReceiptFigures, "id"> = {
  purpose: "generate",
  status: "ok",
  cached_from: null,
  latency_ms: 100,
  usage: null,
  cost: null,
  uncached_cost: null,
  currency: null,
};

Deno.test("summarizeAttempts() counts retries, rate limits and waits; cache hits are not calls", () => {
  const summary = summarizeAttempts([
    { ...base, id: "a", attempts: 1 },
    { ...base, id: "hit", attempts: 0, cached_from: "a" },
    {
      ...base,
      id: "b",
      attempts: 3,
      attempt_failures: [
        { kind: "rate_limit", status: 429, wait_ms: 2000 },
        { kind: "server", status: 500, wait_ms: 250 },
      ],
    },
    {
      ...base,
      id: "c",
      status: "error",
      attempts: 2,
      attempt_failures: [
        { kind: "rate_limit", status: 429, wait_ms: 1000 },
        { kind: "rate_limit", status: 429, wait_ms: 0 },
      ],
    },
  ]);
  assert.deepEqual(summary, {
    calls: 3,
    attempts: 6,
    retried_calls: 2,
    failed_calls: 1,
    failed_attempts: 4,
    by_kind: { rate_limit: 3, server: 1 },
    rate_limited: 3,
    wait_ms: 3250,
    rate_limited_wait_ms: 3000,
  });
});

Deno.test("summarizeAttempts() says kinds and waits are unknown when a retried call has none recorded", () => {
  const summary = summarizeAttempts([
    { ...base, id: "a", attempts: 2 },
  ]);
  assert.equal(summary?.retried_calls, 1);
  assert.equal(summary?.failed_attempts, 1);
  assert.equal(summary?.rate_limited, null);
  assert.equal(summary?.wait_ms, null);
  assert.equal(summarizeAttempts([{ ...base, id: "x" }]), null);
});
