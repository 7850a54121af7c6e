import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { recordCall } from "../trace/record_call.ts";
import { Tracer } from "../trace/tracer.ts";
import { bundle } from "./bundle.ts";
import { exportOtel } from "./export_otel.ts";
import { writeFixture } from "./_test_fixture.ts";

interface KV {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KV[];
  events: { name: string; timeUnixNano: string; attributes: KV[] }[];
  status: { code: number; message?: string };
}

function spansOf(text: string): OtlpSpan[][] {
  return text.trim().split("\n").map((line) => {
    const parsed = JSON.parse(line);
    assert.deepEqual(Object.keys(parsed), ["resourceSpans"]);
    return parsed.resourceSpans[0].scopeSpans[0].spans;
  });
}

function get(attributes: KV[], key: string): unknown {
  const found = attributes.find((a) => a.key === key);
  return found ? Object.values(found.value)[0] : undefined;
}

eachStore.test("exportOtel() writes OTLP/JSON lines: invoke_workflow root, step spans, CLIENT spans with GenAI attributes", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const { text } = await bundle(store, { runs: [fixture.candidate] });
  const otel = await exportOtel(text!);
  const traces = spansOf(otel.text!);
  assert.equal(traces.length, 1);
  assert.equal(otel.traces, 1);
  const spans = traces[0]!;
  assert.equal(otel.spans, spans.length);
  const root = spans[0]!;
  assert.equal(root.name, "invoke_workflow experiment support_triage@v2");
  assert.equal(root.parentSpanId, undefined);
  assert.equal(
    get(root.attributes, "gen_ai.operation.name"),
    "invoke_workflow",
  );
  for (const span of spans) {
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
    assert.match(span.spanId, /^[0-9a-f]{16}$/);
    assert.match(span.startTimeUnixNano, /^\d+$/);
    assert.ok(BigInt(span.startTimeUnixNano) <= BigInt(span.endTimeUnixNano));
    assert.equal(typeof span.kind, "number");
  }
  const generate = spans.find((s) => s.name === "generate")!;
  assert.equal(generate.parentSpanId, root.spanId);
  assert.equal(generate.kind, 1);
  const calls = spans.filter((s) => s.kind === 3);
  assert.equal(calls.length, 3);
  const call = calls[0]!;
  assert.equal(call.name, "chat fake-fast");
  assert.equal(call.parentSpanId, generate.spanId);
  assert.equal(get(call.attributes, "gen_ai.operation.name"), "chat");
  assert.equal(get(call.attributes, "gen_ai.provider.name"), "fake");
  assert.equal(get(call.attributes, "gen_ai.request.model"), "fake-fast");
  assert.equal(get(call.attributes, "gen_ai.request.temperature"), 0);
  assert.deepEqual(
    call.attributes.find((a) => a.key === "gen_ai.request.temperature")!.value,
    { doubleValue: 0 },
  );
  assert.equal(get(call.attributes, "gen_ai.usage.input_tokens"), "40");
  assert.equal(get(call.attributes, "gen_ai.usage.output_tokens"), "20");
  assert.deepEqual(get(call.attributes, "gen_ai.response.finish_reasons"), {
    values: [{ stringValue: "end" }],
  });
  assert.equal(get(call.attributes, "llm_workbench.cost"), "0.000050");
  const evaluation = call.events.find((e) =>
    e.name === "gen_ai.evaluation.result"
  )!;
  assert.equal(
    get(evaluation.attributes, "gen_ai.evaluation.name"),
    "exact_match",
  );
  assert.equal(get(evaluation.attributes, "gen_ai.evaluation.score.value"), 1);
  assert.equal(
    get(evaluation.attributes, "gen_ai.evaluation.score.label"),
    "pass",
  );
  // No content unless asked.
  assert.ok(!otel.text!.includes("parcel 8812"));
  assert.equal(get(call.attributes, "gen_ai.input.messages"), undefined);
  const withContent = await exportOtel(text!, { content: true });
  const contentCall = spansOf(withContent.text!)[0]!.find((s) => s.kind === 3)!;
  const input = JSON.parse(
    get(contentCall.attributes, "gen_ai.input.messages") as string,
  );
  assert.equal(input[0].role, "user");
  assert.equal(input[0].parts[0].type, "text");
  assert.match(input[0].parts[0].content, /Message: /);
  // Same bundle, same spans.
  assert.equal((await exportOtel(text!)).text, otel.text);
});

eachStore.test("exportOtel() marks a failed call with error.type and an error status", async ({ openStore }) => {
  await using store = await openStore();
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "bot",
    steps: [{ id: "ask" }],
  });
  await recordCall(tracer, {
    provider: "openai",
    model: "gpt-4o-mini",
    request: { messages: [{ role: "user", content: "hi" }] },
    error: { kind: "rate_limit", message: "429", status: 429 },
    latencyMs: 30,
    step: "ask",
  });
  const { text } = await bundle(store, { trace: tracer.traceId });
  const spans = spansOf((await exportOtel(text!)).text!)[0]!;
  const call = spans.find((s) => s.kind === 3)!;
  assert.equal(get(call.attributes, "error.type"), "rate_limit");
  assert.deepEqual(call.status, { code: 2, message: "429" });
  assert.equal(spans.find((s) => s.name === "ask")!.status.code, 2);
  assert.equal(
    BigInt(call.endTimeUnixNano) - BigInt(call.startTimeUnixNano),
    30_000_000n,
  );
});
