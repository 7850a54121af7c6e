import assert from "node:assert/strict";
import { moneyPerCell } from "./money_per_cell.ts";

Deno.test("moneyPerCell() divides exactly, to 12 places, with at least 6", () => {
  assert.equal(moneyPerCell("0.01", 3), "0.003333333333");
  assert.equal(moneyPerCell("0.3", 100), "0.003000");
  assert.equal(moneyPerCell("0", 7), "0.000000");
});
