import type { ReceiptFigures } from "../schema/receipt.ts";
import type { AttemptSummary } from "../schema/scorecard.ts";

export type { AttemptSummary };

/**
 * Counts a run's calls, attempts, retries and failed attempts from its
 * receipts, and, from the failures the runner recorded with them, which
 * kinds failed (rate limits apart) and how long the calls waited after
 * failed attempts. A retried or failed call with no failure recorded
 * makes the kinds and waits unknown (`null`) rather than undercounted.
 *
 * @param receipts The run's receipts' figures (with `attempts`, and `attempt_failures` when recorded).
 * @returns The summary, or `null` when no receipt says how many attempts it took.
 *
 * @example Two calls, one retried after a rate limit
 * ```ts
 * import { summarizeAttempts } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const receipt = { purpose: "generate" as const, status: "ok" as const, cached_from: null, latency_ms: 100,
 *   usage: null, cost: null, uncached_cost: null, currency: null };
 * const summary = summarizeAttempts([
 *   { ...receipt, id: "io_1", attempts: 1 },
 *   { ...receipt, id: "io_2", attempts: 2, attempt_failures: [{ kind: "rate_limit", status: 429, wait_ms: 1500 }] },
 * ]);
 * assert.equal(summary?.attempts, 3);
 * assert.equal(summary?.rate_limited, 1);
 * assert.equal(summary?.rate_limited_wait_ms, 1500);
 * ```
 */
export function summarizeAttempts(
  receipts: readonly ReceiptFigures[],
): AttemptSummary | null {
  if (!receipts.some((r) => r.attempts !== undefined)) return null;
  let calls = 0;
  let attempts = 0;
  let retried = 0;
  let failedCalls = 0;
  let failedAttempts = 0;
  let known = true;
  const byKind: Record<string, number> = {};
  let rateLimited = 0;
  let wait = 0;
  let rateLimitedWait = 0;
  for (const r of receipts) {
    const n = r.attempts ?? 0;
    if (n === 0) continue;
    calls++;
    attempts += n;
    if (n > 1) retried++;
    const failed = r.status === "ok" ? n - 1 : n;
    if (r.status !== "ok") failedCalls++;
    failedAttempts += failed;
    const records = r.attempt_failures ?? [];
    if (failed > 0 && records.length === 0) known = false;
    for (const f of records) {
      byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
      wait += f.wait_ms;
      if (f.kind === "rate_limit") {
        rateLimited++;
        rateLimitedWait += f.wait_ms;
      }
    }
  }
  const sortedKinds = Object.fromEntries(
    Object.entries(byKind).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0),
  );
  return {
    calls,
    attempts,
    "retried_calls": retried,
    "failed_calls": failedCalls,
    "failed_attempts": failedAttempts,
    "by_kind": known ? sortedKinds : null,
    "rate_limited": known ? rateLimited : null,
    "wait_ms": known ? wait : null,
    "rate_limited_wait_ms": known ? rateLimitedWait : null,
  };
}

/**
 * One line for people: calls, attempts, failed attempts with rate limits
 * apart, and the time waited, e.g. `120 calls, 157 attempts: 37 failed
 * (25 rate-limited), 12 retried calls, 48.2 s waited (41.0 s after rate
 * limits)`. Internal (the CLI and the report share it).
 */
export function describeAttempts(a: AttemptSummary): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return `${a.calls} calls, ${a.attempts} attempts: ${a.failed_attempts} failed${
    a.rate_limited === null ? "" : ` (${a.rate_limited} rate-limited)`
  }, ${a.retried_calls} retried calls, ${a.failed_calls} failed calls; ${
    a.wait_ms === null
      ? "kinds and waits not recorded"
      : `${s(a.wait_ms)} waited (${
        s(a.rate_limited_wait_ms ?? 0)
      } after rate limits)`
  }${
    a.by_kind && Object.keys(a.by_kind).length > 0
      ? `; by kind: ${
        Object.entries(a.by_kind).map(([k, n]) => `${k} ${n}`).join(", ")
      }`
      : ""
  }`;
}
