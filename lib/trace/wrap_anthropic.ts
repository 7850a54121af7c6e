import type { CallResponse } from "./record_call.ts";
import type { Tracer } from "./tracer.ts";
import {
  type CallReader,
  count,
  record,
  recordingCreate,
  replaceMethod,
  type WrapClientOptions,
} from "./_wrap.ts";

export type { WrapClientOptions };

/** Anything shaped like an Anthropic SDK client: `messages.create(body, options?)`. */
export interface AnthropicLike {
  /** The Messages API. */
  readonly messages: {
    /** Creates a message. */
    // deno-lint-ignore no-explicit-any
    create(body: any, options?: any): any;
  };
}

const STOP_REASONS: Readonly<Record<string, string>> = {
  end_turn: "end",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  refusal: "refusal",
  tool_use: "tool_use",
};

function stopReason(value: unknown): string | null {
  return typeof value === "string" ? STOP_REASONS[value] ?? value : null;
}

const READER: CallReader = {
  provider: "anthropic",
  request(body) {
    const {
      model: _model,
      messages,
      system,
      stream: _stream,
      metadata: _m,
      ...params
    } = body;
    return {
      ...(system === undefined ? {} : { system }),
      messages: Array.isArray(messages) ? messages : [],
      params,
    };
  },
  response(result) {
    const message = record(result);
    const blocks = Array.isArray(message["content"])
      ? message["content"].map(record)
      : [];
    const usage = record(message["usage"]);
    return {
      text: blocks.filter((b) => b["type"] === "text")
        .map((b) => String(b["text"] ?? "")).join(""),
      usage: message["usage"] === undefined ? null : {
        input_tokens: count(usage["input_tokens"]),
        output_tokens: count(usage["output_tokens"]),
        cache_read_tokens: count(usage["cache_read_input_tokens"]),
        cache_write_tokens: count(usage["cache_creation_input_tokens"]),
      },
      responseId: typeof message["id"] === "string" ? message["id"] : null,
      model: typeof message["model"] === "string" ? message["model"] : null,
      stopReason: stopReason(message["stop_reason"]),
    };
  },
  stream() {
    let text = "";
    let id: string | null = null;
    let model: string | null = null;
    let stop: string | null = null;
    const usage: Record<string, number | null> = {};
    const take = (u: Record<string, unknown>) => {
      for (
        const [from, to] of [
          ["input_tokens", "input_tokens"],
          ["output_tokens", "output_tokens"],
          ["cache_read_input_tokens", "cache_read_tokens"],
          ["cache_creation_input_tokens", "cache_write_tokens"],
        ] as const
      ) {
        if (count(u[from]) !== null) usage[to] = count(u[from]);
      }
    };
    return {
      add(event) {
        const e = record(event);
        if (e["type"] === "message_start") {
          const message = record(e["message"]);
          id = typeof message["id"] === "string" ? message["id"] : id;
          model = typeof message["model"] === "string"
            ? message["model"]
            : model;
          take(record(message["usage"]));
        } else if (e["type"] === "content_block_delta") {
          const delta = record(e["delta"]);
          if (delta["type"] === "text_delta") {
            text += String(delta["text"] ?? "");
          }
        } else if (e["type"] === "message_delta") {
          stop = stopReason(record(e["delta"])["stop_reason"]) ?? stop;
          take(record(e["usage"]));
        }
      },
      response(): CallResponse {
        return {
          text,
          usage: Object.keys(usage).length === 0 ? null : usage,
          responseId: id,
          model,
          stopReason: stop,
        };
      },
    };
  },
};

/**
 * Wraps an Anthropic SDK client so every `messages.create` call is recorded
 * as a receipt on the trace: the request body (model, system, messages,
 * parameters; never headers, keys or `metadata`), usage exactly as the
 * response reports it, latency, and the error of a failed call (which is
 * then rethrown unchanged). Streaming calls (`stream: true`) are recorded
 * when the caller has read the stream with `for await`. Everything else
 * on the client passes through untouched.
 *
 * @param client An `Anthropic` client (or anything with `messages.create`).
 * @param tracer The trace to record on.
 * @param options The step the calls belong to, their purpose, a model config id.
 * @returns The same client, recording.
 *
 * @example With a stand-in client
 * ```ts
 * import { open, Tracer, wrapAnthropic } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "bot", steps: [{ id: "answer" }] });
 * const client = {
 *   messages: {
 *     create: (body: { model: string; [key: string]: unknown }) =>
 *       Promise.resolve({ id: "msg_1", model: body.model, content: [{ type: "text", text: "Hi" }], stop_reason: "end_turn", usage: { input_tokens: 5, output_tokens: 1 } }),
 *   },
 * };
 * const traced = wrapAnthropic(client, tracer, { step: "answer" });
 * const message = await traced.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "Hello" }] });
 * assert.equal(message.content[0]!.text, "Hi");
 * ```
 */
export function wrapAnthropic<C extends AnthropicLike>(
  client: C,
  tracer: Tracer,
  options: WrapClientOptions = {},
): C {
  return replaceMethod(
    client,
    ["messages", "create"],
    (original) => recordingCreate(original, tracer, READER, options),
  );
}
