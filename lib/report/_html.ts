/**
 * HTML built with a tagged template whose interpolations are escaped by
 * default: `html\`<td>${text}</td>\`` escapes `text`; only values already
 * wrapped as {@link SafeHtml} (other `html` results, or trusted markup such as
 * the workbench's own SVG via {@link trusted}) pass through. Untrusted text
 * therefore cannot reach a page unescaped by accident.
 *
 * @module
 */
import { escapeHtml } from "./escape_html.ts";

/** Markup that is already safe to insert (escaped or produced by the workbench). */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** A value an `html` template accepts. */
export type HtmlValue =
  | SafeHtml
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(value);
}

/** Builds markup, escaping every interpolated value that is not SafeHtml. */
export function html(
  strings: TemplateStringsArray,
  ...values: HtmlValue[]
): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) {
    out += render(values[i] as HtmlValue) + (strings[i + 1] ?? "");
  }
  return new SafeHtml(out);
}

/** Marks markup the workbench produced itself (e.g. a rendered SVG) as safe. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
