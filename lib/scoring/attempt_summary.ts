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
  const tally = new AttemptTally();
  for (const r of receipts) tally.add(r);
  return tally.summary();
}

/**
 * {@linkcode summarizeAttempts} folded one receipt at a time, so a run's
 * receipts need not be held to summarize them. Internal.
 */
export class AttemptTally {
  #recorded = false;
  #calls = 0;
  #attempts = 0;
  #retried = 0;
  #failedCalls = 0;
  #failedAttempts = 0;
  #known = true;
  readonly #byKind: Record<string, number> = {};
  #rateLimited = 0;
  #wait = 0;
  #rateLimitedWait = 0;

  /** Counts one receipt. */
  add(r: ReceiptFigures): void {
    if (r.attempts !== undefined) this.#recorded = true;
    const n = r.attempts ?? 0;
    if (n === 0) return;
    this.#calls++;
    this.#attempts += n;
    if (n > 1) this.#retried++;
    const failed = r.status === "ok" ? n - 1 : n;
    if (r.status !== "ok") this.#failedCalls++;
    this.#failedAttempts += failed;
    const records = r.attempt_failures ?? [];
    if (failed > 0 && records.length === 0) this.#known = false;
    for (const f of records) {
      this.#byKind[f.kind] = (this.#byKind[f.kind] ?? 0) + 1;
      this.#wait += f.wait_ms;
      if (f.kind === "rate_limit") {
        this.#rateLimited++;
        this.#rateLimitedWait += f.wait_ms;
      }
    }
  }

  /** The summary of the receipts counted, or `null` when none says how many attempts it took. */
  summary(): AttemptSummary | null {
    if (!this.#recorded) return null;
    const known = this.#known;
    const sortedKinds = Object.fromEntries(
      Object.entries(this.#byKind).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0
      ),
    );
    return {
      calls: this.#calls,
      attempts: this.#attempts,
      "retried_calls": this.#retried,
      "failed_calls": this.#failedCalls,
      "failed_attempts": this.#failedAttempts,
      "by_kind": known ? sortedKinds : null,
      "rate_limited": known ? this.#rateLimited : null,
      "wait_ms": known ? this.#wait : null,
      "rate_limited_wait_ms": known ? this.#rateLimitedWait : null,
    };
  }
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
