import { Decimal } from "decimal.js";
import { costChart, type CostRow } from "./_charts.ts";
import { Figure } from "./figure.ts";
import {
  type PlotReceiptsOptions,
  type PlottedReceipt,
  runLabel,
} from "./plot_latency.ts";

/**
 * The cost of each run, generation and judge apart, as bars labelled with
 * the exact decimal sum of the receipts' costs (cache hits count as charged:
 * usually 0). Receipts whose cost is unknown (no usage or no price) are not
 * summed; the bar's label then says how many were unknown.
 *
 * @param receipts The receipts (full receipts or the fields listed in {@link PlottedReceipt}).
 * @param options Run labels.
 * @returns The figure.
 *
 * @example Generation and judge cost of one run
 * ```ts
 * import { plotCost } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const call = (purpose: "generate" | "judge", cost: string) => ({
 *   run_id: "r1", purpose, latency_ms: 100, cost, currency: "USD", cached_from: null,
 * });
 * const figure = plotCost([call("generate", "0.1"), call("generate", "0.2"), call("judge", "0.05")]);
 * assert.match(figure.svg, /0\.3 USD/);
 * assert.match(figure.svg, /0\.05 USD/);
 * ```
 */
export function plotCost(
  receipts: readonly PlottedReceipt[],
  options: PlotReceiptsOptions = {},
): Figure {
  const sums = new Map<
    string,
    { run: string; purpose: string; sum: Decimal; unknown: number }
  >();
  const currencies = new Set<string>();
  for (const receipt of receipts) {
    const run = runLabel(receipt.run_id, options.labels);
    const key = JSON.stringify([run, receipt.purpose]);
    const entry = sums.get(key) ??
      { run, purpose: receipt.purpose, sum: new Decimal(0), unknown: 0 };
    if (receipt.cost === null) entry.unknown++;
    else entry.sum = entry.sum.plus(receipt.cost);
    if (receipt.currency) currencies.add(receipt.currency);
    sums.set(key, entry);
  }
  const currency = currencies.size === 1 ? [...currencies][0] : undefined;
  const unit = currency ? ` ${currency}` : "";
  const rows: CostRow[] = [...sums.values()].map((e) => ({
    run: e.run,
    purpose: e.purpose,
    cost: e.sum.toNumber(),
    // Rounded for people (4 significant digits); exact in the tooltip.
    text: `${e.sum.toSignificantDigits(4).toFixed()}${unit}${
      e.unknown > 0 ? ` (+${e.unknown} unknown)` : ""
    }`,
    title: `${e.run} ${e.purpose}: ${e.sum.toFixed()}${unit} exactly${
      e.unknown > 0 ? `, ${e.unknown} calls without a cost` : ""
    }`,
  }));
  const label = currencies.size > 1
    ? `cost (mixed currencies: ${[...currencies].sort().join(", ")})`
    : `cost${unit ? ` (${currency})` : ""}`;
  return new Figure(
    costChart(rows, { costLabel: label }),
    `Cost per run: ${rows.map((r) => r.title).join("; ")}`,
  );
}
