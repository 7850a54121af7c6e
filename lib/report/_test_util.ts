/**
 * Helpers for the report tests: parse an SVG and count its marks.
 *
 * @module
 */
import { parseHTML } from "linkedom";

interface El {
  querySelectorAll(selector: string): ArrayLike<El>;
  getAttribute(name: string): string | null;
  attributes: ArrayLike<{ name: string; value: string }>;
  textContent: string | null;
}

/** Parses SVG (or HTML) markup into a queryable element tree. */
export function parseMarkup(markup: string): El {
  const { document } = parseHTML(
    `<html><body>${markup}</body></html>`,
  ) as unknown as { document: El };
  return document;
}

/** The text of every element matching `selector`. */
export function texts(markup: string, selector: string): string[] {
  return Array.from(parseMarkup(markup).querySelectorAll(selector)).map((e) =>
    e.textContent ?? ""
  );
}

/** Counts the shapes (e.g. `circle`, `line`, `rect`, `text`) inside the marks labelled `mark`. */
export function countMarks(svg: string, mark: string, shape: string): number {
  return parseMarkup(svg).querySelectorAll(`g[aria-label="${mark}"] ${shape}`)
    .length;
}

/** The untrusted strings every escaping test feeds in as labels and text. */
export const PAYLOADS = [
  "<script>globalThis.wbPwned=1</script>",
  `<img src=x onerror="document.title='pwned'">`,
  "javascript:alert(1)",
] as const;

/**
 * True when the markup holds a live element or attribute from the payloads:
 * a raw `<script` or `<img` tag, any `on*` attribute, or a `javascript:` link.
 */
export function holdsRawPayload(markup: string): boolean {
  if (/<script|<img/i.test(markup)) return true;
  for (const el of Array.from(parseMarkup(markup).querySelectorAll("*"))) {
    for (const { name, value } of Array.from(el.attributes)) {
      if (/^on/i.test(name)) return true;
      if (/href$/i.test(name) && /^\s*javascript:/i.test(value)) return true;
    }
  }
  return false;
}
