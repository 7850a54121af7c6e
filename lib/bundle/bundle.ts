import { createHash } from "node:crypto";
import { canonicalize } from "../content/canonicalize.ts";
import { nowIso } from "../content/ids.ts";
import { sha256Hex } from "../content/sha256.ts";
import type { Store } from "../store/open.ts";
import {
  BUNDLE_SECTIONS,
  type BundleSection,
  latestEvidenceTime,
  planBundle,
  readBundleRecords,
  recordKey,
} from "../store/bundle.ts";
import { secretEnvValues, SecretScrubber } from "../trace/secrets.ts";
import meta from "../../deno.json" with { type: "json" };
import { BUNDLE_FORMAT, BUNDLE_VERSION, type TocEntry } from "./format.ts";
import { type BundleJwk, signSha256 } from "./keys.ts";
import { parseRedactPaths, Redactor } from "../trace/redact.ts";

/** What goes into a bundle, and how it is written. */
export interface BundleOptions {
  /** Runs to include (ids or unique prefixes of 8+ characters). */
  runs?: readonly string[];
  /** A comparison to include: both its runs, its gates, decisions and alias moves. */
  comparison?: string;
  /** A trace to include (a user pipeline's): workflow, events, receipts, artifacts. */
  trace?: string;
  /** Signs the bundle with this private key (from {@linkcode generateKeyPair} or `wb keygen`). */
  sign?: BundleJwk;
  /**
   * Test case fields to redact, e.g. `input.customer_message`: each value
   * becomes `{"redacted": "sha256:<hex>"}` and its text is removed wherever
   * it was copied (rendered prompts, outputs, artifacts, events).
   * @default {[]}
   */
  redact?: readonly string[];
  /**
   * Where to write: a file path or a byte stream. When absent the bundle is
   * returned as `text`.
   */
  to?: string | WritableStream<Uint8Array>;
  /** Extra exact secret values to remove (the environment's secret variables are always removed). */
  secrets?: readonly string[];
  /**
   * The clock, read only when no exported record carries a timestamp: a
   * bundle's `created_at` is the newest timestamp of its evidence, so the
   * same evidence always gives the same payload sha256.
   * @default {nowIso}
   */
  now?: () => string;
}

/** What {@linkcode bundle} wrote. */
export interface BundleResult {
  /** The payload's sha256: publish it out of band so others can `wb verify --expect` it. */
  readonly sha256: string;
  /** The bundle text, when no `to` was given. */
  readonly text: string | undefined;
  /** The bundle's size in bytes. */
  readonly bytes: number;
  /** Records per section. */
  readonly counts: Readonly<Record<BundleSection, number>>;
  /** Records changed by redaction or secret removal, and cache hits carried as references to one (as `verifyBundle` counts them). */
  readonly redacted: number;
  /** The signing key's id, when signed. */
  readonly keyId: string | null;
}

const FLUSH_BYTES = 1 << 20;

/**
 * Exports runs, a comparison or a trace as a verifiable bundle: RFC 8785
 * canonical JSON written section by section through an incremental
 * sha256, so 100,000 receipts stream to a file without being held in
 * memory. Every record is listed with its own sha256 in the table of
 * contents; the integrity block carries the payload sha256 and, with
 * `sign`, an Ed25519 signature in a DSSE envelope. API keys never enter:
 * receipts hold no headers, and the values of the environment's secret
 * variables and common key shapes are removed from every string.
 *
 * @param store The database to read.
 * @param options What to include, where to write, signing and redaction.
 * @returns The payload sha256, counts, and the text when not written elsewhere.
 * @throws {NotFoundError} If a run, comparison or trace does not exist.
 * @throws {RangeError} If nothing is selected or a redaction path is malformed.
 * @throws {ValidationError} If a redaction path names no field of the bundle's test cases.
 *
 * @example Bundle a traced pipeline and verify it
 * ```ts
 * import { bundle, open, Tracer, verifyBundle } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "demo", steps: [{ id: "a" }] });
 * await tracer.emit("step_finished", { step: "a" });
 * const result = await bundle(store, { trace: tracer.traceId });
 * const check = await verifyBundle(result.text!);
 * assert.equal(check.ok, true);
 * assert.equal(check.sha256, result.sha256);
 * ```
 */
export async function bundle(
  store: Store,
  options: BundleOptions,
): Promise<BundleResult> {
  if (
    (options.runs?.length ?? 0) === 0 && options.comparison === undefined &&
    options.trace === undefined
  ) {
    throw new RangeError(
      "Cannot make a bundle of nothing: pass runs, a comparison or a trace",
    );
  }
  const paths = parseRedactPaths(options.redact ?? []);
  const plan = await planBundle(store, {
    ...(options.runs ? { runs: options.runs } : {}),
    ...(options.comparison !== undefined
      ? { comparison: options.comparison }
      : {}),
    ...(options.trace !== undefined ? { traces: [options.trace] } : {}),
  });
  const secrets = new SecretScrubber([
    ...secretEnvValues(),
    ...(options.secrets ?? []),
  ]);
  const redactor = new Redactor(paths, secrets);
  if (paths.length > 0) {
    for await (const record of readBundleRecords(store, "test_cases", plan)) {
      redactor.learn(record);
    }
    redactor.assertAllMatched();
  }

  const evidenceTime = await latestEvidenceTime(store, plan);
  const sink = await openSink(options.to);
  const hasher = createHash("sha256");
  const emit = async (text: string, hash = true) => {
    if (hash) hasher.update(text);
    await sink.write(text);
  };
  const toc = Object.fromEntries(
    BUNDLE_SECTIONS.map((s) => [s, [] as TocEntry[]]),
  ) as Record<BundleSection, TocEntry[]>;
  const counts = Object.fromEntries(
    BUNDLE_SECTIONS.map((s) => [s, 0]),
  ) as Record<
    BundleSection,
    number
  >;
  let redacted = 0;
  const changedReceipts = new Set<string>();
  const references: { id: string; from: string }[] = [];
  try {
    const header = {
      created_at: evidenceTime ?? (options.now ?? nowIso)(),
      format: BUNDLE_FORMAT,
      generator: `${meta.name}@${meta.version}`,
      redactions: paths.map((p) => p.join(".")),
      scope: plan.scope,
    };
    const head = canonicalize(header);
    // `{"created_at":...,"scope":{...}` then the sections member.
    await emit(`${head.slice(0, -1)},"sections":{`);
    for (const [i, section] of BUNDLE_SECTIONS.entries()) {
      await emit(`${i === 0 ? "" : ","}${JSON.stringify(section)}:[`);
      let first = true;
      for await (const stored of readBundleRecords(store, section, plan)) {
        const { record, redacted: changed } = redactor.apply(section, stored);
        const text = canonicalize(record);
        const entry: TocEntry = {
          id: recordKey(section, record),
          sha256: sha256Hex(text),
          ...(changed ? { redacted: true as const } : {}),
        };
        toc[section].push(entry);
        counts[section]++;
        if (changed) redacted++;
        if (section === "receipts") {
          if (changed) changedReceipts.add(entry.id);
          else if (typeof record.cached_sha256 === "string") {
            references.push({
              id: entry.id,
              from: record.cached_from as string,
            });
          }
        }
        await emit(first ? text : `,${text}`);
        first = false;
      }
      await emit("]");
    }
    // A hit carried as a reference reads its original: redacted with it.
    redacted += references.filter((r) => changedReceipts.has(r.from)).length;
    await emit(`},"toc":${canonicalize(toc)},"version":${BUNDLE_VERSION}`);
    hasher.update("}");
    const sha256 = hasher.digest("hex");
    const signature = options.sign
      ? await signSha256(sha256, options.sign)
      : null;
    const integrity = {
      canonicalization: "RFC8785",
      digest: "sha256",
      sha256,
      signature,
    };
    await emit(`,"integrity":${canonicalize(integrity)}}`, false);
    const text = await sink.close();
    return {
      sha256,
      text,
      bytes: sink.bytes,
      counts,
      redacted,
      keyId: signature?.signatures[0]?.keyid ?? null,
    };
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<string | undefined>;
  abort(): Promise<void>;
  readonly bytes: number;
}

async function openSink(
  to: string | WritableStream<Uint8Array> | undefined,
): Promise<Sink> {
  const encoder = new TextEncoder();
  if (to === undefined) {
    const parts: string[] = [];
    let bytes = 0;
    return {
      write(text) {
        parts.push(text);
        return Promise.resolve();
      },
      close() {
        const text = parts.join("");
        bytes = encoder.encode(text).length;
        return Promise.resolve(text);
      },
      abort: () => Promise.resolve(),
      get bytes() {
        return bytes;
      },
    };
  }
  const stream = typeof to === "string"
    ? (await Deno.open(to, { write: true, create: true, truncate: true }))
      .writable
    : to;
  const writer = stream.getWriter();
  let pending: string[] = [];
  let pendingLength = 0;
  let bytes = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = encoder.encode(pending.join(""));
    pending = [];
    pendingLength = 0;
    bytes += chunk.length;
    await writer.write(chunk);
  };
  return {
    async write(text) {
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength >= FLUSH_BYTES) await flush();
    },
    async close() {
      await flush();
      await writer.close();
      return undefined;
    },
    async abort() {
      try {
        await writer.abort();
      } catch {
        // already closed
      }
    },
    get bytes() {
      return bytes;
    },
  };
}
