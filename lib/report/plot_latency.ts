import type { Receipt } from "../schema/receipt.ts";
import { latencyChart } from "./_charts.ts";
import { Figure } from "./figure.ts";

/** The receipt fields {@link plotLatency} and {@link plotCost} read. */
export type PlottedReceipt = Pick<
  Receipt,
  "run_id" | "purpose" | "latency_ms" | "cost" | "currency" | "cached_from"
>;

/** Options of {@link plotLatency} and {@link plotCost}. */
export interface PlotReceiptsOptions {
  /**
   * A display label per run id, e.g. `{ run_x: "v2 · fake-fast" }`.
   * @default the run id
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The latency distribution of model calls, one line per run and purpose
 * (generation and judge apart): every call is a thin tick and the median a
 * thick one. Cache hits are left out (they made no call). Calls without a run
 * are grouped under "(no run)".
 *
 * @param receipts The receipts (full receipts or the fields listed in {@link PlottedReceipt}).
 * @param options Run labels.
 * @returns The figure.
 *
 * @example Two runs' calls
 * ```ts
 * import { plotLatency } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const call = (run_id: string, latency_ms: number) => ({
 *   run_id, purpose: "generate" as const, latency_ms, cost: "0.0001",
 *   currency: "USD", cached_from: null,
 * });
 * const figure = plotLatency([call("r1", 120), call("r1", 180), call("r2", 90)], {
 *   labels: { r1: "v1", r2: "v2" },
 * });
 * assert.match(figure.svg, /^<svg/);
 * assert.match(figure.svg, />v1</);
 * ```
 */
export function plotLatency(
  receipts: readonly PlottedReceipt[],
  options: PlotReceiptsOptions = {},
): Figure {
  const rows = receipts.filter((r) => r.cached_from === null).map((r) => ({
    run: runLabel(r.run_id, options.labels),
    purpose: r.purpose,
    latency: r.latency_ms,
  }));
  return new Figure(
    latencyChart(rows),
    `Latency of ${rows.length} model call${rows.length === 1 ? "" : "s"}`,
  );
}

/** The label of a run id for charts. */
export function runLabel(
  runId: string | null,
  labels: Readonly<Record<string, string>> | undefined,
): string {
  if (runId === null) return "(no run)";
  return labels?.[runId] ?? runId;
}
