import { Decimal } from "decimal.js";

/**
 * A total cost divided over cells, exact: rounded to 12 decimal places and
 * written with at least 6 (never in exponent form). Internal: scorecards'
 * and verdicts' cost per cell.
 */
export function moneyPerCell(total: Decimal.Value, cells: number): string {
  const rounded = new Decimal(total).div(cells).toDecimalPlaces(12);
  return rounded.toFixed(Math.max(6, rounded.decimalPlaces()));
}
