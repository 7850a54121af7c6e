/**
 * A test helper: a local HTTP server on 127.0.0.1 that speaks the Anthropic
 * Messages wire format (`POST /v1/messages`) or the OpenAI Chat Completions
 * one (`POST /v1/chat/completions`), with an injectable failure plan.
 *
 * Point an adapter at it with `base_url: stub.baseUrl`. A plan decides the
 * reply to each request by its 0-based index; returning `undefined` gives
 * the default success reply. Every request is recorded, headers included, so
 * tests can assert what was sent.
 *
 * ```ts
 * await using stub = startWireStub("openai", {
 *   plan: (index) => index % 5 === 0 ? rateLimited("openai", { retryAfter: "1" }) : undefined,
 * });
 * ```
 *
 * @module
 */

/** Which provider's wire format the stub speaks. */
export type Wire = "anthropic" | "openai";

/** A request the stub received. */
export interface StubRequest {
  /** 0-based, in arrival order. */
  readonly index: number;
  readonly method: string;
  /** The path with its query, e.g. `/v1/messages`. */
  readonly path: string;
  readonly headers: Headers;
  /** The raw body. */
  readonly text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown;
}

/** What the stub answers one request with. */
export interface StubReply {
  /** @default {200} */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body (sent as application/json). */
  readonly json?: unknown;
  /** A raw body, sent as is (content type application/json unless headers say otherwise). */
  readonly text?: string;
  /**
   * Wait this long before answering. The wait ends early when the stub
   * closes, so a test's abort or timeout never leaves the server busy.
   */
  readonly delayMs?: number;
}

/** Decides the reply to request `index`; `undefined` means the default success reply. */
export type WirePlan = (
  index: number,
  request: StubRequest,
) => StubReply | undefined | Promise<StubReply | undefined>;

/** Options for {@linkcode startWireStub}. */
export interface WireStubOptions {
  /** The failure plan. @default {() => undefined} (every request succeeds) */
  readonly plan?: WirePlan;
}

/** A running stub; close it (or `await using` it) when done. */
export interface WireStub extends AsyncDisposable {
  readonly wire: Wire;
  /** The base URL to put in a model config's `base_url`. */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: readonly StubRequest[];
  /** Stops the server, ending any delayed replies. */
  close(): Promise<void>;
}

/** Token usage written into a stub reply, in the provider's own field names. */
export interface StubUsage {
  readonly input?: number;
  readonly output?: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
}

/** The usage the default success replies report. */
export const DEFAULT_STUB_USAGE: StubUsage = { input: 12, output: 3 };

const PATHS: Readonly<Record<Wire, string>> = {
  anthropic: "/v1/messages",
  openai: "/v1/chat/completions",
};

/**
 * Starts a stub on 127.0.0.1 with an ephemeral port.
 *
 * @param wire The wire format to speak.
 * @param options The failure plan.
 * @returns The running stub.
 */
export function startWireStub(
  wire: Wire,
  options: WireStubOptions = {},
): WireStub {
  const requests: StubRequest[] = [];
  const closing = new AbortController();
  const plan = options.plan ?? (() => undefined);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (incoming) => {
      const url = new URL(incoming.url);
      const text = await incoming.text();
      const request: StubRequest = {
        index: requests.length,
        method: incoming.method,
        path: url.pathname + url.search,
        headers: incoming.headers,
        text,
        json: parseJson(text),
      };
      requests.push(request);
      if (request.method !== "POST" || url.pathname !== PATHS[wire]) {
        return toResponse(
          errorReply(wire, 404, { message: `no route ${url.pathname}` }),
        );
      }
      const reply = await plan(request.index, request) ??
        successReply(wire, request);
      if (reply.delayMs !== undefined && reply.delayMs > 0) {
        await sleep(reply.delayMs, closing.signal);
      }
      return toResponse(reply);
    },
  );
  const baseUrl = wire === "anthropic"
    ? `http://127.0.0.1:${server.addr.port}`
    : `http://127.0.0.1:${server.addr.port}/v1`;
  async function close(): Promise<void> {
    closing.abort();
    await server.shutdown();
  }
  return {
    wire,
    baseUrl,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The default success reply: text `ok`, or `{}` as the structured answer when one was asked for. */
export function successReply(wire: Wire, request: StubRequest): StubReply {
  const body = isRecord(request.json) ? request.json : {};
  if (wire === "anthropic") {
    const choice = body["tool_choice"];
    return isRecord(choice) && typeof choice["name"] === "string"
      ? anthropicMessage({ tool: { name: choice["name"], input: {} } })
      : anthropicMessage({ text: "ok" });
  }
  return openaiCompletion({
    content: body["response_format"] === undefined ? "ok" : "{}",
  });
}

/**
 * A 200 Anthropic Messages body.
 *
 * @param options The text (or forced tool call), stop reason, usage (`null` leaves it out) and ids.
 */
export function anthropicMessage(options: {
  text?: string;
  tool?: { name: string; input: unknown };
  stopReason?: string | null;
  usage?: StubUsage | null;
  id?: string;
  model?: string;
}): StubReply {
  const content: unknown[] = [];
  if (options.text !== undefined) {
    content.push({ type: "text", text: options.text });
  }
  if (options.tool !== undefined) {
    content.push({
      type: "tool_use",
      id: "toolu_stub",
      name: options.tool.name,
      input: options.tool.input,
    });
  }
  const usage = options.usage === undefined
    ? DEFAULT_STUB_USAGE
    : options.usage;
  return {
    json: {
      id: options.id ?? "msg_stub",
      type: "message",
      role: "assistant",
      model: options.model ?? "claude-stub",
      content,
      stop_reason: options.stopReason === undefined
        ? (options.tool === undefined ? "end_turn" : "tool_use")
        : options.stopReason,
      stop_sequence: null,
      ...(usage === null ? {} : {
        usage: {
          input_tokens: usage.input ?? 0,
          output_tokens: usage.output ?? 0,
          ...(usage.cacheRead === undefined
            ? {}
            : { cache_read_input_tokens: usage.cacheRead }),
          ...(usage.cacheWrite === undefined
            ? {}
            : { cache_creation_input_tokens: usage.cacheWrite }),
        },
      }),
    },
  };
}

/**
 * A 200 OpenAI Chat Completions body. `usage.input` is the whole prompt
 * (`prompt_tokens`, cached tokens included) as OpenAI reports it.
 *
 * @param options The content, refusal, finish reason, usage (`null` leaves it out) and ids.
 */
export function openaiCompletion(options: {
  content?: string | null;
  refusal?: string | null;
  finishReason?: string;
  usage?: StubUsage | null;
  id?: string;
  model?: string;
}): StubReply {
  const usage = options.usage === undefined
    ? DEFAULT_STUB_USAGE
    : options.usage;
  return {
    json: {
      id: options.id ?? "chatcmpl-stub",
      object: "chat.completion",
      created: 1_700_000_000,
      model: options.model ?? "gpt-stub",
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: options.content === undefined ? "ok" : options.content,
          refusal: options.refusal ?? null,
        },
        finish_reason: options.finishReason ?? "stop",
        logprobs: null,
      }],
      ...(usage === null ? {} : {
        usage: {
          prompt_tokens: usage.input ?? 0,
          completion_tokens: usage.output ?? 0,
          total_tokens: (usage.input ?? 0) + (usage.output ?? 0),
          ...(usage.cacheRead === undefined
            ? {}
            : { prompt_tokens_details: { cached_tokens: usage.cacheRead } }),
        },
      }),
    },
  };
}

/**
 * An error reply in the provider's error body format.
 *
 * @param status The HTTP status.
 * @param options The body's error type and message, and extra headers.
 */
export function errorReply(
  wire: Wire,
  status: number,
  options: {
    type?: string;
    message?: string;
    headers?: Record<string, string>;
  } = {},
): StubReply {
  const type = options.type ?? defaultErrorType(status);
  const message = options.message ?? `stub error ${status}`;
  return {
    status,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    json: wire === "anthropic"
      ? { type: "error", error: { type, message } }
      : { error: { message, type, param: null, code: null } },
  };
}

/** A 429 with `retry-after` (seconds or an HTTP date) and/or `retry-after-ms`. */
export function rateLimited(
  wire: Wire,
  options: { retryAfter?: string; retryAfterMs?: string } = {},
): StubReply {
  const headers: Record<string, string> = {};
  if (options.retryAfter !== undefined) {
    headers["retry-after"] = options.retryAfter;
  }
  if (options.retryAfterMs !== undefined) {
    headers["retry-after-ms"] = options.retryAfterMs;
  }
  return errorReply(wire, 429, { headers });
}

/** Anthropic's 529 `overloaded_error`. */
export function overloaded(): StubReply {
  return errorReply("anthropic", 529, {
    type: "overloaded_error",
    message: "Overloaded",
  });
}

/** A 200 whose body is not JSON although it says it is. */
export function malformedReply(): StubReply {
  return { text: '{"id": "msg_stub", "content": [' };
}

/** A reply held back `delayMs` (long enough for the caller's timeout to fire first). */
export function hang(wire: Wire, delayMs: number): StubReply {
  return {
    ...(wire === "anthropic"
      ? anthropicMessage({ text: "too late" })
      : openaiCompletion({ content: "too late" })),
    delayMs,
  };
}

function defaultErrorType(status: number): string {
  if (status === 429) return "rate_limit_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 529) return "overloaded_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

function toResponse(reply: StubReply): Response {
  const headers = new Headers(reply.headers);
  if (!headers.has("content-type")) {
    headers.set("content-type", "application/json");
  }
  const body = reply.text ??
    (reply.json === undefined ? "" : JSON.stringify(reply.json));
  return new Response(body, { status: reply.status ?? 200, headers });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
