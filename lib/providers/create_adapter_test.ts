import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import { createAdapter } from "./create_adapter.ts";
import {
  anthropicMessage,
  openaiCompletion,
  startWireStub,
} from "./_wire_stub.ts";

function configFor(overrides: Partial<ModelConfig>): ModelConfig {
  return {
    id: "m",
    provider: "fake",
    model: "fake-model",
    params: {},
    options: {},
    ...overrides,
  };
}

const env = (name: string): string | undefined =>
  name === "WB_TEST_KEY" ? "sk-test-key" : undefined;

Deno.test("createAdapter() dispatches a fake config to the fake adapter", () => {
  const adapter = createAdapter(configFor({ provider: "fake" }), {
    env: () => undefined,
  });
  assert.equal(adapter.provider, "fake");
  assert.equal(adapter.model, "fake-model");
});

Deno.test("createAdapter() calls Anthropic and OpenAI through their wire formats", async (t) => {
  await t.step("anthropic", async () => {
    await using stub = startWireStub("anthropic", {
      plan: () => anthropicMessage({ text: "from anthropic" }),
    });
    const adapter = createAdapter(
      configFor({
        provider: "anthropic",
        base_url: stub.baseUrl,
        api_key_env: "WB_TEST_KEY",
      }),
      { env },
    );
    assert.equal(adapter.provider, "anthropic");
    const response = await adapter.call({
      messages: [{ role: "user", content: "hi" }],
      params: {},
    });
    assert.equal(response.text, "from anthropic");
    assert.equal(stub.requests[0]?.path, "/v1/messages");
  });
  await t.step("openai", async () => {
    await using stub = startWireStub("openai", {
      plan: () => openaiCompletion({ content: "from openai" }),
    });
    const adapter = createAdapter(
      configFor({
        provider: "openai",
        base_url: stub.baseUrl,
        api_key_env: "WB_TEST_KEY",
      }),
      { env },
    );
    assert.equal(adapter.provider, "openai");
    const response = await adapter.call({
      messages: [{ role: "user", content: "hi" }],
      params: {},
    });
    assert.equal(response.text, "from openai");
    assert.equal(stub.requests[0]?.path, "/v1/chat/completions");
  });
});

Deno.test("createAdapter() passes the given fetch to the SDK", async () => {
  await using stub = startWireStub("anthropic");
  const urls: string[] = [];
  const adapter = createAdapter(
    configFor({ provider: "anthropic", api_key_env: "WB_TEST_KEY" }),
    {
      env,
      fetch(input, init) {
        const url = new URL(input instanceof Request ? input.url : input);
        urls.push(url.href);
        return fetch(`${stub.baseUrl}${url.pathname}`, init);
      },
    },
  );
  await adapter.call({
    messages: [{ role: "user", content: "hi" }],
    params: {},
  });
  assert.deepEqual(urls, ["https://api.anthropic.com/v1/messages"]);
  assert.equal(stub.requests.length, 1);
});

Deno.test("createAdapter() throws ConfigError for a missing key, naming the variable", async (t) => {
  for (
    const [provider, variable] of [
      ["anthropic", "ANTHROPIC_API_KEY"],
      ["openai", "OPENAI_API_KEY"],
    ] as const
  ) {
    await t.step(provider, () => {
      assert.throws(
        () => createAdapter(configFor({ provider }), { env: () => undefined }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.includes(`"${variable}"`) &&
          error.message.includes('"m"'),
      );
    });
  }
});

Deno.test("createAdapter() throws ConfigError for an unknown provider", () => {
  assert.throws(
    () =>
      createAdapter(
        configFor({ provider: "mistral" as ModelConfig["provider"] }),
      ),
    (error: unknown) =>
      error instanceof ConfigError && error.message.includes('"mistral"'),
  );
});

Deno.test("createAdapter() refuses a timeout_ms that is not a positive integer", () => {
  assert.throws(
    () =>
      createAdapter(
        configFor({
          provider: "openai",
          api_key_env: "WB_TEST_KEY",
          options: { timeout_ms: "fast" },
        }),
        { env },
      ),
    (error: unknown) =>
      error instanceof ConfigError && error.message.includes("timeout_ms"),
  );
});
