import assert from "node:assert/strict";
import { type ModelAdapter, ProviderError } from "../providers/adapter.ts";
import type { ModelResponse } from "../schema/model_call.ts";
import { callModel } from "./call_model.ts";

const OK: ModelResponse = {
  text: "hi",
  usage: {
    input_tokens: 3,
    output_tokens: 1,
    cache_read_tokens: null,
    cache_write_tokens: null,
  },
  response_id: "r1",
  model: "m",
  stop_reason: "end",
};

function scripted(
  steps: (ModelResponse | ProviderError)[],
): ModelAdapter & { calls: number } {
  const adapter = {
    provider: "test",
    model: "m",
    calls: 0,
    call() {
      const step = steps[adapter.calls++]!;
      return step instanceof ProviderError
        ? Promise.reject(step)
        : Promise.resolve(step);
    },
  };
  return adapter;
}

const REQUEST = {
  messages: [{ role: "user" as const, content: "x" }],
  params: {},
};

Deno.test("callModel() retries retryable errors, honouring retry-after", async () => {
  const waits: number[] = [];
  const adapter = scripted([
    new ProviderError("rate_limit", "429", { status: 429, retryAfterMs: 1500 }),
    new ProviderError("server", "500", { status: 500 }),
    OK,
  ]);
  const outcome = await callModel(adapter, REQUEST, { baseDelayMs: 100 }, {
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  });
  assert.equal(outcome.response, OK);
  assert.equal(outcome.attempts, 3);
  assert.deepEqual(waits, [1500, 100]);
  assert.deepEqual(outcome.failures, [
    { kind: "rate_limit", status: 429, wait_ms: 1500 },
    { kind: "server", status: 500, wait_ms: 100 },
  ]);
});

Deno.test("callModel() gives up after the retry budget and returns the last error", async () => {
  const adapter = scripted(
    Array.from({ length: 5 }, () => new ProviderError("overloaded", "529")),
  );
  const outcome = await callModel(adapter, REQUEST, { retries: 2 }, {
    sleep: () => Promise.resolve(),
  });
  assert.equal(outcome.response, null);
  assert.equal(outcome.error?.kind, "overloaded");
  assert.equal(outcome.attempts, 3);
  assert.equal(adapter.calls, 3);
  // Every attempt failed; nothing is waited for after the last.
  assert.deepEqual(outcome.failures.map((f) => [f.kind, f.wait_ms > 0]), [
    ["overloaded", true],
    ["overloaded", true],
    ["overloaded", false],
  ]);
});

Deno.test("callModel() does not retry errors that cannot succeed", async () => {
  const adapter = scripted([
    new ProviderError("auth", "401", { status: 401 }),
    OK,
  ]);
  const outcome = await callModel(adapter, REQUEST, {}, {
    sleep: () => Promise.resolve(),
  });
  assert.equal(outcome.error?.kind, "auth");
  assert.equal(adapter.calls, 1);
});

Deno.test("callModel() times out a hanging call and reports a timeout", async () => {
  const adapter: ModelAdapter = {
    provider: "test",
    model: "m",
    call: (request) =>
      new Promise((_, reject) =>
        request.signal?.addEventListener(
          "abort",
          () => reject(new Error("aborted")),
        )
      ),
  };
  const outcome = await callModel(adapter, REQUEST, {
    retries: 0,
    timeoutMs: 20,
  });
  assert.equal(outcome.error?.kind, "timeout");
});

Deno.test("callModel() ends an attempt when the deadline hook's signal aborts, not on its timer", async () => {
  // The first attempt hangs until its deadline aborts; the second answers
  // after 30 ms, past the 1 ms timeout, and still succeeds: the hook's
  // deadline replaces the timer.
  const deadlines: AbortController[] = [];
  const given: number[] = [];
  let calls = 0;
  const adapter: ModelAdapter = {
    provider: "test",
    model: "m",
    call: (request) => {
      const first = calls++ === 0;
      const answer = new Promise<ModelResponse>((resolve, reject) => {
        request.signal?.addEventListener(
          "abort",
          () => reject(new Error("aborted")),
        );
        if (!first) setTimeout(() => resolve(OK), 30);
      });
      if (first) deadlines[0]!.abort();
      return answer;
    },
  };
  const outcome = await callModel(adapter, REQUEST, {
    retries: 2,
    timeoutMs: 1,
  }, {
    random: () => 0,
    deadline: (_request, timeoutMs) => {
      given.push(timeoutMs);
      const deadline = new AbortController();
      deadlines.push(deadline);
      return deadline.signal;
    },
  });
  assert.equal(outcome.response?.text, "hi");
  assert.equal(outcome.attempts, 2);
  assert.deepEqual(outcome.failures.map((f) => f.kind), ["timeout"]);
  assert.deepEqual(given, [1, 1]);
});

Deno.test("callModel() sends nothing once the caller's signal is aborted", async () => {
  const adapter = scripted([OK]);
  const controller = new AbortController();
  controller.abort();
  const outcome = await callModel(adapter, {
    ...REQUEST,
    signal: controller.signal,
  });
  assert.equal(outcome.error?.kind, "aborted");
  assert.equal(adapter.calls, 0);
});
