import * as z from "zod";
import type { CheckDefinition } from "./check.ts";
import { asText, fail, pass, readField } from "./output.ts";

/** Configuration of `grounded_in_input`. */
export const GroundedInInputConfigSchema = z.strictObject({
  /** The output field holding a list of claims (or one string). */
  field: z.string().min(1),
  /** The input key holding the source text, e.g. `resume_text`. */
  source: z.string().min(1),
});
/** Configuration of `grounded_in_input`. */
export type GroundedInInputConfig = z.infer<typeof GroundedInInputConfigSchema>;

/**
 * `grounded_in_input`: every item of an output list appears in the input
 * text `input[source]`: case-insensitive, whole-word-ish (not inside a longer
 * word; hyphens, underscores, slashes and whitespace count as the same
 * separator; Unicode normalised with NFKC). The hallucination check. Score:
 * the share of items grounded; passes when all are. An empty list passes.
 */
export const groundedInInput: CheckDefinition<GroundedInInputConfig> = {
  name: "grounded_in_input",
  description:
    "Every item of an output list appears in the input text (no hallucinated items)",
  config: GroundedInInputConfigSchema,
  run(output, _expected, config, context) {
    const source = context.input[config.source];
    if (source === undefined || source === null) {
      return fail(`the input has no "${config.source}" to check against`);
    }
    const read = readField(output, config.field);
    if (!read.ok) return read.result;
    const items = (Array.isArray(read.value) ? read.value : [read.value])
      .map(asText)
      .filter((s) => s.trim() !== "");
    if (items.length === 0) {
      return pass(`"${config.field}" lists nothing to ground`);
    }
    const haystack = normalisedSource(source);
    const ungrounded = items.filter((item) =>
      !appears(haystack, normalise(item))
    );
    const score = (items.length - ungrounded.length) / items.length;
    return ungrounded.length === 0
      ? pass(
        `all ${items.length} items of "${config.field}" appear in "${config.source}"`,
      )
      : fail(
        `${ungrounded.length} of ${items.length} not in "${config.source}": ${
          ungrounded.slice(0, 8).map((s) => `"${s}"`).join(", ")
        }`,
        score,
      );
  },
};

let lastSource: unknown;
let lastHaystack = "";

/** The normalised input text; the last one is kept (a case is checked once per repetition). */
function normalisedSource(source: unknown): string {
  if (source !== lastSource || typeof source !== "string") {
    lastHaystack = normalise(asText(source));
    lastSource = source;
  }
  return lastHaystack;
}

function normalise(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/[\s\-_/]+/gu, " ")
    .trim();
}

const WORDISH = /[\p{L}\p{N}]/u;

/**
 * Whether `needle` occurs in `haystack` with no letter or digit right before
 * or after it. Equivalent to the Unicode regex
 * `(?<![\p{L}\p{N}])needle(?![\p{L}\p{N}])` (matches never split a
 * surrogate pair), without compiling one regex per item.
 */
function appears(haystack: string, needle: string): boolean {
  if (needle === "") return false;
  const end = needle.length;
  for (
    let i = haystack.indexOf(needle);
    i >= 0;
    i = haystack.indexOf(needle, i + 1)
  ) {
    if (splitsPair(haystack, i) || splitsPair(haystack, i + end)) continue;
    if (WORDISH.test(codePointBefore(haystack, i))) continue;
    if (WORDISH.test(codePointFrom(haystack, i + end))) continue;
    return true;
  }
  return false;
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Whether position `at` falls between the two halves of a surrogate pair. */
function splitsPair(text: string, at: number): boolean {
  return at > 0 && at < text.length && isHigh(text.charCodeAt(at - 1)) &&
    isLow(text.charCodeAt(at));
}

/** The code point that ends at `at` ("" at the start). */
function codePointBefore(text: string, at: number): string {
  if (at <= 0) return "";
  if (
    at >= 2 && isLow(text.charCodeAt(at - 1)) &&
    isHigh(text.charCodeAt(at - 2))
  ) return text.slice(at - 2, at);
  return text[at - 1]!;
}

/** The code point that starts at `at` ("" at the end). */
function codePointFrom(text: string, at: number): string {
  if (at >= text.length) return "";
  const code = text.codePointAt(at)!;
  return String.fromCodePoint(code);
}
