import { Decimal } from "decimal.js";

/**
 * A total cost divided over cells, exact: rounded to 12 decimal places and
 * written with at least 6 (never in exponent form).
 *
 * @param total The total, a decimal string or number.
 * @param cells How many cells it paid for (more than 0).
 * @returns The cost per cell as a decimal string.
 *
 * @example A third of a cent per cell
 * ```ts
 * import { moneyPerCell } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(moneyPerCell("0.01", 3), "0.003333333333");
 * assert.equal(moneyPerCell("0.3", 100), "0.003000");
 * ```
 */
export function moneyPerCell(total: Decimal.Value, cells: number): string {
  const rounded = new Decimal(total).div(cells).toDecimalPlaces(12);
  return rounded.toFixed(Math.max(6, rounded.decimalPlaces()));
}
