import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import { ProviderError } from "./adapter.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import { createAnthropicAdapter } from "./anthropic.ts";
import {
  anthropicMessage,
  errorReply,
  hang,
  malformedReply,
  overloaded,
  rateLimited,
  startWireStub,
} from "./_wire_stub.ts";

const KEY_ENV = "WB_TEST_ANTHROPIC_KEY";
const KEY = "sk-ant-test-secret-7f3a9c";

function env(name: string): string | undefined {
  return name === KEY_ENV ? KEY : undefined;
}

function configFor(
  baseUrl: string,
  overrides: Partial<ModelConfig> = {},
): ModelConfig {
  return {
    id: "claude-test",
    provider: "anthropic",
    model: "claude-test-model",
    params: {},
    options: {},
    base_url: baseUrl,
    api_key_env: KEY_ENV,
    ...overrides,
  };
}

const REQUEST: ModelRequest = {
  system: "You are terse.",
  messages: [{ role: "user", content: "Say ok." }],
  params: { temperature: 0, max_tokens: 64, stop: ["END"] },
};

async function callError(
  adapter: { call(request: ModelRequest): Promise<unknown> },
  request: ModelRequest = REQUEST,
): Promise<ProviderError> {
  try {
    await adapter.call(request);
  } catch (error) {
    assert.ok(error instanceof ProviderError, `not a ProviderError: ${error}`);
    return error;
  }
  assert.fail("the call succeeded");
}

Deno.test("createAnthropicAdapter() returns the text, usage with cache tokens and a normalized stop reason", async () => {
  await using stub = startWireStub("anthropic", {
    plan: () =>
      anthropicMessage({
        text: "ok",
        id: "msg_123",
        model: "claude-test-model-2025",
        usage: { input: 120, output: 7, cacheRead: 900, cacheWrite: 40 },
      }),
  });
  const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
  const { latency_ms, ...response } = await adapter.call(REQUEST);
  // The request's own time, measured at the fetch; the first request of a
  // fresh client is marked cold (it may have set up the connection).
  assert.equal(typeof latency_ms, "number");
  assert.deepEqual(response, {
    connection_cold: true,
    text: "ok",
    usage: {
      input_tokens: 120,
      output_tokens: 7,
      cache_read_tokens: 900,
      cache_write_tokens: 40,
    },
    response_id: "msg_123",
    model: "claude-test-model-2025",
    stop_reason: "end",
  });
  assert.equal(adapter.provider, "anthropic");
  assert.equal(adapter.model, "claude-test-model");
});

Deno.test("createAnthropicAdapter() sends the Messages request shape", async () => {
  await using stub = startWireStub("anthropic");
  const adapter = createAnthropicAdapter(
    configFor(stub.baseUrl, { params: { top_p: 0.9, max_tokens: 16 } }),
    { env },
  );
  await adapter.call({
    ...REQUEST,
    repetition: 2,
    hints: { task: "t", case_id: "c1", slice: "typical", input: { a: 1 } },
  });
  assert.equal(stub.requests.length, 1);
  const request = stub.requests[0]!;
  assert.equal(request.method, "POST");
  assert.equal(request.path, "/v1/messages");
  assert.deepEqual(request.json, {
    model: "claude-test-model",
    max_tokens: 64,
    messages: [{ role: "user", content: "Say ok." }],
    system: "You are terse.",
    temperature: 0,
    top_p: 0.9,
    stop_sequences: ["END"],
  });
});

Deno.test("createAnthropicAdapter() reports a response without usage as usage null", async () => {
  await using stub = startWireStub("anthropic", {
    plan: () => anthropicMessage({ text: "ok", usage: null }),
  });
  const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call(REQUEST);
  assert.equal(response.usage, null);
  assert.equal(response.text, "ok");
});

Deno.test("createAnthropicAdapter() leaves unreported cache fields null", async () => {
  await using stub = startWireStub("anthropic", {
    plan: () =>
      anthropicMessage({ text: "ok", usage: { input: 5, output: 1 } }),
  });
  const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call(REQUEST);
  assert.deepEqual(response.usage, {
    input_tokens: 5,
    output_tokens: 1,
    cache_read_tokens: null,
    cache_write_tokens: null,
  });
});

Deno.test("createAnthropicAdapter() returns refusal and max_tokens stops as successful calls", async (t) => {
  for (
    const [reported, normalized] of [
      ["refusal", "refusal"],
      ["max_tokens", "max_tokens"],
      ["stop_sequence", "stop_sequence"],
      ["pause_turn", "pause_turn"],
    ] as const
  ) {
    await t.step(`${reported} -> ${normalized}`, async () => {
      await using stub = startWireStub("anthropic", {
        plan: () => anthropicMessage({ text: "partial", stopReason: reported }),
      });
      const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
      const response = await adapter.call(REQUEST);
      assert.equal(response.stop_reason, normalized);
      assert.equal(response.text, "partial");
    });
  }
});

Deno.test("createAnthropicAdapter() forces a tool call for structured output and returns its input as JSON", async () => {
  // Frozen: a judge's schema is shared by its calls (buildJudgeRequest
  // builds it once per rubric), so an adapter must not change it.
  const schema = Object.freeze({
    type: "object",
    properties: Object.freeze({ score: Object.freeze({ type: "integer" }) }),
    required: Object.freeze(["score"]),
  });
  await using stub = startWireStub("anthropic", {
    plan: () =>
      anthropicMessage({
        tool: { name: "rubric_judgement", input: { score: 4 } },
      }),
  });
  const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call({
    ...REQUEST,
    structured: Object.freeze({ name: "rubric_judgement", schema }),
  });
  assert.equal(response.text, '{"score":4}');
  assert.equal(response.stop_reason, "end");
  const sent = stub.requests[0]!.json as Record<string, unknown>;
  assert.deepEqual(sent["tools"], [{
    name: "rubric_judgement",
    input_schema: schema,
  }]);
  assert.deepEqual(sent["tool_choice"], {
    type: "tool",
    name: "rubric_judgement",
  });
});

Deno.test("createAnthropicAdapter() maps 429 to rate_limit with retry-after", async (t) => {
  for (
    const [headers, expected] of [
      [{ retryAfter: "2" }, 2000],
      [{ retryAfterMs: "1500" }, 1500],
      [{ retryAfter: "7", retryAfterMs: "250" }, 250],
    ] as const
  ) {
    await t.step(JSON.stringify(headers), async () => {
      await using stub = startWireStub("anthropic", {
        plan: () => rateLimited("anthropic", headers),
      });
      const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
      const error = await callError(adapter);
      assert.equal(error.kind, "rate_limit");
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, expected);
      assert.equal(error.retryable, true);
      assert.equal(stub.requests.length, 1, "the SDK must not retry");
    });
  }
});

Deno.test("createAnthropicAdapter() maps HTTP failures to their kinds", async (t) => {
  for (
    const [status, kind, retryable] of [
      [500, "server", true],
      [502, "server", true],
      [503, "server", true],
      [529, "overloaded", true],
      [401, "auth", false],
      [403, "auth", false],
      [400, "bad_request", false],
    ] as const
  ) {
    await t.step(`${status} -> ${kind}`, async () => {
      await using stub = startWireStub("anthropic", {
        plan: () => errorReply("anthropic", status),
      });
      const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
      const error = await callError(adapter);
      assert.equal(error.kind, kind);
      assert.equal(error.status, status);
      assert.equal(error.retryable, retryable);
      assert.equal(stub.requests.length, 1, "the SDK must not retry");
    });
  }
});

Deno.test("createAnthropicAdapter() maps an overloaded_error body to overloaded", async (t) => {
  await t.step("529", async () => {
    await using stub = startWireStub("anthropic", { plan: () => overloaded() });
    const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
    const error = await callError(adapter);
    assert.equal(error.kind, "overloaded");
    assert.equal(error.status, 529);
  });
  await t.step("500 with an overloaded_error body", async () => {
    await using stub = startWireStub("anthropic", {
      plan: () => errorReply("anthropic", 500, { type: "overloaded_error" }),
    });
    const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
    const error = await callError(adapter);
    assert.equal(error.kind, "overloaded");
  });
});

Deno.test("createAnthropicAdapter() reports a fired timeout signal as timeout", async () => {
  await using stub = startWireStub("anthropic", {
    plan: () => hang("anthropic", 30_000),
  });
  const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
  const error = await callError(adapter, {
    ...REQUEST,
    signal: AbortSignal.timeout(50),
  });
  assert.equal(error.kind, "timeout");
  assert.equal(error.retryable, true);
});

Deno.test("createAnthropicAdapter() reports an abort the caller asked for as aborted", async () => {
  const controller = new AbortController();
  await using stub = startWireStub("anthropic", {
    plan: () => {
      controller.abort();
      return hang("anthropic", 30_000);
    },
  });
  const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
  const error = await callError(adapter, {
    ...REQUEST,
    signal: controller.signal,
  });
  assert.equal(error.kind, "aborted");
  assert.equal(error.retryable, false);
});

Deno.test("createAnthropicAdapter() reports a 200 with a malformed body as malformed", async (t) => {
  await t.step("invalid JSON", async () => {
    await using stub = startWireStub("anthropic", {
      plan: () => malformedReply(),
    });
    const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
    const error = await callError(adapter);
    assert.equal(error.kind, "malformed");
    assert.equal(error.retryable, false);
  });
  await t.step("JSON without content", async () => {
    await using stub = startWireStub("anthropic", {
      plan: () => ({ json: { id: "msg_1", type: "message" } }),
    });
    const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
    assert.equal((await callError(adapter)).kind, "malformed");
  });
  await t.step("a body that is not JSON at all", async () => {
    await using stub = startWireStub("anthropic", {
      plan: () => ({
        text: "hello",
        headers: { "content-type": "text/plain" },
      }),
    });
    const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
    assert.equal((await callError(adapter)).kind, "malformed");
  });
});

Deno.test("createAnthropicAdapter() reports a refused connection as network", async () => {
  const stub = startWireStub("anthropic");
  const baseUrl = stub.baseUrl;
  await stub.close();
  const adapter = createAnthropicAdapter(configFor(baseUrl), { env });
  const error = await callError(adapter);
  assert.equal(error.kind, "network");
  assert.equal(error.retryable, true);
});

Deno.test("createAnthropicAdapter() throws ConfigError naming the variable before any request", async () => {
  await using stub = startWireStub("anthropic");
  assert.throws(
    () =>
      createAnthropicAdapter(configFor(stub.baseUrl), { env: () => undefined }),
    (error: unknown) =>
      error instanceof ConfigError && error.message.includes(`"${KEY_ENV}"`),
  );
  assert.throws(
    () =>
      createAnthropicAdapter(
        configFor(stub.baseUrl, { api_key_env: undefined as never }),
        { env: () => "" },
      ),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message.includes('"ANTHROPIC_API_KEY"'),
  );
  assert.equal(stub.requests.length, 0);
});

Deno.test("createAnthropicAdapter() sends the key only as the auth header and never returns it", async () => {
  await using stub = startWireStub("anthropic");
  const adapter = createAnthropicAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call(REQUEST);
  const request = stub.requests[0]!;
  const carriers = [...request.headers].filter(([, value]) =>
    value.includes(KEY)
  );
  assert.equal(carriers.length, 1, "exactly one header carries the key");
  const [name, value] = carriers[0]!;
  assert.ok(
    (name === "authorization" && value === `Bearer ${KEY}`) ||
      (name === "x-api-key" && value === KEY),
    `the key travels in ${name}`,
  );
  assert.ok(!request.text.includes(KEY));
  assert.ok(!request.path.includes(KEY));
  assert.ok(!JSON.stringify(response).includes(KEY));
  assert.ok(!JSON.stringify(adapter).includes(KEY));
});

Deno.test("createAnthropicAdapter() refuses a config for another provider", () => {
  assert.throws(
    () =>
      createAnthropicAdapter(
        configFor("http://127.0.0.1:9", { provider: "openai" }),
        { env },
      ),
    ConfigError,
  );
});
