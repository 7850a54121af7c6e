import { type BodyRefs, withBodies } from "../store/bodies.ts";
import { sql } from "kysely";
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { open, type Store } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "./event.ts";
import { Tracer } from "./tracer.ts";
import { wrapAnthropic } from "./wrap_anthropic.ts";
import { wrapOpenAI } from "./wrap_openai.ts";

const WORKFLOW = {
  schema_version: 1 as const,
  name: "support bot",
  steps: [{ id: "classify" }, { id: "reply", after: ["classify"] }],
};

/**
 * The stored receipts, with their request and response bodies read back
 * (and their text, which is stored once, in the response).
 */
async function receipts(store: Store): Promise<Record<string, unknown>[]> {
  const rows = await sql.raw<BodyRefs & Record<string, unknown>>(
    "SELECT * FROM receipts ORDER BY created_at, id",
  ).execute(store.db);
  return (await withBodies(store.db, rows.rows)).map((row) => ({
    ...row,
    text: row.text ??
      (row.response === null ? null : JSON.parse(row.response).text),
  }));
}

Deno.test("wrapAnthropic() records a receipt per call with usage, latency and a chained event", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const client = {
    messages: {
      create: (body: { model: string; [key: string]: unknown }) =>
        Promise.resolve({
          id: "msg_01",
          model: `${body.model}-20250101`,
          content: [{ type: "text", text: "shipping" }],
          stop_reason: "end_turn",
          usage: {
            input_tokens: 21,
            output_tokens: 2,
            cache_read_input_tokens: 7,
          },
        }),
    },
    other: () => "untouched",
  };
  const traced = wrapAnthropic(client, tracer, { step: "classify" });
  const message = await traced.messages.create({
    model: "claude-haiku-4-5",
    max_tokens: 50,
    system: "Classify.",
    metadata: { user_id: "u-9" },
    messages: [{ role: "user", content: "Where is my parcel?" }],
  });
  assert.equal(message.id, "msg_01");
  assert.equal(traced.other(), "untouched");
  const [row] = await receipts(store);
  assert.equal(row!["provider"], "anthropic");
  assert.equal(row!["model"], "claude-haiku-4-5");
  assert.equal(row!["text"], "shipping");
  assert.equal(row!["input_tokens"], 21);
  assert.equal(row!["output_tokens"], 2);
  assert.equal(row!["cache_read_tokens"], 7);
  assert.equal(row!["cache_write_tokens"], null);
  assert.equal(row!["stop_reason"], "end");
  assert.equal(row!["provider_response_id"], "msg_01");
  assert.equal(row!["status"], "ok");
  assert.ok((row!["latency_ms"] as number) >= 0);
  const request = JSON.parse(row!["request"] as string);
  assert.deepEqual(request, {
    system: "Classify.",
    messages: [{ role: "user", content: "Where is my parcel?" }],
    params: { max_tokens: 50 },
  });
  const events = await listTraceEvents(store, tracer.traceId);
  assert.equal(verifyChain(events), null);
  const call = events.find((e) => e.type === "model_call")!;
  assert.equal(call.step, "classify");
  assert.equal(call.data["receipt_id"], row!["id"]);
  assert.equal(call.data["receipt_sha256"], row!["sha256"]);
});

Deno.test("wrapAnthropic() records a failed call and rethrows the same error", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const failure = Object.assign(new Error("429 rate limited"), {
    status: 429,
  });
  const client = {
    messages: { create: (_body: unknown) => Promise.reject(failure) },
  };
  const traced = wrapAnthropic(client, tracer);
  await assert.rejects(
    () => traced.messages.create({ model: "m", messages: [] }),
    (error: unknown) => error === failure,
  );
  const [row] = await receipts(store);
  assert.equal(row!["status"], "error");
  assert.deepEqual(JSON.parse(row!["error"] as string), {
    kind: "rate_limit",
    message: "429 rate limited",
    status: 429,
  });
  assert.equal(row!["input_tokens"], null);
});

Deno.test("wrapAnthropic() records a streamed call when the stream has been read", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  async function* events() {
    yield {
      type: "message_start",
      message: { id: "msg_s", model: "m", usage: { input_tokens: 9 } },
    };
    yield {
      type: "content_block_delta",
      delta: { type: "text_delta", text: "Hel" },
    };
    yield {
      type: "content_block_delta",
      delta: { type: "text_delta", text: "lo" },
    };
    yield {
      type: "message_delta",
      delta: { stop_reason: "max_tokens" },
      usage: { output_tokens: 2 },
    };
  }
  const client = {
    messages: { create: (_body: unknown) => Promise.resolve(events()) },
  };
  const traced = wrapAnthropic(client, tracer);
  const stream = await traced.messages.create({
    model: "m",
    stream: true,
    messages: [],
  });
  assert.equal((await receipts(store)).length, 0);
  let seen = 0;
  for await (const _ of stream) seen++;
  assert.equal(seen, 4);
  const [row] = await receipts(store);
  assert.equal(row!["text"], "Hello");
  assert.equal(row!["input_tokens"], 9);
  assert.equal(row!["output_tokens"], 2);
  assert.equal(row!["stop_reason"], "max_tokens");
});

Deno.test("wrapOpenAI() keeps cached prompt tokens apart, as the adapter does", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const client = {
    chat: {
      completions: {
        create: (body: { model: string; [key: string]: unknown }) =>
          Promise.resolve({
            id: "chatcmpl-1",
            model: body.model,
            choices: [{
              message: { content: "billing" },
              finish_reason: "length",
            }],
            usage: {
              prompt_tokens: 30,
              completion_tokens: 3,
              prompt_tokens_details: { cached_tokens: 10 },
            },
          }),
      },
    },
  };
  const traced = wrapOpenAI(client, tracer, { step: "reply" });
  await traced.chat.completions.create({
    model: "gpt-4o-mini",
    temperature: 0,
    user: "u-1",
    messages: [{ role: "user", content: "Charged twice" }],
  });
  const [row] = await receipts(store);
  assert.equal(row!["provider"], "openai");
  assert.equal(row!["input_tokens"], 20);
  assert.equal(row!["cache_read_tokens"], 10);
  assert.equal(row!["output_tokens"], 3);
  assert.equal(row!["stop_reason"], "max_tokens");
  assert.deepEqual(JSON.parse(row!["request"] as string).params, {
    temperature: 0,
  });
});

function stubServer(
  handler: (request: Request, body: Record<string, unknown>) => Response,
): { url: string; server: Deno.HttpServer; headers: Record<string, string>[] } {
  const headers: Record<string, string>[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      headers.push(Object.fromEntries(request.headers));
      return handler(request, await request.json());
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    server,
    headers,
  };
}

Deno.test("wrapAnthropic() records the real SDK's calls to a local stub, and never its key", async () => {
  const key = `sk-ant-api03-${crypto.randomUUID()}`;
  const stub = stubServer((_request, body) =>
    Response.json({
      id: "msg_stub",
      type: "message",
      role: "assistant",
      model: body["model"],
      content: [{ type: "text", text: "technical" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 11, output_tokens: 1 },
    })
  );
  try {
    await using store = await open(":memory:");
    const tracer = await Tracer.start(store, WORKFLOW);
    const client = wrapAnthropic(
      new Anthropic({ apiKey: key, baseURL: stub.url, maxRetries: 0 }),
      tracer,
      { step: "classify" },
    );
    const message = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 20,
      messages: [{ role: "user", content: "The app crashes" }],
    });
    assert.equal(message.content[0]?.type, "text");
    assert.ok(
      JSON.stringify(stub.headers[0]).includes(key),
      "the key was sent",
    );
    const rows = await receipts(store);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!["text"], "technical");
    assert.equal(rows[0]!["input_tokens"], 11);
    const dump = JSON.stringify(
      (await sql.raw("SELECT * FROM model_io").execute(store.db)).rows,
    ) + JSON.stringify(
      (await sql.raw("SELECT * FROM trace_events").execute(store.db)).rows,
    );
    assert.ok(!dump.includes(key));
    assert.ok(!/x-api-key|authorization/i.test(dump));
  } finally {
    await stub.server.shutdown();
  }
});

Deno.test("wrapOpenAI() records the real SDK's calls to a local stub", async () => {
  const stub = stubServer((_request, body) =>
    Response.json({
      id: "chatcmpl-stub",
      object: "chat.completion",
      created: 0,
      model: body["model"],
      choices: [{
        index: 0,
        message: { role: "assistant", content: "account" },
        finish_reason: "stop",
      }],
      usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
    })
  );
  try {
    await using store = await open(":memory:");
    const tracer = await Tracer.start(store, WORKFLOW);
    const client = wrapOpenAI(
      new OpenAI({
        apiKey: "sk-test-openai-key-000000000000",
        baseURL: stub.url,
        maxRetries: 0,
      }),
      tracer,
    );
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Reset my password" }],
    });
    assert.equal(completion.choices[0]?.message.content, "account");
    const rows = await receipts(store);
    assert.equal(rows[0]!["text"], "account");
    assert.equal(rows[0]!["input_tokens"], 8);
    assert.equal(rows[0]!["provider_response_id"], "chatcmpl-stub");
  } finally {
    await stub.server.shutdown();
  }
});

Deno.test("wrapOpenAI() records the task and the input inputOf reads from the body on the call's event", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const client = {
    chat: {
      completions: {
        create: (_body: Record<string, unknown>) =>
          Promise.resolve({
            id: "chatcmpl-1",
            model: "gpt-4o-mini",
            choices: [{
              message: { role: "assistant", content: "shipping" },
              finish_reason: "stop",
            }],
            usage: { prompt_tokens: 12, completion_tokens: 1 },
          }),
      },
    },
  };
  const traced = wrapOpenAI(client, tracer, {
    step: "classify",
    task: "support_triage",
    inputOf: (body) =>
      (body["metadata"] as { input?: Record<string, unknown> })?.input,
  });
  const input = { customer_message: "Where is my parcel?" };
  await traced.chat.completions.create({
    model: "gpt-4o-mini",
    metadata: { input },
    messages: [{ role: "user", content: "Where is my parcel?" }],
  });
  const events = await listTraceEvents(store, tracer.traceId);
  const call = events.find((e) => e.type === "model_call")!;
  assert.equal(call.data["task"], "support_triage");
  assert.deepEqual(call.data["input"], input);
  assert.equal(verifyChain(events), null);
});
