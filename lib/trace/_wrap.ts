/**
 * What the Anthropic and OpenAI client wrappers share: a proxy that swaps
 * one method deep in a client, the timing and recording of a call, error
 * classification, and stream pass-through that records when the stream ends.
 *
 * @module
 */
import {
  type CallFailure,
  type CallResponse,
  recordCall,
} from "./record_call.ts";
import type { Tracer } from "./tracer.ts";

/** Options both wrappers take. */
export interface WrapClientOptions {
  /** The workflow step the calls belong to. */
  step?: string;
  /** Why the model is called. @default {"generate"} */
  purpose?: "generate" | "judge";
  /** The model config id to record on receipts. */
  modelConfigId?: string;
  /** The catalog task the calls serve in production (see `RecordCallInput.task`). */
  task?: string;
  /** Reads a call's task input from its request body (see `RecordCallInput.input`). */
  inputOf?: (
    body: Readonly<Record<string, unknown>>,
  ) => Record<string, unknown> | undefined;
}

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;

/** A proxy of `root` in which `path` (e.g. ["chat", "completions", "create"]) is replaced. */
export function replaceMethod<T extends object>(
  root: T,
  path: readonly string[],
  replacement: (original: Fn) => Fn,
): T {
  const [head, ...rest] = path;
  return new Proxy(root, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== head) {
        return typeof value === "function" ? value.bind(target) : value;
      }
      if (rest.length === 0) {
        return replacement((value as Fn).bind(target));
      }
      return replaceMethod(value as object, rest, replacement);
    },
  });
}

/** The kind of a thrown SDK error: from its HTTP status, else its name. */
export function failureOf(error: unknown): CallFailure {
  const e = error as {
    status?: unknown;
    name?: unknown;
    message?: unknown;
    error?: { error?: { type?: unknown }; type?: unknown };
  };
  const status = typeof e?.status === "number" ? e.status : undefined;
  const bodyType = e?.error?.error?.type ?? e?.error?.type;
  const name = typeof e?.name === "string" ? e.name : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  let kind: string;
  if (bodyType === "overloaded_error" || status === 529) kind = "overloaded";
  else if (status === 429) kind = "rate_limit";
  else if (status === 401 || status === 403) kind = "auth";
  else if (status === 408 || /Timeout/i.test(name)) kind = "timeout";
  else if (status !== undefined && status >= 500) kind = "server";
  else if (status !== undefined) kind = "bad_request";
  else if (/Abort/i.test(name)) kind = "aborted";
  else if (/Connection|Network|TypeError/i.test(name)) kind = "network";
  else kind = "internal";
  return { kind, message, ...(status === undefined ? {} : { status }) };
}

/** How one provider's calls are read. */
export interface CallReader {
  /** The provider name recorded on receipts. */
  readonly provider: string;
  /** The recorded request: system, messages, params (never headers). */
  request(body: Record<string, unknown>): {
    system?: unknown;
    messages: unknown[];
    params: Record<string, unknown>;
  };
  /** The answer of a non-streaming call. */
  response(result: unknown): CallResponse;
  /** A collector for a streaming call's events. */
  stream(): { add(event: unknown): void; response(): CallResponse };
}

function taskInput(
  options: WrapClientOptions,
  body: Record<string, unknown> | undefined,
): { input?: Record<string, unknown> } {
  const input = options.inputOf?.(body ?? {});
  return input === undefined ? {} : { input };
}

/** Wraps one `create` method so every call is recorded as a receipt. */
export function recordingCreate(
  original: Fn,
  tracer: Tracer,
  reader: CallReader,
  options: WrapClientOptions,
): Fn {
  return async function create(body: Record<string, unknown>, ...rest) {
    const started = performance.now();
    const base = {
      provider: reader.provider,
      model: String(body?.["model"] ?? "unknown"),
      request: reader.request(body ?? {}),
      ...(options.step === undefined ? {} : { step: options.step }),
      ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
      ...(options.modelConfigId === undefined
        ? {}
        : { modelConfigId: options.modelConfigId }),
      ...(options.task === undefined ? {} : { task: options.task }),
      ...taskInput(options, body),
    };
    let result: unknown;
    try {
      result = await original(body, ...rest);
    } catch (error) {
      await recordCall(tracer, {
        ...base,
        error: failureOf(error),
        latencyMs: performance.now() - started,
      });
      throw error;
    }
    if (body?.["stream"] === true && isAsyncIterable(result)) {
      return recordingStream(result, reader, async (response, error) => {
        await recordCall(tracer, {
          ...base,
          ...(error === undefined ? { response } : { error: failureOf(error) }),
          latencyMs: performance.now() - started,
        });
      });
    }
    await recordCall(tracer, {
      ...base,
      response: reader.response(result),
      latencyMs: performance.now() - started,
    });
    return result;
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] ===
      "function";
}

/**
 * The stream, passed through event by event; when the caller has read it
 * to the end (or stopped, or it failed) the call is recorded once.
 */
function recordingStream<T extends AsyncIterable<unknown>>(
  stream: T,
  reader: CallReader,
  done: (response: CallResponse, error?: unknown) => Promise<void>,
): T {
  const collector = reader.stream();
  let recorded = false;
  const finish = async (error: unknown) => {
    if (recorded) return;
    recorded = true;
    await done(collector.response(), error);
  };
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator) {
        return async function* () {
          let failure: { error: unknown } | undefined;
          try {
            for await (const event of target) {
              collector.add(event);
              yield event;
            }
          } catch (error) {
            failure = { error };
            throw error;
          } finally {
            // Also when the caller stops early: what was read is recorded.
            await finish(failure?.error);
          }
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A plain object, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

/** A non-negative integer, or null. */
export function count(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 0
    ? value
    : null;
}
