/**
 * Rate limits shared by every worker on a store: request slots spaced
 * evenly (`rate_limits`) and a sliding minute of token reservations
 * (`rate_usage`), both timed by the database's clock unless the caller gives
 * the time (`at`, epoch milliseconds on a clock every worker shares: tests
 * pass a fake one).
 *
 * @module
 */
import { type RawBuilder, sql } from "kysely";
import { larger, nowMs } from "./_dialect.ts";
import type { Store } from "./open.ts";

/** `at` as an SQL value, or the database's clock when it is not given. */
function clockAt(store: Store, at: number | undefined): RawBuilder<number> {
  return at === undefined
    ? nowMs(store.dialect)
    : sql<number>`CAST(${Math.round(at)} AS BIGINT)`;
}

/**
 * Reserves the next request slot under `key`, `intervalMs` after the one
 * before (or now, when the last one is past), in one statement: workers
 * reserving at once get distinct slots. Returns how long to wait for it.
 * `at` is the time now (the database's clock when not given).
 */
export async function reserveRequestSlot(
  store: Store,
  key: string,
  intervalMs: number,
  at?: number,
): Promise<number> {
  const now = clockAt(store, at);
  const interval = Math.max(0, Math.round(intervalMs));
  const result = await sql<{ wait: number }>`
    INSERT INTO rate_limits (key, next_ms) VALUES (${key}, ${now} + ${interval})
    ON CONFLICT (key) DO UPDATE SET next_ms =
      ${larger(store.dialect, sql`rate_limits.next_ms`, now)} + ${interval}
    RETURNING next_ms - ${interval} - ${now} AS wait`.execute(store.db);
  return Math.max(0, Number(result.rows[0]?.wait ?? 0));
}

/**
 * Holds `tokens` under `key` (reservation `id`) if the last `windowMs`'s
 * reservations leave room for them under `limit` (or hold nothing yet), in
 * one transaction with the key's row locked, so workers reserving at once
 * cannot both take the last room. Returns 0 when held, else how long to
 * wait before asking again (until the oldest reservation leaves the window).
 * `at` is the time now (the database's clock when not given).
 */
export async function reserveTokens(
  store: Store,
  key: string,
  reservation: { readonly id: string; readonly tokens: number },
  limit: number,
  windowMs: number,
  at?: number,
): Promise<number> {
  return await store.db.transaction().execute(async (trx) => {
    const now = clockAt(store, at);
    // Locks the key's row (created once) for the rest of the transaction.
    await sql`INSERT INTO rate_limits (key, next_ms) VALUES (${key}, 0)
      ON CONFLICT (key) DO UPDATE SET next_ms = rate_limits.next_ms`
      .execute(trx);
    const window = await sql<
      { used: number | null; held: number; expires: number | null }
    >`
      SELECT sum(tokens) AS used, count(*) AS held,
        min(at_ms) - ${now} + ${windowMs} AS expires
      FROM rate_usage WHERE key = ${key} AND at_ms > ${now} - ${windowMs}`
      .execute(trx);
    const row = window.rows[0];
    const used = Number(row?.used ?? 0);
    if (Number(row?.held ?? 0) > 0 && used + reservation.tokens > limit) {
      return Math.max(1, Number(row?.expires ?? 1));
    }
    await sql`INSERT INTO rate_usage (id, key, at_ms, tokens)
      VALUES (${reservation.id}, ${key}, ${now}, ${reservation.tokens})`
      .execute(trx);
    await sql`DELETE FROM rate_usage WHERE key = ${key} AND at_ms < ${now} - ${
      2 * windowMs
    }`.execute(trx);
    return 0;
  });
}

/** Replaces a reservation's tokens with what the call used. */
export async function settleTokens(
  store: Store,
  id: string,
  tokens: number,
): Promise<void> {
  await store.db.updateTable("rate_usage").set({ tokens }).where("id", "=", id)
    .execute();
}
