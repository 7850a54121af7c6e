import type { ModelRequest, ModelResponse, Usage } from "./model_call.ts";

/** Why a model was called. */
export type CallPurpose = "generate" | "judge";

/** A failure recorded on a receipt. */
export interface CallError {
  /** The normalized kind (see ProviderErrorKind), or `config` / `internal`. */
  readonly kind: string;
  /** What went wrong, as the provider or runtime said it. */
  readonly message: string;
  /** Whether the call succeeded. */
  readonly status?: number;
}

/** The request as recorded: what was sent, without the abort signal or fake hints. */
export type RecordedRequest = Omit<ModelRequest, "signal" | "hints">;

/**
 * A receipt: one model call as it happened. Every figure the toolkit shows
 * is derived from receipts. Stored in `model_io` (append-only).
 */
export interface Receipt {
  /** The receipt id. */
  readonly id: string;
  /** The run the call belongs to (null for calls traced outside a run). */
  readonly run_id: string | null;
  /** The trace the call belongs to. */
  readonly trace_id: string | null;
  /** Why the model was called. */
  readonly purpose: CallPurpose;
  /** The provider name. */
  readonly provider: string;
  /** The model name as configured. */
  readonly model: string;
  /** The model config used. */
  readonly model_config_id: string | null;
  /** The request as sent (no keys). */
  readonly request: RecordedRequest;
  /** The response as returned; null when the call failed. */
  readonly response: ModelResponse | null;
  /** The text answer; `null` when the call failed. */
  readonly text: string | null;
  /** Usage from the provider; `null` when unknown (never estimated). */
  readonly usage: Usage | null;
  /** Cost charged for this call, decimal string; "0" for a cache hit; `null` when usage or price is unknown. */
  readonly cost: string | null;
  /** What the call would have cost uncached (equals `cost` for a live call). */
  readonly uncached_cost: string | null;
  /** The currency of the cost. */
  readonly currency: string | null;
  /** The price row used for the cost. */
  readonly price_id: string | null;
  /** Wall time of the successful (or last) attempt, in ms; 0 for a cache hit. */
  readonly latency_ms: number;
  /** Whether the call succeeded. */
  readonly status: "ok" | "error";
  /** The failure, when every attempt failed. */
  readonly error: CallError | null;
  /** How many attempts the call took (1 = no retry). */
  readonly attempts: number;
  /** sha256 of the canonical call (null when the cache is off). */
  readonly cache_key: string | null;
  /** For a cache hit: the id of the receipt that was reused. */
  readonly cached_from: string | null;
  /**
   * For a cache hit sealed as a reference (bundle format 2): the sha256 of
   * the receipt it reused. Its own `sha256` then covers its reference form
   * ({@linkcode receiptReference}), which this binds to the original's
   * request and response; absent on every other receipt, whose `sha256`
   * covers its whole content.
   */
  readonly cached_sha256?: string;
  /** The provider's response id (kept, never used as a key). */
  readonly provider_response_id: string | null;
  /** The normalized stop reason. */
  readonly stop_reason: string | null;
  /** sha256 of the canonical receipt without this field ({@linkcode sealedContent}: its reference form for a cache hit with `cached_sha256`). */
  readonly sha256: string;
  /** When the call finished. */
  readonly created_at: string;
}

/**
 * The fields a cache hit has of its own; the rest (request, response,
 * text, usage, currency, price, provider response id, stop reason) are its
 * original's.
 */
export const REFERENCE_FIELDS = [
  "id",
  "run_id",
  "trace_id",
  "purpose",
  "provider",
  "model",
  "model_config_id",
  "cost",
  "uncached_cost",
  "latency_ms",
  "status",
  "error",
  "attempts",
  "cache_key",
  "cached_from",
  "cached_sha256",
  "created_at",
] as const;

/** A cache hit in its reference form: what its `sha256` covers, and what a bundle carries. */
export type ReceiptReference =
  & Pick<Receipt, Exclude<typeof REFERENCE_FIELDS[number], "cached_sha256">>
  & { readonly cached_sha256: string };

/**
 * The reference form of a cache hit sealed as a reference: its own fields,
 * `cached_from` and the original's sha256 (`cached_sha256`). Its `sha256`
 * is the hash of this.
 */
export function receiptReference(
  receipt: Omit<Receipt, "sha256"> & { readonly cached_sha256: string },
): ReceiptReference {
  return Object.fromEntries(
    REFERENCE_FIELDS.map((f) => [f, receipt[f]]),
  ) as unknown as ReceiptReference;
}

/**
 * What a receipt's `sha256` is the hash of (RFC 8785 canonical JSON, then
 * SHA-256): its reference form for a cache hit sealed as a reference, its
 * whole content (without `sha256`) for every other receipt.
 */
export function sealedContent(
  receipt: Omit<Receipt, "sha256"> & { readonly sha256?: string },
): Readonly<Record<string, unknown>> {
  if (receipt.cached_sha256 !== undefined) {
    return receiptReference(
      receipt as Omit<Receipt, "sha256"> & { cached_sha256: string },
    );
  }
  const { sha256: _, ...content } = receipt;
  return content;
}

/**
 * One failed attempt of a model call (a rate limit, a server error, ...)
 * and how long the call waited after it before the next attempt (0 after
 * its last). Receipts count attempts; these say what the failed ones were.
 * The runner records them in the cell's trace events (`attempt_failures`).
 */
export interface AttemptFailure {
  /** The normalized kind of failure (`rate_limit`, `server`, `timeout`, ...). */
  readonly kind: string;
  /** The HTTP status, when the provider answered with one. */
  readonly status?: number;
  /** The wait after this attempt before the next one, in ms (0 after the last). */
  readonly wait_ms: number;
}

/**
 * The fields of a receipt that scorecards and verdicts read (a full
 * {@linkcode Receipt} is one), so a run's figures can be read without its
 * requests and responses.
 */
export type ReceiptFigures =
  & Pick<
    Receipt,
    | "id"
    | "purpose"
    | "status"
    | "cached_from"
    | "latency_ms"
    | "usage"
    | "cost"
    | "uncached_cost"
    | "currency"
  >
  & {
    /**
     * The call went out before its adapter had read any answer (its
     * response says `connection_cold`): connection set-up may be in its
     * latency, so latency summaries leave it out.
     */
    readonly connection_cold?: boolean;
    /** Attempts the call took (0 for a cache hit); absent when not known. */
    readonly attempts?: number;
    /** Its failed attempts, when recorded (runs made before they were have none). */
    readonly attempt_failures?: readonly AttemptFailure[];
  };
