/**
 * One model call as the runner makes it: a cache hit becomes a receipt
 * that points at the receipt it reuses; otherwise the adapter is called
 * (rate limits, retries, timeout), the provider's usage priced at the
 * call's time, and the receipt sealed.
 *
 * @module
 */
import { newId, nowIso } from "../content/ids.ts";
import { costOf, priceAt } from "../providers/pricing.ts";
import type { ModelConfig } from "../schema/model.ts";
import { type CallPurpose, receiptReference } from "../schema/receipt.ts";
import { sha256Hex } from "../content/sha256.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import type { RunRecord } from "../store/runs.ts";
import type { SendJournal } from "../store/send_journal.ts";
import type { KnownHits, ReceiptCache } from "./_cache.ts";
import { canonicalValue } from "./_canonical.ts";
import {
  type Call,
  type PreparedCall,
  recordedRequest,
  seal,
} from "./_request_identity.ts";
import type { RunResources } from "./_resources.ts";
import { callModel } from "./call_model.ts";
import type { CallSize } from "./rate_limiter.ts";
import type { CacheMode, RunnerOptions } from "./options.ts";

/** Makes a run's model calls and counts them. */
export class Caller {
  /** Calls that reached an adapter (counted once sent). */
  adapterCalls = 0;
  /** Receipts served from the cache. */
  cacheHits = 0;
  /** Attempts made by the calls that reached an adapter. */
  attempts = 0;
  /** Attempts that failed (rate limits, server errors, timeouts, ...). */
  failedAttempts = 0;
  /** Attempts refused by a rate limit. */
  rateLimited = 0;
  /** Time waited after failed attempts, in ms. */
  retryWaitMs = 0;
  readonly #run: RunRecord;
  readonly #resources: RunResources;
  readonly #cache: ReceiptCache;
  readonly #mode: CacheMode;
  readonly #options: RunnerOptions;
  readonly #journal: SendJournal;
  /**
   * Per model config, the request member texts last found free of key
   * shapes (a system prompt repeats every call, a case's messages every
   * repetition): not searched again.
   */
  readonly #clean = new Map<string, Map<string, string>>();

  constructor(
    run: RunRecord,
    resources: RunResources,
    cache: ReceiptCache,
    journal: SendJournal,
    options: RunnerOptions & { cache: CacheMode },
  ) {
    this.#journal = journal;
    this.#run = run;
    this.#resources = resources;
    this.#cache = cache;
    this.#mode = options.cache;
    this.#options = options;
  }

  /**
   * Records a call that is not made (its request broke a bound): a receipt
   * with the error, no attempt and no cost, so the cell says why.
   */
  refuse(
    purpose: CallPurpose,
    config: ModelConfig,
    prepared: PreparedCall,
    error: { kind: string; message: string },
  ): Call {
    return seal({
      run_id: this.#run.id,
      trace_id: this.#run.trace_id,
      purpose,
      provider: config.provider,
      model: config.model,
      model_config_id: config.id,
      request: recordedRequest(prepared.request),
      cache_key: prepared.key,
      id: newId("io"),
      response: null,
      text: null,
      usage: null,
      cost: null,
      uncached_cost: null,
      currency: null,
      price_id: null,
      latency_ms: 0,
      status: "error",
      error,
      attempts: 0,
      cached_from: null,
      provider_response_id: null,
      stop_reason: null,
      created_at: nowIso(),
    }, {
      request: prepared.recordedJson,
      requestMembers: prepared.members,
      response: null,
    });
  }

  /**
   * Makes one call and seals its receipt. `known` holds cache lookups made
   * ahead; `sent` is called when the request is handed to the adapter.
   */
  async call(
    purpose: CallPurpose,
    config: ModelConfig,
    prepared: PreparedCall,
    known?: KnownHits,
    sent?: () => void,
  ): Promise<Call> {
    const { request, key } = prepared;
    const scrubber = this.#resources.scrubber;
    // A prompt that carries a secret is stored without it (the cache key,
    // a hash, is kept).
    let { recordedJson } = prepared;
    let requestMembers: Readonly<Record<string, string>> | undefined =
      prepared.members;
    let recorded = recordedRequest(request);
    let clean = this.#clean.get(config.id);
    if (clean === undefined) {
      clean = new Map();
      this.#clean.set(config.id, clean);
    }
    if (scrubber.containsInMembers(recordedJson, prepared.members, clean)) {
      recorded = scrubber.scrubValue(recorded);
      recordedJson = canonicalValue(recorded);
      requestMembers = undefined;
    }
    const base = {
      run_id: this.#run.id,
      trace_id: this.#run.trace_id,
      purpose,
      provider: config.provider,
      model: config.model,
      model_config_id: config.id,
      request: recorded,
      cache_key: key,
    };
    if (key && this.#mode === "use") {
      const hit = await this.#cache.get(key, known);
      if (hit) {
        this.cacheHits++;
        // Stored as a reference to the receipt it reuses, and sealed so:
        // its own fields and the original's sha256, which covers the
        // request and response it reused.
        const unsealed = {
          ...base,
          id: newId("io"),
          response: hit.response,
          text: hit.text,
          usage: hit.usage,
          cost: "0",
          uncached_cost: hit.uncached_cost ?? hit.cost,
          currency: hit.currency,
          price_id: hit.price_id,
          latency_ms: 0,
          status: "ok" as const,
          error: null,
          attempts: 0,
          cached_from: hit.id,
          cached_sha256: hit.sha256,
          provider_response_id: hit.provider_response_id,
          stop_reason: hit.stop_reason,
          created_at: nowIso(),
        };
        return {
          receipt: {
            ...unsealed,
            sha256: sha256Hex(canonicalValue(receiptReference(unsealed))),
          },
          json: { request: recordedJson, response: hit.responseJson },
        };
      }
    }
    const adapter = this.#resources.adapters.get(config.id)!;
    const limiter = this.#resources.limiters.get(config.provider);
    const size = limiter?.limitsTokens ? callSize(request) : undefined;
    // Counted once the call is sent: a call still waiting for the rate
    // limiter when the run is interrupted was never made.
    let counted = false;
    const outcome = await callModel(adapter, request, this.#options.retry, {
      ...(limiter ? { acquire: () => limiter.acquire(size) } : {}),
      beforeSend: this.#journal.mark,
      sent: () => {
        if (!counted) {
          counted = true;
          this.adapterCalls++;
        }
        sent?.();
      },
      simulateLatency: this.#options.simulateLatency ?? false,
      ...(this.#options.callDeadline
        ? { deadline: this.#options.callDeadline }
        : {}),
    });
    this.attempts += outcome.attempts;
    this.failedAttempts += outcome.failures.length;
    for (const f of outcome.failures) {
      if (f.kind === "rate_limit") this.rateLimited++;
      this.retryWaitMs += f.wait_ms;
    }
    const created = nowIso();
    // What the provider sent back is stored without the secrets it echoed.
    const response = outcome.response === null
      ? null
      : scrubber.scrubValue(outcome.response);
    const reported = response?.usage ?? null;
    // A usage object with no figure in it is no usage: recorded as unknown.
    const usage = reported && Object.values(reported).some((v) => v !== null)
      ? reported
      : null;
    const price = priceAt(
      this.#resources.prices.get(`${config.provider}/${config.model}`) ?? [],
      created,
    );
    const cost = usage && price ? costOf(usage, price) : null;
    const call = seal({
      ...base,
      id: newId("io"),
      response,
      text: response?.text ?? null,
      usage,
      cost: cost?.cost ?? null,
      uncached_cost: cost?.cost ?? null,
      currency: cost?.currency ?? price?.currency ?? null,
      price_id: price?.id ?? null,
      latency_ms: Math.round(outcome.latencyMs * 1000) / 1000,
      status: response ? "ok" : "error",
      error: outcome.error
        ? {
          kind: outcome.error.kind,
          message: scrubber.scrub(outcome.error.message),
          ...(outcome.error.status === undefined
            ? {}
            : { status: outcome.error.status }),
        }
        : null,
      attempts: outcome.attempts,
      cached_from: null,
      provider_response_id: response?.response_id ?? null,
      stop_reason: response?.stop_reason ?? null,
      created_at: created,
    }, {
      request: recordedJson,
      ...(requestMembers ? { requestMembers } : {}),
      response: response === null ? null : canonicalValue(response),
    });
    return outcome.failures.length === 0
      ? call
      : { ...call, failures: outcome.failures };
  }
}

const encoder = new TextEncoder();

/** Where texts are encoded to be counted (grown as needed, never kept). */
let scratch = new Uint8Array(64 * 1024);

/** The UTF-8 length of a text, without keeping its bytes. */
function utf8Length(text: string): number {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  if (scratch.length < text.length * 3) {
    scratch = new Uint8Array(text.length * 3);
  }
  return encoder.encodeInto(text, scratch).written;
}

/** A request's prompt (system prompt and messages) in UTF-8 bytes. */
export function promptBytes(request: ModelRequest): number {
  let bytes = request.system ? utf8Length(request.system) : 0;
  for (const m of request.messages) bytes += utf8Length(m.content);
  return bytes;
}

/** A request's prompt size and its `max_tokens`, for the token limiter. */
function callSize(request: ModelRequest): CallSize {
  const max = request.params?.max_tokens;
  return {
    promptBytes: promptBytes(request),
    maxTokens: typeof max === "number" ? max : undefined,
  };
}
