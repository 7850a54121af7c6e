/**
 * Reading model outputs for the checks (and the judge parser): the JSON
 * object in an output, one field of it, and the result helpers.
 *
 * @module
 */
import type { CheckResult } from "../schema/result.ts";

/** A JSON object read from a model output, or why none could be read. */
export type ParsedOutput =
  | { readonly ok: true; readonly value: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly reason: string };

let lastText: string | undefined;
let lastParsed: ParsedOutput | undefined;

/**
 * Reads the JSON object in a model output: the whole text, else the first
 * ```json fenced block, else the first balanced `{...}` in the text. The
 * result is shared between calls with the same text; do not mutate it.
 */
export function parseOutput(output: string): ParsedOutput {
  if (output === lastText && lastParsed) return lastParsed;
  const parsed = parse(output);
  lastText = output;
  lastParsed = parsed;
  return parsed;
}

function parse(output: string): ParsedOutput {
  const text = output.replace(/^\uFEFF/, "").trim();
  if (text === "") return { ok: false, reason: "the output is empty" };
  let sawArray = false;
  for (const candidate of candidatesIn(text)) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return { ok: true, value: value as Record<string, unknown> };
    }
    if (Array.isArray(value)) sawArray = true;
  }
  return {
    ok: false,
    reason: sawArray
      ? "the output is a JSON array, not an object"
      : `the output is not a JSON object: "${excerpt(text)}"`,
  };
}

/**
 * Where a JSON object may be, in order: the whole text, each fenced block,
 * the first balanced `{...}`. Made one at a time, as the first that parses
 * ends the search.
 */
function* candidatesIn(text: string): Generator<string> {
  yield text;
  for (const fence of text.matchAll(/```[A-Za-z]*[ \t]*\r?\n?([\s\S]*?)```/g)) {
    yield fence[1]!.trim();
  }
  const balanced = firstBalancedObject(text);
  if (balanced !== null) yield balanced;
}

/** The first `{...}` whose braces balance, skipping braces inside strings. */
function firstBalancedObject(text: string): string | null {
  const start = text.indexOf("{");
  if (start < 0) return null;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

/** A short, single-line excerpt for details. */
export function excerpt(text: string, max = 60): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** A failing result with score 0. */
export function fail(detail: string, score = 0): CheckResult {
  return { pass: false, score, detail };
}

/** A passing result with score 1. */
export function pass(detail: string, score = 1): CheckResult {
  return { pass: true, score, detail };
}

/**
 * Reads one top-level field of the output, or the failing result that says
 * why it cannot be read (output not JSON, field missing or null).
 */
export function readField(
  output: string,
  field: string,
): { ok: true; value: unknown } | { ok: false; result: CheckResult } {
  const parsed = parseOutput(output);
  if (!parsed.ok) return { ok: false, result: fail(parsed.reason) };
  const value = parsed.value[field];
  if (value === undefined || value === null) {
    return { ok: false, result: fail(`field "${field}" is missing`) };
  }
  return { ok: true, value };
}

/** Case-folded, NFKC-normalised text with runs of whitespace collapsed. */
export function fold(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** A value as text: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? "";
}

/** Rounds for details: two decimals. */
export function fixed(x: number): string {
  return x.toFixed(2);
}
