/**
 * A request's identity: its recorded form's canonical JSON, its cache key,
 * and the sealed receipt's sha256, each serialized once.
 *
 * @module
 */
import type { AttemptFailure } from "./call_model.ts";
import { sha256Hex } from "../content/sha256.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { ReceiptJson } from "../store/runs.ts";
import {
  canonicalObject,
  canonicalValue,
  canonicalWith,
} from "./_canonical.ts";
import { type CacheKeyConfig, cacheKeyOf } from "./cache_key.ts";

/** A request ready to call: its recorded form's canonical JSON and its cache key. */
export interface PreparedCall {
  readonly request: ModelRequest;
  /** `canonicalize(request without signal and hints)`. */
  readonly recordedJson: string;
  /** The cache key (as `cacheKey` gives it), or null when the cache is off. */
  readonly key: string | null;
  /** The recorded request's members' canonical JSON (the parts of `recordedJson`). */
  readonly members: Readonly<Record<string, string>>;
}

/** The last value serialized for each request field, per model. */
export type SerializeMemo = Map<string, { value: unknown; json: string }>;

/** The request as it is recorded on a receipt: without the signal and the fake's hints. */
export function recordedRequest(
  request: ModelRequest,
): Omit<ModelRequest, "signal" | "hints"> {
  const { signal: _signal, hints: _hints, ...recorded } = request;
  return recorded;
}

/**
 * Serializes a request once: the same member texts make the recorded
 * request's canonical JSON and the cache key.
 */
export function prepareCall(
  config: CacheKeyConfig,
  request: ModelRequest,
  withKey: boolean,
  memo?: SerializeMemo,
): PreparedCall {
  const recorded = recordedRequest(request);
  const members: Record<string, string> = {};
  for (const field of Object.keys(recorded) as (keyof typeof recorded)[]) {
    const value = recorded[field];
    if (value === undefined) continue;
    if (memo) {
      // The system prompt, parameters and output schema repeat from call
      // to call, and a case's messages from repetition to repetition:
      // serialize them once.
      const slot = `${config.provider}/${config.model}/${field}`;
      const last = memo.get(slot);
      if (field === "messages") {
        // Kept as a copy of each message, compared field by field with
        // `===` (the same strings compare at once; a conversation array
        // changed in place is not taken for the one serialized before).
        if (last && sameMessages(last.value, value)) {
          members[field] = last.json;
          continue;
        }
        const json = canonicalValue(value);
        memo.set(slot, { value: snapshot(value), json });
        members[field] = json;
        continue;
      }
      // The same object is the same value only when frozen (a judge's
      // shared schema); params or a schema changed in place are compared
      // with a copy of what was serialized.
      if (
        last &&
        ((last.value === value && Object.isFrozen(value)) ||
          jsonEqual(last.value, value))
      ) {
        members[field] = last.json;
        continue;
      }
      const json = canonicalValue(value);
      memo.set(slot, {
        value: Object.isFrozen(value) ? value : structuredClone(value),
        json,
      });
      members[field] = json;
    } else {
      members[field] = canonicalValue(value);
    }
  }
  return {
    request,
    recordedJson: canonicalObject(members),
    key: withKey ? cacheKeyOf(config, members) : null,
    members,
  };
}

/** A sealed receipt with its canonical request and response (for the insert). */
export interface Call {
  readonly receipt: Receipt;
  readonly json: ReceiptJson;
  /** The attempts that failed (rate limits, server errors, ...) and the waits after them; absent when none did. */
  readonly failures?: readonly AttemptFailure[];
}

/** Seals a receipt: assigns its sha256 over the canonical content. */
export function seal(
  receipt: Omit<Receipt, "sha256">,
  json: ReceiptJson,
): Call {
  const text = canonicalWith(receipt, {
    request: json.request,
    ...(json.response === null ? {} : { response: json.response }),
  });
  return { receipt: { ...receipt, sha256: sha256Hex(text) }, json };
}

/** Whether two requests ask the same (their recorded parts and hints are equal). */
export function sameRequest(a: ModelRequest, b: ModelRequest): boolean {
  return a.system === b.system && a.repetition === b.repetition &&
    a.messages.length === b.messages.length &&
    a.messages.every((m, i) =>
      m.role === b.messages[i]!.role && m.content === b.messages[i]!.content
    ) &&
    jsonEqual(a.params, b.params) &&
    jsonEqual(a.structured ?? null, b.structured ?? null) &&
    shallowEqual(a.hints, b.hints);
}

/** Whether two JSON values are equal (as their canonical JSON would be). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (
    typeof a !== "object" || typeof b !== "object" || a === null ||
    b === null || Array.isArray(a) !== Array.isArray(b)
  ) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length &&
      a.every((v, i) => jsonEqual(v, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  return keys.length ===
      Object.keys(y).filter((k) => y[k] !== undefined).length &&
    keys.every((k) => Object.hasOwn(y, k) && jsonEqual(x[k], y[k]));
}

/** A copy of a messages array and of each message in it (their values shared). */
function snapshot(messages: unknown): unknown {
  return Array.isArray(messages)
    ? messages.map((m) => typeof m === "object" && m !== null ? { ...m } : m)
    : messages;
}

/** Whether messages hold what a snapshot of them held: each message's own fields `===`. */
function sameMessages(kept: unknown, messages: unknown): boolean {
  if (!Array.isArray(kept) || !Array.isArray(messages)) return false;
  return kept.length === messages.length &&
    kept.every((k, i) => {
      const m = messages[i];
      return typeof k === "object" && typeof m === "object" &&
        shallowEqual(k ?? undefined, m ?? undefined);
    });
}

function shallowEqual(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((k) =>
      (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]
    );
}
