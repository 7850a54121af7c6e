/**
 * Rate limits shared by every worker on a store: request slots spaced
 * evenly (`rate_limits`) and a sliding minute of token usage
 * (`rate_usage`), both timed by the database's clock.
 *
 * @module
 */
import { sql } from "kysely";
import { larger, nowMs } from "./_dialect.ts";
import type { Store } from "./open.ts";

/**
 * Reserves the next request slot under `key`, `intervalMs` after the one
 * before (or now, when the last one is past), in one statement: workers
 * reserving at once get distinct slots. Returns how long to wait for it.
 */
export async function reserveRequestSlot(
  store: Store,
  key: string,
  intervalMs: number,
): Promise<number> {
  const now = nowMs(store.dialect);
  const interval = Math.max(0, Math.round(intervalMs));
  const result = await sql<{ wait: number }>`
    INSERT INTO rate_limits (key, next_ms) VALUES (${key}, ${now} + ${interval})
    ON CONFLICT (key) DO UPDATE SET next_ms =
      ${larger(store.dialect, sql`rate_limits.next_ms`, now)} + ${interval}
    RETURNING next_ms - ${interval} - ${now} AS wait`.execute(store.db);
  return Math.max(0, Number(result.rows[0]?.wait ?? 0));
}

/** Tokens used under `key` in the last `windowMs`, and when the oldest of them expires. */
export async function tokensInWindow(
  store: Store,
  key: string,
  windowMs: number,
): Promise<{ used: number; expiresInMs: number | null }> {
  const now = nowMs(store.dialect);
  const result = await sql<{ used: number | null; oldest: number | null }>`
    SELECT sum(tokens) AS used, min(at_ms) - ${now} + ${windowMs} AS oldest
    FROM rate_usage WHERE key = ${key} AND at_ms > ${now} - ${windowMs}`
    .execute(store.db);
  const row = result.rows[0];
  return {
    used: Number(row?.used ?? 0),
    expiresInMs: row?.oldest === null || row?.oldest === undefined
      ? null
      : Math.max(0, Number(row.oldest)),
  };
}

/** Records the tokens a call used under `key`, and forgets usage older than `keepMs`. */
export async function recordTokens(
  store: Store,
  key: string,
  tokens: number,
  keepMs: number,
): Promise<void> {
  const now = nowMs(store.dialect);
  await sql`INSERT INTO rate_usage (key, at_ms, tokens) VALUES (${key}, ${now}, ${tokens})`
    .execute(store.db);
  await sql`DELETE FROM rate_usage WHERE key = ${key} AND at_ms < ${now} - ${keepMs}`
    .execute(store.db);
}
