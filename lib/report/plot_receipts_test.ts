import assert from "node:assert/strict";
import { plotCost } from "./plot_cost.ts";
import { plotLatency, type PlottedReceipt } from "./plot_latency.ts";
import {
  countMarks,
  holdsRawPayload,
  parseMarkup,
  PAYLOADS,
  texts,
} from "./_test_util.ts";

function call(
  run_id: string | null,
  purpose: "generate" | "judge",
  latency_ms: number,
  cost: string | null,
  cached_from: string | null = null,
): PlottedReceipt {
  return { run_id, purpose, latency_ms, cost, currency: "USD", cached_from };
}

const RECEIPTS: PlottedReceipt[] = [
  call("r1", "generate", 100, "0.000100"),
  call("r1", "generate", 140, "0.000200"),
  call("r1", "judge", 60, "0.000050"),
  call("r2", "generate", 300, "0.1"),
  call("r2", "generate", 1, "0", "io_cached"),
  call("r2", "judge", 80, null),
];

Deno.test("plotLatency() draws one tick per uncached call and one median per line", () => {
  const figure = plotLatency(RECEIPTS, { labels: { r1: "v1", r2: "v2" } });
  assert.match(figure.svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // 5 uncached calls + 4 medians (r1 generate, r1 judge, r2 generate, r2 judge)
  assert.equal(countMarks(figure.svg, "tick", "line"), 9);
  assert.equal(figure.title, "Latency of 5 model calls");
});

Deno.test("plotCost() sums exactly per run and purpose and labels the decimal", () => {
  const figure = plotCost(RECEIPTS, { labels: { r1: "v1", r2: "v2" } });
  assert.equal(countMarks(figure.svg, "bar", "rect"), 4);
  // Each label, then its tooltip with the exact sum.
  assert.deepEqual(texts(figure.svg, 'g[aria-label="text"] text').toSorted(), [
    "0 USD (+1 unknown)v2 judge: 0 USD exactly, 1 calls without a cost",
    "0.00005 USDv1 judge: 0.00005 USD exactly",
    "0.0003 USDv1 generate: 0.0003 USD exactly",
    "0.1 USDv2 generate: 0.1 USD exactly",
  ]);
  // Money is rounded for people on the bar, exact in the tooltip.
  const long = plotCost([call("r1", "generate", 10, "0.1144095")], {
    labels: { r1: "v1" },
  });
  assert.deepEqual(texts(long.svg, 'g[aria-label="text"] text'), [
    "0.1144 USDv1 generate: 0.1144095 USD exactly",
  ]);
});

Deno.test("plotLatency() and plotCost() escape untrusted run labels", () => {
  const labels = Object.fromEntries(
    PAYLOADS.map((p, i) => [`r${i}`, p]),
  );
  const receipts = PAYLOADS.map((_, i) => call(`r${i}`, "generate", 10, "1"));
  for (
    const figure of [
      plotLatency(receipts, { labels }),
      plotCost(receipts, { labels }),
    ]
  ) {
    assert.equal(holdsRawPayload(figure.svg), false, figure.svg);
    assert.match(figure.svg, /&lt;script&gt;/);
    assert.equal(
      parseMarkup(figure.svg).querySelectorAll("script, img").length,
      0,
    );
  }
});
