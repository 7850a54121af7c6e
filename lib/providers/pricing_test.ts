import assert from "node:assert/strict";
import type { Usage } from "../schema/model_call.ts";
import { costOf, priceAt, type PriceRow, sumCosts } from "./pricing.ts";

function row(overrides: Partial<PriceRow> & { id: string }): PriceRow {
  return {
    provider: "anthropic",
    model: "claude-haiku-4-5",
    currency: "USD",
    input_per_mtok: "1.00",
    output_per_mtok: "5.00",
    valid_from: "2025-01-01",
    ...overrides,
  };
}

function usage(overrides: Partial<Usage> = {}): Usage {
  return {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: null,
    cache_write_tokens: null,
    ...overrides,
  };
}

Deno.test("costOf() computes 1,234,567 tokens at 0.80 per million exactly", () => {
  assert.deepEqual(
    costOf(
      usage({ input_tokens: 1_234_567 }),
      row({ id: "p", input_per_mtok: "0.80" }),
    ),
    { cost: "0.9876536", currency: "USD" },
  );
});

Deno.test("costOf() adds input, output, cache read and cache write at their prices", () => {
  const price = row({
    id: "p",
    input_per_mtok: "3",
    output_per_mtok: "15",
    cache_read_per_mtok: "0.30",
    cache_write_per_mtok: "3.75",
  });
  // 1000*3 + 200*15 + 5000*0.30 + 400*3.75 = 3000 + 3000 + 1500 + 1500 = 9000 per 1M
  assert.deepEqual(
    costOf(
      usage({
        input_tokens: 1000,
        output_tokens: 200,
        cache_read_tokens: 5000,
        cache_write_tokens: 400,
      }),
      price,
    ),
    { cost: "0.009000", currency: "USD" },
  );
});

Deno.test("costOf() prices cache tokens at the input price when the row gives no cache price", () => {
  const price = row({ id: "p", input_per_mtok: "2", output_per_mtok: "8" });
  assert.equal(
    costOf(
      usage({
        input_tokens: 10,
        cache_read_tokens: 20,
        cache_write_tokens: 30,
      }),
      price,
    )?.cost,
    "0.000120",
  );
});

Deno.test("costOf() keeps full precision below a millionth", () => {
  const price = row({
    id: "p",
    input_per_mtok: "0.075",
    output_per_mtok: "0.3",
  });
  assert.equal(
    costOf(usage({ input_tokens: 1, output_tokens: 1 }), price)?.cost,
    "0.000000375",
  );
  assert.equal(
    costOf(usage({ input_tokens: 3 }), row({ id: "p", input_per_mtok: "0.1" }))
      ?.cost,
    "0.0000003",
  );
});

Deno.test("costOf() returns null when usage, a count or the price is unknown", () => {
  const price = row({ id: "p" });
  assert.equal(costOf(null, price), null);
  assert.equal(costOf(usage(), null), null);
  assert.equal(costOf(usage({ input_tokens: null }), price), null);
  assert.equal(costOf(usage({ output_tokens: null }), price), null);
});

Deno.test("costOf() reports zero usage as a zero cost, not unknown", () => {
  assert.deepEqual(costOf(usage(), row({ id: "p", currency: "EUR" })), {
    cost: "0.000000",
    currency: "EUR",
  });
});

Deno.test("costOf() refuses a price that is not a decimal string", () => {
  assert.throws(
    () =>
      costOf(
        usage({ input_tokens: 1 }),
        row({ id: "p", input_per_mtok: "1e3" }),
      ),
    TypeError,
  );
});

Deno.test("sumCosts() adds exactly where floats do not", () => {
  assert.equal(0.1 + 0.2 === 0.3, false);
  assert.equal(sumCosts(["0.1", "0.2"]), "0.300000");
  assert.equal(
    sumCosts(Array.from({ length: 10 }, () => "0.1")),
    "1.000000",
  );
  assert.equal(sumCosts(["0.0000001", "0.0000002"]), "0.0000003");
  assert.equal(
    sumCosts(["123456789.123456789", "0.000000001"]),
    "123456789.12345679",
  );
  assert.equal(sumCosts([]), "0.000000");
});

Deno.test("sumCosts() sums costOf() results without losing a digit", () => {
  const price = row({ id: "p", input_per_mtok: "0.80", output_per_mtok: "4" });
  const costs = [1, 2, 3].map((n) =>
    costOf(usage({ input_tokens: n * 333_333, output_tokens: n }), price)!.cost
  );
  // 6 * 333_333 * 0.80 + 6 * 4 = 1_599_998.4 + 24 = 1_600_022.4 per 1M
  assert.equal(sumCosts(costs), "1.6000224");
});

Deno.test("sumCosts() refuses a value that is not a decimal string", () => {
  assert.throws(() => sumCosts(["0.1", "NaN"]), TypeError);
  assert.throws(() => sumCosts(["Infinity"]), TypeError);
});

Deno.test("priceAt() picks the row with the latest valid_from not after the time", async (t) => {
  const prices = [
    row({ id: "p2", valid_from: "2025-06-01", input_per_mtok: "0.80" }),
    row({ id: "p1", valid_from: "2025-01-01", input_per_mtok: "1.00" }),
    row({
      id: "p3",
      valid_from: "2025-09-15T12:00:00Z",
      input_per_mtok: "0.50",
    }),
  ];
  for (
    const [at, expected] of [
      ["2024-12-31T23:59:59.999Z", null],
      ["2025-01-01T00:00:00.000Z", "p1"],
      ["2025-05-31T23:59:59Z", "p1"],
      ["2025-06-01", "p2"],
      ["2025-09-15T11:59:59Z", "p2"],
      ["2025-09-15T12:00:00Z", "p3"],
      ["2030-01-01T00:00:00Z", "p3"],
    ] as const
  ) {
    await t.step(`${at} -> ${expected}`, () => {
      assert.equal(priceAt(prices, at)?.id ?? null, expected);
    });
  }
});

Deno.test("priceAt() reads one model's history from a mixed list", () => {
  const prices = [
    row({ id: "a1", valid_from: "2025-01-01" }),
    row({
      id: "o1",
      provider: "openai",
      model: "gpt-4o-mini",
      valid_from: "2025-02-01",
    }),
    row({
      id: "o2",
      provider: "openai",
      model: "gpt-4o-mini",
      valid_from: "2025-08-01",
    }),
  ];
  const at = "2025-09-01T00:00:00Z";
  assert.equal(
    priceAt(prices, at, { provider: "openai", model: "gpt-4o-mini" })?.id,
    "o2",
  );
  assert.equal(
    priceAt(prices, at, { provider: "anthropic", model: "claude-haiku-4-5" })
      ?.id,
    "a1",
  );
  assert.equal(
    priceAt(prices, at, { provider: "openai", model: "gpt-5" }),
    null,
  );
  assert.throws(() => priceAt(prices, at), RangeError);
});

Deno.test("priceAt() returns null when there is no price", () => {
  assert.equal(priceAt([], "2025-01-01T00:00:00Z"), null);
});

Deno.test("priceAt() breaks a valid_from tie by the greatest id", () => {
  const prices = [
    row({ id: "b", valid_from: "2025-01-01" }),
    row({ id: "c", valid_from: "2025-01-01" }),
    row({ id: "a", valid_from: "2025-01-01" }),
  ];
  assert.equal(priceAt(prices, "2025-02-01T00:00:00Z")?.id, "c");
});

Deno.test("priceAt() refuses a time that is not a date", () => {
  assert.throws(() => priceAt([row({ id: "p" })], "yesterday"), RangeError);
});
