/**
 * Redaction, at export (bundles) and before production data is sent to a
 * judge (`scoreTraces`): named input (or expected) fields of test cases are
 * replaced by `{"redacted": "sha256:<hex>"}` (sha256 of the value's
 * canonical JSON), the same text is removed wherever it was copied (rendered
 * prompts in receipts, outputs, artifacts, event data), and secrets are
 * removed everywhere.
 *
 * @module
 */
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import type { BundleRecord, BundleSection } from "../store/bundle.ts";
import { scrubJson, type SecretScrubber } from "./secrets.ts";

const PATH = /^(input|expected)(\.[^.\s]+)+$/;

/** Checks redaction paths, e.g. `input.customer_message`. */
export function parseRedactPaths(paths: readonly string[]): string[][] {
  return paths.map((path) => {
    if (!PATH.test(path)) {
      throw new RangeError(
        `Cannot redact "${path}": name a test case field as input.<field> or expected.<field>, e.g. input.customer_message`,
      );
    }
    return path.split(".");
  });
}

/** The marker that replaces a redacted value. */
export function redactionMarker(value: unknown): { redacted: string } {
  return { redacted: `sha256:${contentHash(value)}` };
}

/** Applies redaction and secret removal to records as they are exported. */
export class Redactor {
  #paths: string[][];
  #needles: [string, string][] = [];
  #secrets: SecretScrubber;

  /** Builds a redactor for these paths (parsed by {@linkcode parseRedactPaths}). */
  constructor(paths: string[][], secrets: SecretScrubber) {
    this.#paths = paths;
    this.#secrets = secrets;
  }

  #matched = new Set<string>();
  #fields = new Set<string>();

  /** Learns the values to redact from one test case (call for every case first). */
  learn(record: BundleRecord): void {
    for (const part of ["input", "expected"]) {
      const value = record[part];
      if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const key of Object.keys(value)) {
          this.#fields.add(`${part}.${key}`);
        }
      }
    }
    for (const path of this.#paths) {
      const found = lookup(record, path);
      if (found === undefined) continue;
      this.#matched.add(path.join("."));
      collectStrings(found, (text) => {
        if (text.length >= 4) {
          this.#needles.push([text, canonicalize(redactionMarker(text))]);
        }
      });
    }
    this.#needles.sort((a, b) => b[0].length - a[0].length);
  }

  /**
   * Throws when a path named no field of any learned test case (a typo
   * would otherwise ship the value in a bundle that says it was redacted).
   */
  assertAllMatched(): void {
    const unmatched = this.#paths.map((p) => p.join("."))
      .filter((p) => !this.#matched.has(p));
    if (unmatched.length === 0) return;
    const fields = [...this.#fields].sort().join(", ") || "none";
    throw new ValidationError(unmatched.map((path) => ({
      field: "redact",
      message:
        `cannot redact "${path}": no test case in the bundle has that field; the cases' fields are ${fields}`,
    })));
  }

  /** The record as exported, and whether anything in it was replaced. */
  apply(
    section: BundleSection,
    record: BundleRecord,
  ): { record: BundleRecord; redacted: boolean } {
    let out = record;
    if (section === "test_cases" && this.#paths.length > 0) {
      for (const path of this.#paths) {
        const found = lookup(out, path);
        if (found !== undefined) {
          out = replaceAt(out, path, redactionMarker(found));
        }
      }
    }
    const needles = this.#needles;
    out = scrubJson(out, (text) => {
      let next = text;
      for (const [needle, mark] of needles) {
        if (next.includes(needle)) next = next.replaceAll(needle, mark);
      }
      return this.#secrets.scrub(next);
    }) as BundleRecord;
    return { record: out, redacted: out !== record };
  }
}

function lookup(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) {
    if (typeof current !== "object" || current === null) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function replaceAt(
  value: BundleRecord,
  path: readonly string[],
  replacement: unknown,
): BundleRecord {
  const [head, ...rest] = path;
  const copy = { ...value };
  copy[head!] = rest.length === 0
    ? replacement
    : replaceAt(copy[head!] as BundleRecord, rest, replacement);
  return copy;
}

function collectStrings(value: unknown, onString: (s: string) => void): void {
  if (typeof value === "string") onString(value);
  else if (Array.isArray(value)) {
    for (const item of value) collectStrings(item, onString);
  } else if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) collectStrings(item, onString);
  }
}
