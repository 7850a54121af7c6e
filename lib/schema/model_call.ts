/**
 * A model call's data: the request every adapter is asked, the response it
 * returns and the usage the provider reported. Data only; the adapter
 * contract is in `lib/providers/adapter.ts`.
 *
 * @module
 */
import type { CheckSpec, TaskFake } from "./task.ts";
import type { ModelParams } from "./prompt.ts";

/** One chat message. */
export interface ChatMessage {
  /** Who speaks. The system prompt is {@linkcode ModelRequest.system}, not a message. */
  readonly role: "user" | "assistant";
  /** The message text. */
  readonly content: string;
}

/** Ask the provider for JSON that satisfies a schema (its structured-output feature). */
export interface StructuredOutput {
  /** A short name for the schema, e.g. `rubric_judgement`. */
  readonly name: string;
  /** The JSON Schema (type: object) the answer must satisfy. */
  readonly schema: Record<string, unknown>;
}

/** What an adapter is asked: the same shape for every provider. */
export interface ModelRequest {
  /** The system prompt, if any. */
  readonly system?: string;
  /** The conversation, oldest first. */
  readonly messages: readonly ChatMessage[];
  /** Generation parameters; they override the model config's defaults. */
  readonly params: ModelParams;
  /** Structured output: Anthropic forces a tool call, OpenAI uses a json_schema response format. */
  readonly structured?: StructuredOutput;
  /** Aborts the call (Ctrl-C, timeout). */
  readonly signal?: AbortSignal;
  /**
   * Which repetition of a cell this call is. Real providers never see it; the
   * fake provider uses it to vary its answers deterministically.
   */
  readonly repetition?: number;
  /**
   * Context only the fake provider reads, to answer as a real model would
   * (the case it is answering, or the output it is judging). Real adapters
   * never send it, and it is not part of the receipt or the cache key.
   */
  readonly hints?: FakeHints;
}

/** What the fake provider is told about the call it is answering. */
export interface FakeHints {
  /** The task name, e.g. `resume_matching`. */
  readonly task: string;
  /** The id of the dataset case. */
  readonly case_id: string;
  /** The case's slice, e.g. `adversarial`. */
  readonly slice: string;
  /** The case input the prompt was rendered from. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The case's expected values, when known. */
  readonly expected?: Readonly<Record<string, unknown>>;
  /** For judge calls: the output being judged. */
  readonly judged_output?: string;
  /** The task's output JSON Schema: the shape of a generic fake answer. */
  readonly output_schema?: Readonly<Record<string, unknown>>;
  /** The task's checks: what the fake judge reads, and the injection markers. */
  readonly checks?: readonly CheckSpec[];
  /** The task's fake profile (task.yaml `fake:`). */
  readonly fake?: TaskFake;
}

/**
 * Token usage exactly as the provider reported it. A field the provider did
 * not report is `null`: tokens are never estimated.
 */
export interface Usage {
  /** Input tokens not read from or written to a cache (OpenAI: prompt_tokens minus cached_tokens). */
  readonly input_tokens: number | null;
  /** Output tokens (reasoning tokens included). */
  readonly output_tokens: number | null;
  /** Input tokens read from the provider's prompt cache. */
  readonly cache_read_tokens: number | null;
  /** Input tokens written to the provider's prompt cache. */
  readonly cache_write_tokens: number | null;
}

/** What an adapter returns. */
export interface ModelResponse {
  /** The text answer (for structured output: the JSON text of the answer). */
  readonly text: string;
  /** Usage from the provider, or `null` when the response carried none. */
  readonly usage: Usage | null;
  /** The provider's response id, kept on the receipt but never used as a key. */
  readonly response_id: string | null;
  /** The model that answered, as the provider named it. */
  readonly model: string;
  /** Normalized stop reason: `end`, `max_tokens`, `stop_sequence`, `refusal`, `tool_use` or the provider's own word. */
  readonly stop_reason: string | null;
  /**
   * Simulated latency in milliseconds (fake provider only). The runner waits
   * for it only when asked to, e.g. in benchmarks.
   */
  readonly simulated_latency_ms?: number;
  /**
   * The provider's latency as the adapter measured it: from the request
   * handed to `fetch` to its body read, in ms (the runner records it and
   * keeps it off the stored response).
   */
  readonly latency_ms?: number;
  /**
   * The request was sent before the adapter had read any answer, so setting
   * up its connection may be in its latency: latency summaries leave it out.
   */
  readonly connection_cold?: true;
}
