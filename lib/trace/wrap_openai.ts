import type { CallResponse, CallUsage } from "./record_call.ts";
import type { Tracer } from "./tracer.ts";
import {
  type CallReader,
  count,
  record,
  recordingCreate,
  replaceMethod,
  type WrapClientOptions,
} from "./_wrap.ts";

/** Anything shaped like an OpenAI SDK client: `chat.completions.create(body, options?)`. */
export interface OpenAILike {
  /** The chat API. */
  readonly chat: {
    /** Chat completions. */
    readonly completions: {
      /** Creates a chat completion. */
      // deno-lint-ignore no-explicit-any
      create(body: any, options?: any): any;
    };
  };
}

const STOP_REASONS: Readonly<Record<string, string>> = {
  stop: "end",
  length: "max_tokens",
  content_filter: "refusal",
  tool_calls: "tool_use",
  function_call: "tool_use",
};

function stopReason(value: unknown): string | null {
  return typeof value === "string" ? STOP_REASONS[value] ?? value : null;
}

/**
 * OpenAI's prompt_tokens includes the cached tokens; receipts keep them
 * apart (input_tokens is the uncached part), as the toolkit's adapter does.
 */
function usageOf(value: unknown): CallUsage | null {
  if (typeof value !== "object" || value === null) return null;
  const usage = record(value);
  const prompt = count(usage["prompt_tokens"]);
  const cached = count(record(usage["prompt_tokens_details"])["cached_tokens"]);
  return {
    input_tokens: prompt === null
      ? null
      : cached === null
      ? prompt
      : count(prompt - cached),
    output_tokens: count(usage["completion_tokens"]),
    cache_read_tokens: cached,
    cache_write_tokens: null,
  };
}

const READER: CallReader = {
  provider: "openai",
  request(body) {
    const { model: _model, messages, stream: _stream, user: _user, ...params } =
      body;
    return { messages: Array.isArray(messages) ? messages : [], params };
  },
  response(result) {
    const completion = record(result);
    const choice = record(
      Array.isArray(completion["choices"]) ? completion["choices"][0] : null,
    );
    const message = record(choice["message"]);
    const refusal = typeof message["refusal"] === "string" &&
      message["refusal"] !== "";
    return {
      text: typeof message["content"] === "string"
        ? message["content"]
        : refusal
        ? String(message["refusal"])
        : "",
      usage: usageOf(completion["usage"]),
      responseId: typeof completion["id"] === "string"
        ? completion["id"]
        : null,
      model: typeof completion["model"] === "string"
        ? completion["model"]
        : null,
      stopReason: refusal ? "refusal" : stopReason(choice["finish_reason"]),
    };
  },
  stream() {
    let text = "";
    let id: string | null = null;
    let model: string | null = null;
    let stop: string | null = null;
    let usage: CallUsage | null = null;
    return {
      add(event) {
        const chunk = record(event);
        if (typeof chunk["id"] === "string") id = chunk["id"];
        if (typeof chunk["model"] === "string") model = chunk["model"];
        if (chunk["usage"]) usage = usageOf(chunk["usage"]);
        const choice = record(
          Array.isArray(chunk["choices"]) ? chunk["choices"][0] : null,
        );
        const delta = record(choice["delta"]);
        if (typeof delta["content"] === "string") text += delta["content"];
        stop = stopReason(choice["finish_reason"]) ?? stop;
      },
      response(): CallResponse {
        return { text, usage, responseId: id, model, stopReason: stop };
      },
    };
  },
};

/**
 * Wraps an OpenAI SDK client so every `chat.completions.create` call is
 * recorded as a receipt on the trace: the request body (model, messages,
 * parameters; never headers, keys or `user`), usage exactly as the response
 * reports it (cached prompt tokens kept apart), latency, and the error of a
 * failed call (then rethrown unchanged). Streaming calls are recorded when
 * read to the end with `for await` (ask for `stream_options:
 * {include_usage: true}` to get usage). Everything else passes through.
 *
 * @param client An `OpenAI` client (or anything with `chat.completions.create`).
 * @param tracer The trace to record on.
 * @param options The step the calls belong to, their purpose, a model config id.
 * @returns The same client, recording.
 *
 * @example With a stand-in client
 * ```ts
 * import { open, Tracer, wrapOpenAI } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "bot", steps: [{ id: "answer" }] });
 * const client = {
 *   chat: {
 *     completions: {
 *       create: (body: { model: string; [key: string]: unknown }) =>
 *         Promise.resolve({ id: "c1", model: body.model, choices: [{ message: { content: "Hi" }, finish_reason: "stop" }], usage: { prompt_tokens: 5, completion_tokens: 1 } }),
 *     },
 *   },
 * };
 * const traced = wrapOpenAI(client, tracer, { step: "answer" });
 * const completion = await traced.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] });
 * assert.equal(completion.choices[0]!.message.content, "Hi");
 * ```
 */
export function wrapOpenAI<C extends OpenAILike>(
  client: C,
  tracer: Tracer,
  options: WrapClientOptions = {},
): C {
  return replaceMethod(
    client,
    ["chat", "completions", "create"],
    (original) => recordingCreate(original, tracer, READER, options),
  );
}
