import type { BundleSection } from "../store/bundle.ts";
import { type BundleProblem, scanBundle, type ScanOutcome } from "./_scan.ts";
import { type BundleJwk, verifySignature } from "./keys.ts";

/** Where a bundle is read from: its text, its bytes, or a byte stream (e.g. an open file's `readable`). */
export type BundleSource = string | Uint8Array | ReadableStream<Uint8Array>;

export type { BundleProblem };

/** What to check a bundle against, besides itself. */
export interface VerifyBundleOptions {
  /** The signer's public key: the bundle must carry a valid signature by it. */
  pubkey?: BundleJwk;
  /** The payload sha256 published out of band: the bundle must have exactly this one. */
  expect?: string;
}

/** What {@linkcode verifyBundle} found. */
export interface VerifyResult {
  /** True when nothing is wrong. */
  readonly ok: boolean;
  /** The payload sha256 as computed from the content (null when unreadable). */
  readonly sha256: string | null;
  /** Everything wrong, most specific first; empty when intact. */
  readonly problems: readonly BundleProblem[];
  /** Records per section. */
  readonly counts: Readonly<Record<BundleSection, number>>;
  /** Records marked as redacted, and cache hits carried as references to one (what they reused is unchecked). */
  readonly redacted: number;
  /** The signature: `verified` (by the given key), `present` (not checked), or `none`. */
  readonly signature: "verified" | "present" | "none";
  /** The key id the bundle is signed with, if signed. */
  readonly keyId: string | null;
  /** One line: what is intact, or the first problem. */
  readonly summary: string;
}

/**
 * Verifies a bundle, reading it record by record: strict JSON (duplicate
 * keys refused), the format, every record's own hash and its entry in the
 * table of contents, the event hash chains, references between sections,
 * the payload sha256 in the integrity block, and, when asked, a signature
 * by a given key and a sha256 published out of band.
 *
 * Hashes prove the bundle is internally consistent; whoever edits a bundle
 * can recompute them. Only a signature by a key you trust, or a sha256 you
 * got from its author out of band, proves who made it.
 *
 * @param source The bundle's text, bytes or byte stream.
 * @param options A public key and/or an expected sha256.
 * @returns The outcome; a tampered bundle is an outcome, not an exception.
 *
 * @example An edited bundle names the record
 * ```ts
 * import { bundle, open, Tracer, verifyBundle } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "demo", steps: [{ id: "a" }] });
 * await tracer.emit("step_finished", { step: "a", data: { answer: 42 } });
 * const { text } = await bundle(store, { trace: tracer.traceId });
 * const result = await verifyBundle(text!.replace('"answer":42', '"answer":43'));
 * assert.equal(result.ok, false);
 * assert.equal(result.problems[0]!.section, "trace_events");
 * assert.equal(result.problems[0]!.record, `${tracer.traceId}/1`);
 * ```
 */
export async function verifyBundle(
  source: BundleSource,
  options: VerifyBundleOptions = {},
): Promise<VerifyResult> {
  return await concludeVerification(await scanBundle(source), options);
}

/** Adds the integrity, signature and expected-sha256 checks to a scan. */
export async function concludeVerification(
  scan: ScanOutcome,
  options: VerifyBundleOptions,
): Promise<VerifyResult> {
  const problems: BundleProblem[] = [...scan.problems];
  const integrity = scan.integrity;
  let signature: VerifyResult["signature"] = "none";
  const keyId = integrity?.signature?.signatures[0]?.keyid ?? null;
  if (scan.sha256 !== null && integrity !== null) {
    if (integrity.sha256 !== scan.sha256) {
      problems.push({
        section: "integrity",
        record: null,
        message:
          `payload sha256 is ${scan.sha256} but the integrity block says ${integrity.sha256}`,
      });
    }
    if (integrity.signature) signature = "present";
  }
  if (options.expect !== undefined && scan.sha256 !== null) {
    const expected = options.expect.trim().toLowerCase().replace(
      /^sha256:/,
      "",
    );
    if (expected !== scan.sha256) {
      problems.push({
        section: "integrity",
        record: null,
        message:
          `payload sha256 is ${scan.sha256}, not the expected ${expected}`,
      });
    }
  }
  if (options.pubkey !== undefined && scan.sha256 !== null) {
    if (!integrity?.signature) {
      problems.push({
        section: "integrity",
        record: null,
        message: "the bundle is not signed",
      });
    } else {
      const check = await verifySignature(
        integrity.signature,
        options.pubkey,
        scan.sha256,
      );
      if (check.ok) signature = "verified";
      else {
        problems.push({
          section: "integrity",
          record: null,
          message: `signature check failed: ${check.reason}`,
        });
      }
    }
  }
  const total = Object.values(scan.counts).reduce((a, b) => a + b, 0);
  const ok = problems.length === 0;
  const summary = ok
    ? `OK ${scan.sha256} ${total} records (${scan.counts.receipts} receipts, ${scan.counts.trace_events} events, ${scan.counts.artifacts} artifacts)${
      scan.redacted > 0 ? `, ${scan.redacted} redacted` : ""
    }; ${
      signature === "verified"
        ? `signed by ${keyId}`
        : signature === "present"
        ? `signed by ${keyId} (not checked: no --pubkey)`
        : "unsigned"
    }${options.expect !== undefined ? "; matches the expected sha256" : ""}`
    : `FAILED ${describe(problems[0]!)}${
      problems.length > 1 ? ` (+${problems.length - 1} more)` : ""
    }`;
  return {
    ok,
    sha256: scan.sha256,
    problems,
    counts: scan.counts,
    redacted: scan.redacted,
    signature,
    keyId,
    summary,
  };
}

/** `section 'record': message`, for one problem. */
export function describe(problem: BundleProblem): string {
  const where = [
    problem.section,
    problem.record === null ? null : `'${problem.record}'`,
  ].filter(Boolean).join(" ");
  return where ? `${where}: ${problem.message}` : problem.message;
}
