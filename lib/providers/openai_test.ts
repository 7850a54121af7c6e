import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import { ProviderError } from "./adapter.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import { createOpenAIAdapter } from "./openai.ts";
import {
  errorReply,
  hang,
  malformedReply,
  openaiCompletion,
  rateLimited,
  startWireStub,
} from "./_wire_stub.ts";

const KEY_ENV = "WB_TEST_OPENAI_KEY";
const KEY = "sk-proj-test-secret-5d1e8b";

function env(name: string): string | undefined {
  return name === KEY_ENV ? KEY : undefined;
}

function configFor(
  baseUrl: string | undefined,
  overrides: Partial<ModelConfig> = {},
): ModelConfig {
  return {
    id: "gpt-test",
    provider: "openai",
    model: "gpt-test-model",
    params: {},
    options: {},
    ...(baseUrl === undefined ? {} : { base_url: baseUrl }),
    api_key_env: KEY_ENV,
    ...overrides,
  };
}

const REQUEST: ModelRequest = {
  system: "You are terse.",
  messages: [{ role: "user", content: "Say ok." }],
  params: { temperature: 0, max_tokens: 64, stop: ["END"], seed: 7 },
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

Deno.test("createOpenAIAdapter() returns the text, usage and a normalized stop reason", async () => {
  await using stub = startWireStub("openai", {
    plan: () =>
      openaiCompletion({
        content: "ok",
        id: "chatcmpl-123",
        model: "gpt-test-model-2024",
        usage: { input: 100, output: 9 },
      }),
  });
  const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
  const { latency_ms, ...response } = await adapter.call(REQUEST);
  // The request's own time, measured at the fetch; the first request of a
  // fresh client is marked cold (it may have set up the connection).
  assert.equal(typeof latency_ms, "number");
  assert.deepEqual(response, {
    connection_cold: true,
    text: "ok",
    usage: {
      input_tokens: 100,
      output_tokens: 9,
      cache_read_tokens: null,
      cache_write_tokens: null,
    },
    response_id: "chatcmpl-123",
    model: "gpt-test-model-2024",
    stop_reason: "end",
  });
  assert.equal(adapter.provider, "openai");
  assert.equal(adapter.model, "gpt-test-model");
});

Deno.test("createOpenAIAdapter() splits cached tokens out of prompt_tokens", async () => {
  await using stub = startWireStub("openai", {
    plan: () =>
      openaiCompletion({ usage: { input: 1000, output: 20, cacheRead: 768 } }),
  });
  const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call(REQUEST);
  assert.deepEqual(response.usage, {
    input_tokens: 232,
    output_tokens: 20,
    cache_read_tokens: 768,
    cache_write_tokens: null,
  });
});

Deno.test("createOpenAIAdapter() reports a response without usage as usage null", async () => {
  await using stub = startWireStub("openai", {
    plan: () => openaiCompletion({ content: "ok", usage: null }),
  });
  const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call(REQUEST);
  assert.equal(response.usage, null);
});

Deno.test("createOpenAIAdapter() sends the Chat Completions request shape to a compatible server", async () => {
  await using stub = startWireStub("openai");
  const adapter = createOpenAIAdapter(
    configFor(stub.baseUrl, { params: { top_p: 0.5, max_tokens: 8 } }),
    { env },
  );
  await adapter.call({
    ...REQUEST,
    repetition: 1,
    hints: { task: "t", case_id: "c1", slice: "typical", input: { a: 1 } },
  });
  const request = stub.requests[0]!;
  assert.equal(request.method, "POST");
  assert.equal(request.path, "/v1/chat/completions");
  assert.deepEqual(request.json, {
    model: "gpt-test-model",
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Say ok." },
    ],
    temperature: 0,
    top_p: 0.5,
    stop: ["END"],
    seed: 7,
    max_tokens: 64,
  });
});

Deno.test("createOpenAIAdapter() sends max_completion_tokens to OpenAI itself through the given fetch", async () => {
  await using stub = startWireStub("openai");
  const seen: string[] = [];
  function redirect(
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : input);
    seen.push(url.origin);
    return fetch(`${stub.baseUrl}${url.pathname.replace(/^\/v1/, "")}`, init);
  }
  const adapter = createOpenAIAdapter(configFor(undefined), {
    env,
    fetch: redirect,
  });
  await adapter.call(REQUEST);
  assert.deepEqual(seen, ["https://api.openai.com"]);
  const sent = stub.requests[0]!.json as Record<string, unknown>;
  assert.equal(sent["max_completion_tokens"], 64);
  assert.equal(sent["max_tokens"], undefined);
});

Deno.test("createOpenAIAdapter() asks for a strict json_schema response format for structured output", async () => {
  // Frozen: a judge's schema is shared by its calls (buildJudgeRequest
  // builds it once per rubric), so an adapter must not change it.
  const schema = Object.freeze({
    type: "object",
    properties: Object.freeze({ score: Object.freeze({ type: "integer" }) }),
    required: Object.freeze(["score"]),
    additionalProperties: false,
  });
  await using stub = startWireStub("openai", {
    plan: () => openaiCompletion({ content: '{"score":4}' }),
  });
  const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call({
    ...REQUEST,
    structured: Object.freeze({ name: "rubric_judgement", schema }),
  });
  assert.equal(response.text, '{"score":4}');
  const sent = stub.requests[0]!.json as Record<string, unknown>;
  assert.deepEqual(sent["response_format"], {
    type: "json_schema",
    json_schema: { name: "rubric_judgement", schema, strict: true },
  });
});

Deno.test("createOpenAIAdapter() returns refusal and length stops as successful calls", async (t) => {
  await t.step("message.refusal -> refusal", async () => {
    await using stub = startWireStub("openai", {
      plan: () =>
        openaiCompletion({
          content: null,
          refusal: "I cannot help with that.",
        }),
    });
    const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
    const response = await adapter.call(REQUEST);
    assert.equal(response.stop_reason, "refusal");
    assert.equal(response.text, "I cannot help with that.");
  });
  for (
    const [reported, normalized] of [
      ["length", "max_tokens"],
      ["content_filter", "refusal"],
      ["tool_calls", "tool_use"],
    ] as const
  ) {
    await t.step(`${reported} -> ${normalized}`, async () => {
      await using stub = startWireStub("openai", {
        plan: () =>
          openaiCompletion({ content: "partial", finishReason: reported }),
      });
      const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
      const response = await adapter.call(REQUEST);
      assert.equal(response.stop_reason, normalized);
      assert.equal(response.text, "partial");
    });
  }
});

Deno.test("createOpenAIAdapter() maps 429 to rate_limit with retry-after", async (t) => {
  for (
    const [headers, expected] of [
      [{ retryAfter: "3" }, 3000],
      [{ retryAfter: "0.5" }, 500],
      [{ retryAfterMs: "1200" }, 1200],
    ] as const
  ) {
    await t.step(JSON.stringify(headers), async () => {
      await using stub = startWireStub("openai", {
        plan: () => rateLimited("openai", headers),
      });
      const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
      const error = await callError(adapter);
      assert.equal(error.kind, "rate_limit");
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, expected);
      assert.equal(error.retryable, true);
      assert.equal(stub.requests.length, 1, "the SDK must not retry");
    });
  }
});

Deno.test("createOpenAIAdapter() maps HTTP failures to their kinds", async (t) => {
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
      await using stub = startWireStub("openai", {
        plan: () => errorReply("openai", status),
      });
      const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
      const error = await callError(adapter);
      assert.equal(error.kind, kind);
      assert.equal(error.status, status);
      assert.equal(error.retryable, retryable);
      assert.equal(stub.requests.length, 1, "the SDK must not retry");
    });
  }
});

Deno.test("createOpenAIAdapter() reports a fired timeout signal as timeout", async () => {
  await using stub = startWireStub("openai", {
    plan: () => hang("openai", 30_000),
  });
  const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
  const error = await callError(adapter, {
    ...REQUEST,
    signal: AbortSignal.timeout(50),
  });
  assert.equal(error.kind, "timeout");
  assert.equal(error.retryable, true);
});

Deno.test("createOpenAIAdapter() reports an abort the caller asked for as aborted", async () => {
  const controller = new AbortController();
  await using stub = startWireStub("openai", {
    plan: () => {
      controller.abort();
      return hang("openai", 30_000);
    },
  });
  const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
  const error = await callError(adapter, {
    ...REQUEST,
    signal: controller.signal,
  });
  assert.equal(error.kind, "aborted");
  assert.equal(error.retryable, false);
});

Deno.test("createOpenAIAdapter() reports a 200 with a malformed body as malformed", async (t) => {
  await t.step("invalid JSON", async () => {
    await using stub = startWireStub("openai", {
      plan: () => malformedReply(),
    });
    const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
    assert.equal((await callError(adapter)).kind, "malformed");
  });
  await t.step("JSON without choices", async () => {
    await using stub = startWireStub("openai", {
      plan: () => ({ json: { id: "x", object: "chat.completion" } }),
    });
    const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
    assert.equal((await callError(adapter)).kind, "malformed");
  });
  await t.step("empty choices", async () => {
    await using stub = startWireStub("openai", {
      plan: () => ({ json: { id: "x", choices: [] } }),
    });
    const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
    assert.equal((await callError(adapter)).kind, "malformed");
  });
});

Deno.test("createOpenAIAdapter() reports a refused connection as network", async () => {
  const stub = startWireStub("openai");
  const baseUrl = stub.baseUrl;
  await stub.close();
  const adapter = createOpenAIAdapter(configFor(baseUrl), { env });
  const error = await callError(adapter);
  assert.equal(error.kind, "network");
  assert.equal(error.retryable, true);
});

Deno.test("createOpenAIAdapter() throws ConfigError naming the variable before any request", async () => {
  await using stub = startWireStub("openai");
  assert.throws(
    () =>
      createOpenAIAdapter(configFor(stub.baseUrl), { env: () => undefined }),
    (error: unknown) =>
      error instanceof ConfigError && error.message.includes(`"${KEY_ENV}"`),
  );
  assert.throws(
    () =>
      createOpenAIAdapter(
        configFor(stub.baseUrl, { api_key_env: undefined as never }),
        { env: () => undefined },
      ),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message.includes('"OPENAI_API_KEY"'),
  );
  assert.equal(stub.requests.length, 0);
});

Deno.test("createOpenAIAdapter() sends the key only as the Authorization header and never returns it", async () => {
  await using stub = startWireStub("openai");
  const adapter = createOpenAIAdapter(configFor(stub.baseUrl), { env });
  const response = await adapter.call(REQUEST);
  const request = stub.requests[0]!;
  const carriers = [...request.headers].filter(([, value]) =>
    value.includes(KEY)
  );
  assert.deepEqual(carriers, [["authorization", `Bearer ${KEY}`]]);
  assert.ok(!request.text.includes(KEY));
  assert.ok(!request.path.includes(KEY));
  assert.ok(!JSON.stringify(response).includes(KEY));
  assert.ok(!JSON.stringify(adapter).includes(KEY));
});

Deno.test("createOpenAIAdapter() refuses a config for another provider", () => {
  assert.throws(
    () =>
      createOpenAIAdapter(
        configFor("http://127.0.0.1:9", { provider: "anthropic" }),
        { env },
      ),
    ConfigError,
  );
});
