/**
 * Prices and costs: the price row in force at a time, the exact cost of a
 * call's usage, and exact sums. Money is decimal.js arithmetic on decimal
 * strings; no binary floating point touches a figure.
 *
 * @module
 */

import { Decimal } from "decimal.js";
import type { Price } from "../schema/model.ts";
import type { Usage } from "../schema/model_call.ts";

/**
 * A price row as the catalog stores it: a {@linkcode Price} with its id
 * (receipts name the row their cost came from).
 */
export type PriceRow = Price & {
  /** The row's id, recorded on receipts as `price_id`. */
  readonly id: string;
};

/** Which model's history {@linkcode priceAt} reads from a mixed list of rows. */
export interface PriceAtOptions {
  /** Keep only rows for this provider. */
  readonly provider?: string;
  /** Keep only rows for this model. */
  readonly model?: string;
}

/** A cost: an exact decimal string and its currency. */
export interface Cost {
  /** The amount, e.g. `"0.000123"`: full precision, at least 6 decimal places. */
  readonly cost: string;
  /** ISO 4217 code, e.g. `USD`. */
  readonly currency: string;
}

// Far more significant digits than any token count times any price needs,
// so no product, quotient or sum is ever rounded.
const Exact = Decimal.clone({
  precision: 1000,
  rounding: Decimal.ROUND_HALF_EVEN,
});
const MILLION = new Exact(1_000_000);
const MIN_DECIMALS = 6;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * The price row in force at a time: the row with the latest `valid_from`
 * not after `at`. Ties on `valid_from` go to the greatest id.
 *
 * @param prices Price rows; when they cover several models, name the one
 *   wanted in `options`.
 * @param at An ISO date or date-time (a date means midnight UTC).
 * @param options The provider and model to read.
 * @returns The row, or `null` when no row applies (no price, or all later).
 * @throws {RangeError} When `at` or a row's `valid_from` is not a date, or the
 *   rows cover several models and `options` does not pick one.
 *
 * @example The price in force at the time of a run
 * ```ts
 * import { priceAt, type PriceRow } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const base = { provider: "anthropic", model: "claude-haiku-4-5", currency: "USD" } as const;
 * const prices: PriceRow[] = [
 *   { ...base, id: "p1", input_per_mtok: "1.00", output_per_mtok: "5.00", valid_from: "2025-01-01" },
 *   { ...base, id: "p2", input_per_mtok: "0.80", output_per_mtok: "4.00", valid_from: "2025-06-01" },
 * ];
 * assert.equal(priceAt(prices, "2025-03-15T12:00:00Z")?.id, "p1");
 * assert.equal(priceAt(prices, "2025-06-01T00:00:00Z")?.id, "p2");
 * assert.equal(priceAt(prices, "2024-12-31T23:59:59Z"), null);
 * ```
 */
export function priceAt(
  prices: readonly PriceRow[],
  at: string,
  options: PriceAtOptions = {},
): PriceRow | null {
  const time = parseTime(at, "at");
  const rows = prices.filter((row) =>
    (options.provider === undefined || row.provider === options.provider) &&
    (options.model === undefined || row.model === options.model)
  );
  const models = new Set(rows.map((row) => `${row.provider}/${row.model}`));
  if (models.size > 1) {
    throw new RangeError(
      `Cannot pick a price as the rows cover ${models.size} models: pass options.provider and options.model (found ${
        [...models].sort().map((name) => `"${name}"`).join(", ")
      })`,
    );
  }
  let best: { row: PriceRow; from: number } | null = null;
  for (const row of rows) {
    const from = parseTime(row.valid_from, `valid_from of price "${row.id}"`);
    if (from > time) continue;
    if (
      best === null || from > best.from ||
      (from === best.from && row.id > best.row.id)
    ) {
      best = { row, from };
    }
  }
  return best?.row ?? null;
}

/**
 * The exact cost of a call: input, output, cache-read and cache-write tokens
 * each times its price per million tokens, divided by 1,000,000, at full
 * precision (at least 6 decimal places, never rounded).
 *
 * A cache price the row does not give falls back to the input price. Cache
 * token counts the provider did not report count as zero.
 *
 * @param usage The call's usage, or `null` when the provider reported none.
 * @param price The price row in force, or `null` when there is none.
 * @returns The cost and currency, or `null` when usage, its input or output
 *   count, or the price is unknown (a cost is never guessed).
 * @throws {TypeError} When a price is not a decimal string.
 *
 * @example 1,234,567 input tokens at 0.80 per million
 * ```ts
 * import { costOf } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const price = {
 *   provider: "anthropic", model: "claude-haiku-4-5", currency: "USD",
 *   input_per_mtok: "0.80", output_per_mtok: "4.00", valid_from: "2025-01-01",
 * } as const;
 * const usage = { input_tokens: 1_234_567, output_tokens: 0, cache_read_tokens: null, cache_write_tokens: null };
 * assert.deepEqual(costOf(usage, price), { cost: "0.9876536", currency: "USD" });
 * assert.equal(costOf(null, price), null);
 * ```
 */
export function costOf(usage: Usage | null, price: Price | null): Cost | null {
  if (usage === null || price === null) return null;
  if (usage.input_tokens === null || usage.output_tokens === null) return null;
  const input = priceDecimal(price.input_per_mtok, "input_per_mtok");
  const output = priceDecimal(price.output_per_mtok, "output_per_mtok");
  const cacheRead = price.cache_read_per_mtok == null
    ? input
    : priceDecimal(price.cache_read_per_mtok, "cache_read_per_mtok");
  const cacheWrite = price.cache_write_per_mtok == null
    ? input
    : priceDecimal(price.cache_write_per_mtok, "cache_write_per_mtok");
  const total = new Exact(usage.input_tokens).times(input)
    .plus(new Exact(usage.output_tokens).times(output))
    .plus(new Exact(usage.cache_read_tokens ?? 0).times(cacheRead))
    .plus(new Exact(usage.cache_write_tokens ?? 0).times(cacheWrite))
    .dividedBy(MILLION);
  return { cost: format(total), currency: price.currency };
}

/**
 * The exact sum of decimal cost strings.
 *
 * @param costs Decimal strings, e.g. from {@linkcode costOf}.
 * @returns The sum at full precision, at least 6 decimal places (`"0.000000"` for none).
 * @throws {TypeError} When a cost is not a decimal string.
 *
 * @example Sums that floats get wrong
 * ```ts
 * import { sumCosts } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sumCosts(["0.1", "0.2"]), "0.300000");
 * assert.equal(sumCosts(["0.0000001", "0.0000002"]), "0.0000003");
 * ```
 */
export function sumCosts(costs: readonly string[]): string {
  let total = new Exact(0);
  for (const [index, cost] of costs.entries()) {
    total = total.plus(decimal(cost, `costs[${index}]`));
  }
  return format(total);
}

/** Prices read so far, by their text: a run prices every call at the same few prices. */
const prices = new Map<string, Decimal>();

/** {@linkcode decimal} of a price, read once per distinct text (a `Decimal` is immutable). */
function priceDecimal(value: string, field: string): Decimal {
  const known = typeof value === "string" ? prices.get(value) : undefined;
  if (known !== undefined) return known;
  const read = decimal(value, field);
  if (prices.size >= 1024) prices.clear();
  prices.set(value, read);
  return read;
}

function decimal(value: string, field: string): Decimal {
  if (typeof value !== "string" || !DECIMAL.test(value)) {
    throw new TypeError(
      `Cannot read ${field} as money: expected a decimal string such as "0.80", found ${
        JSON.stringify(value)
      }`,
    );
  }
  return new Exact(value);
}

function format(value: Decimal): string {
  return value.decimalPlaces() < MIN_DECIMALS
    ? value.toFixed(MIN_DECIMALS)
    : value.toFixed();
}

function parseTime(value: string, field: string): number {
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new RangeError(
      `Cannot read ${field} as a time: expected an ISO date or date-time, found ${
        JSON.stringify(value)
      }`,
    );
  }
  return time;
}
