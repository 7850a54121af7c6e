/**
 * Records a model call made by a user's own code as a receipt, with the
 * same fields the toolkit's runner records, and binds it into the trace.
 *
 * @module
 */
import * as z from "zod";
import { newId } from "../content/ids.ts";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import type { Usage } from "../schema/model_call.ts";
import { costOf, priceAt } from "../providers/pricing.ts";
import type { Receipt } from "../schema/receipt.ts";
import { listPrices } from "../store/catalog.ts";
import { insertRecordedCall } from "../store/recorded_calls.ts";
import type { Tracer } from "./tracer.ts";

/** Token usage as the provider reported it; leave out what it did not report. */
export interface CallUsage {
  /** Uncached input tokens. */
  input_tokens?: number | null;
  /** Output tokens. */
  output_tokens?: number | null;
  /** Input tokens read from the provider's prompt cache. */
  cache_read_tokens?: number | null;
  /** Input tokens written to the provider's prompt cache. */
  cache_write_tokens?: number | null;
}

/** The answer of a successful call. */
export interface CallResponse {
  /** The text answer. */
  text: string;
  /** Usage from the provider's response (never estimated); null when absent. */
  usage?: CallUsage | null;
  /** The provider's response id. */
  responseId?: string | null;
  /** The model that answered, as the provider named it. */
  model?: string | null;
  /** Why generation stopped (`end`, `max_tokens`, `stop_sequence`, `refusal`, `tool_use` or the provider's word). */
  stopReason?: string | null;
}

/** The failure of a call. */
export interface CallFailure {
  /** A low-cardinality kind: `rate_limit`, `server`, `overloaded`, `timeout`, `auth`, `bad_request`, `network`, `aborted`, ... */
  kind: string;
  /** The error message (secrets are removed). */
  message: string;
  /** The HTTP status, when there was one. */
  status?: number;
}

/** One model call, as the caller saw it. */
export interface RecordCallInput {
  /** The provider, e.g. `anthropic` or `openai`. */
  provider: string;
  /** The model requested. */
  model: string;
  /**
   * What was sent: the messages, the system prompt and the parameters (no
   * headers, no keys; secret-looking strings are removed anyway).
   */
  request: {
    /** The system prompt, when separate from the messages. */
    system?: unknown;
    /** The messages sent. */
    messages: readonly unknown[];
    /** Generation parameters (max_tokens, temperature, ...). */
    params?: Record<string, unknown>;
  };
  /** The answer, when the call succeeded. */
  response?: CallResponse | null;
  /** The failure, when it failed. */
  error?: CallFailure | null;
  /** Wall time of the call in milliseconds. */
  latencyMs: number;
  /** The workflow step the call belongs to. */
  step?: string;
  /** Why the model was called. @default {"generate"} */
  purpose?: "generate" | "judge";
  /** The model config id, when the call used one. */
  modelConfigId?: string | null;
  /** Attempts the call took. @default {1} */
  attempts?: number;
  /**
   * The catalog task this call serves in production, so that
   * `scoreTraces` can score it with the task's checks and judge.
   */
  task?: string;
  /**
   * The task input the prompt was built from (an object matching the
   * task's `input_schema`), recorded on the call's trace event (secrets
   * removed) for `scoreTraces`.
   */
  input?: Record<string, unknown>;
}

/** What {@linkcode recordCall} stored. */
export interface RecordedCall {
  /** The receipt id. */
  readonly id: string;
  /** The receipt's sha256 (over its canonical content). */
  readonly sha256: string;
  /** `ok` or `error`. */
  readonly status: "ok" | "error";
  /** Usage as recorded (null when the provider reported none). */
  readonly usage: Usage | null;
  /** The cost from the price in force, decimal string; null when usage or price is unknown. */
  readonly cost: string | null;
  /** The index of the `model_call` trace event. */
  readonly eventIndex: number;
}

const Count = z.number().int().min(0).nullable().optional();
const InputSchema = z.object({
  provider: z.string().min(1),
  model: z.string().min(1),
  request: z.object({
    system: z.unknown().optional(),
    messages: z.array(z.unknown()),
    params: z.record(z.string(), z.unknown()).optional(),
  }),
  response: z.object({
    text: z.string(),
    usage: z.object({
      input_tokens: Count,
      output_tokens: Count,
      cache_read_tokens: Count,
      cache_write_tokens: Count,
    }).nullable().optional(),
    responseId: z.string().nullable().optional(),
    model: z.string().nullable().optional(),
    stopReason: z.string().nullable().optional(),
  }).nullable().optional(),
  error: z.object({
    kind: z.string().min(1),
    message: z.string(),
    status: z.number().int().optional(),
  }).nullable().optional(),
  latencyMs: z.number().min(0),
  step: z.string().optional(),
  purpose: z.enum(["generate", "judge"]).optional(),
  modelConfigId: z.string().nullable().optional(),
  attempts: z.number().int().min(1).optional(),
  task: z.string().min(1).optional(),
  input: z.record(z.string(), z.unknown()).optional(),
}).refine((v) => (v.response ?? null) !== null || (v.error ?? null) !== null, {
  message:
    "give the response of a successful call or the error of a failed one",
});

function normalizeUsage(usage: CallUsage | null | undefined): Usage | null {
  if (!usage) return null;
  const out: Usage = {
    input_tokens: usage.input_tokens ?? null,
    output_tokens: usage.output_tokens ?? null,
    cache_read_tokens: usage.cache_read_tokens ?? null,
    cache_write_tokens: usage.cache_write_tokens ?? null,
  };
  return Object.values(out).every((v) => v === null) ? null : out;
}

/**
 * Records a model call made by your own code as a receipt (append-only),
 * with usage exactly as the provider reported it, latency, error, and the
 * cost from the stored price in force; and appends a `model_call` event
 * carrying the receipt's id and sha256 to the trace, in one transaction.
 * Use it when you call a provider yourself; {@linkcode wrapAnthropic} and
 * {@linkcode wrapOpenAI} call it for you.
 *
 * @param tracer The trace the call belongs to.
 * @param call What was sent and what came back.
 * @returns The receipt's id, sha256, usage and cost.
 * @throws {ValidationError} If the call description is malformed.
 * @throws {RangeError} If the step is not declared in the workflow.
 *
 * @example Record a call by hand
 * ```ts
 * import { open, recordCall, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "triage", steps: [{ id: "classify" }] });
 * const receipt = await recordCall(tracer, {
 *   provider: "anthropic",
 *   model: "claude-haiku-4-5",
 *   request: { messages: [{ role: "user", content: "Where is my parcel?" }], params: { max_tokens: 200 } },
 *   response: { text: "shipping", usage: { input_tokens: 12, output_tokens: 1 } },
 *   latencyMs: 420,
 *   step: "classify",
 * });
 * assert.equal(receipt.status, "ok");
 * assert.equal(receipt.usage?.input_tokens, 12);
 * ```
 */
export async function recordCall(
  tracer: Tracer,
  call: RecordCallInput,
): Promise<RecordedCall> {
  const parsed = InputSchema.safeParse(call);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({
      field: ["call", ...issue.path].join("."),
      message: issue.message,
    })));
  }
  const scrubber = tracer.secrets;
  const input = call;
  const createdAt = tracer.now();
  const usage = normalizeUsage(input.response?.usage);
  const prices = await listPrices(tracer.store, input.provider, input.model);
  const price = prices.length > 0 ? priceAt(prices, createdAt) : null;
  const cost = input.response ? costOf(usage, price) : null;
  const response = input.response
    ? {
      text: input.response.text,
      usage,
      response_id: input.response.responseId ?? null,
      model: input.response.model ?? input.model,
      stop_reason: input.response.stopReason ?? null,
    }
    : null;
  const error = input.error
    ? {
      kind: input.error.kind,
      message: scrubber.scrub(input.error.message),
      ...(input.error.status === undefined
        ? {}
        : { status: input.error.status }),
    }
    : null;
  const request = scrubber.scrubValue({
    ...(input.request.system === undefined
      ? {}
      : { system: input.request.system }),
    messages: input.request.messages,
    params: input.request.params ?? {},
  });
  const unsealed: Omit<Receipt, "sha256"> = {
    id: newId("io"),
    run_id: null,
    trace_id: tracer.traceId,
    purpose: input.purpose ?? "generate",
    provider: input.provider,
    model: input.model,
    model_config_id: input.modelConfigId ?? null,
    request: request as unknown as Receipt["request"],
    response: response === null ? null : scrubber.scrubValue(response),
    text: response === null ? null : scrubber.scrub(response.text),
    usage,
    cost: cost?.cost ?? null,
    uncached_cost: cost?.cost ?? null,
    currency: cost?.currency ?? null,
    price_id: cost === null ? null : price?.id ?? null,
    latency_ms: input.latencyMs,
    status: error === null ? "ok" : "error",
    error,
    attempts: input.attempts ?? 1,
    cache_key: null,
    cached_from: null,
    provider_response_id: response?.response_id ?? null,
    stop_reason: response?.stop_reason ?? null,
    created_at: createdAt,
  };
  const receipt: Receipt = { ...unsealed, sha256: contentHash(unsealed) };
  const mark = tracer.mark();
  const event = tracer.next("model_call", {
    ...(input.step === undefined ? {} : { step: input.step }),
    data: {
      receipt_id: receipt.id,
      receipt_sha256: receipt.sha256,
      provider: receipt.provider,
      model: receipt.model,
      status: receipt.status,
      ...(input.task === undefined ? {} : { task: input.task }),
      ...(input.input === undefined
        ? {}
        : { input: scrubber.scrubValue(input.input) }),
    },
  });
  try {
    await insertRecordedCall(tracer.store, receipt, [event]);
  } catch (e) {
    tracer.reset(mark);
    throw e;
  }
  return {
    id: receipt.id,
    sha256: receipt.sha256,
    status: receipt.status,
    usage,
    cost: receipt.cost,
    eventIndex: event.index,
  };
}
