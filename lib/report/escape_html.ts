/**
 * Escapes text for HTML element content and quoted attribute values: `&`,
 * `<`, `>`, `"` and `'` become character references, and characters HTML
 * cannot carry (NUL, lone surrogates) become U+FFFD. Every piece of model
 * output, dataset text, prompt text, name or id that reaches an HTML surface
 * of the workbench goes through this one function.
 *
 * Escaping makes text inert inside element content and inside a double- or
 * single-quoted attribute value. It does not make a string safe as a URL: the
 * workbench never puts untrusted text into an `href` or `src`.
 *
 * @param value The text (any value is converted with `String()`; `null` and `undefined` give "").
 * @returns The escaped text.
 *
 * @example Untrusted output becomes inert text
 * ```ts
 * import { escapeHtml } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   escapeHtml(`<img src=x onerror="alert('1')">`),
 *   "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;",
 * );
 * assert.equal(escapeHtml(undefined), "");
 * ```
 */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return "";
  return String(value).toWellFormed().replace(SPECIAL, replace);
}

// NUL is matched on purpose: HTML parsers drop or replace it.
// deno-lint-ignore no-control-regex
const SPECIAL = /[&<>"'\u0000]/g;

function replace(char: string): string {
  switch (char) {
    case "&":
      return "&amp;";
    case "<":
      return "&lt;";
    case ">":
      return "&gt;";
    case '"':
      return "&quot;";
    case "'":
      return "&#39;";
    default:
      return "\uFFFD";
  }
}
