import { sql } from "kysely";
import assert from "node:assert/strict";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import { open, type Store } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import { withImportTransaction } from "../store/bundle.ts";
import { recordCall } from "./record_call.ts";
import { Tracer } from "./tracer.ts";

const WORKFLOW = {
  schema_version: 1 as const,
  name: "pipeline",
  steps: [{ id: "ask" }],
};

async function rows(
  store: Store,
  query: string,
): Promise<Record<string, unknown>[]> {
  return (await sql.raw<Record<string, unknown>>(query).execute(store.db)).rows;
}

Deno.test("recordCall() seals the receipt, prices it and chains a model_call event", async () => {
  await using store = await open(":memory:");
  const price = {
    provider: "anthropic",
    model: "claude-haiku-4-5",
    currency: "USD",
    input_per_mtok: "1.00",
    output_per_mtok: "5.00",
    valid_from: "2025-01-01",
  };
  await withImportTransaction(store, (w) =>
    w.write("prices", [{
      ...price,
      id: contentHash(price),
      cache_read_per_mtok: null,
      cache_write_per_mtok: null,
      source: null,
    }]));
  const tracer = await Tracer.start(store, WORKFLOW);
  const call = await recordCall(tracer, {
    provider: "anthropic",
    model: "claude-haiku-4-5",
    request: {
      system: "Be brief.",
      messages: [{ role: "user", content: "Hi" }],
    },
    response: {
      text: "Hello",
      usage: { input_tokens: 1000, output_tokens: 200 },
      stopReason: "end",
    },
    latencyMs: 250,
    step: "ask",
  });
  assert.equal(call.cost, "0.002000");
  const row = (await rows(store, "SELECT * FROM model_io"))[0]!;
  assert.equal(row["price_id"], contentHash(price));
  assert.equal(row["sha256"], call.sha256);
  const events = await listTraceEvents(store, tracer.traceId);
  assert.equal(events[call.eventIndex]!.data["receipt_sha256"], call.sha256);
});

Deno.test("recordCall() records missing usage as missing, never estimated", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const call = await recordCall(tracer, {
    provider: "openai",
    model: "gpt-4o-mini",
    request: { messages: [] },
    response: { text: "ok" },
    latencyMs: 5,
  });
  assert.equal(call.usage, null);
  assert.equal(call.cost, null);
});

Deno.test("recordCall() refuses a call with neither response nor error, and an unknown step", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  await assert.rejects(
    () =>
      recordCall(tracer, {
        provider: "x",
        model: "y",
        request: { messages: [] },
        latencyMs: 1,
      }),
    ValidationError,
  );
  await assert.rejects(
    () =>
      recordCall(tracer, {
        provider: "x",
        model: "y",
        request: { messages: [] },
        response: { text: "" },
        latencyMs: 1,
        step: "nope",
      }),
    RangeError,
  );
  const counted = await rows(store, "SELECT count(*) AS n FROM model_io");
  assert.equal(counted[0]!["n"], 0);
});

Deno.test("recordCall() removes secret-looking strings from what it records", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const key = "sk-ant-api03-" + "x".repeat(40);
  await recordCall(tracer, {
    provider: "anthropic",
    model: "m",
    request: { messages: [{ role: "user", content: `my key is ${key}` }] },
    error: { kind: "auth", message: `invalid x-api-key ${key}`, status: 401 },
    latencyMs: 3,
  });
  const dump = JSON.stringify(
    await rows(store, "SELECT * FROM model_io"),
  );
  assert.ok(!dump.includes(key));
  assert.match(dump, /\[secret removed\]/);
});
