import type {
  ModelRequest,
  ModelResponse,
  Usage,
} from "../providers/adapter.ts";

/** Why a model was called. */
export type CallPurpose = "generate" | "judge";

/** A failure recorded on a receipt. */
export interface CallError {
  /** The normalized kind (see ProviderErrorKind), or `config` / `internal`. */
  readonly kind: string;
  readonly message: string;
  readonly status?: number;
}

/** The request as recorded: what was sent, without the abort signal or fake hints. */
export type RecordedRequest = Omit<ModelRequest, "signal" | "hints">;

/**
 * A receipt: one model call as it happened. Every figure the toolkit shows
 * is derived from receipts. Stored in `model_io` (append-only).
 */
export interface Receipt {
  readonly id: string;
  readonly run_id: string | null;
  readonly trace_id: string | null;
  readonly purpose: CallPurpose;
  readonly provider: string;
  readonly model: string;
  readonly model_config_id: string | null;
  readonly request: RecordedRequest;
  readonly response: ModelResponse | null;
  /** The text answer; `null` when the call failed. */
  readonly text: string | null;
  /** Usage from the provider; `null` when unknown (never estimated). */
  readonly usage: Usage | null;
  /** Cost charged for this call, decimal string; "0" for a cache hit; `null` when usage or price is unknown. */
  readonly cost: string | null;
  /** What the call would have cost uncached (equals `cost` for a live call). */
  readonly uncached_cost: string | null;
  readonly currency: string | null;
  /** The price row used for the cost. */
  readonly price_id: string | null;
  readonly latency_ms: number;
  readonly status: "ok" | "error";
  readonly error: CallError | null;
  /** How many attempts the call took (1 = no retry). */
  readonly attempts: number;
  readonly cache_key: string | null;
  /** For a cache hit: the id of the receipt that was reused. */
  readonly cached_from: string | null;
  readonly provider_response_id: string | null;
  readonly stop_reason: string | null;
  /** sha256 of the canonical receipt without this field. */
  readonly sha256: string;
  readonly created_at: string;
}
