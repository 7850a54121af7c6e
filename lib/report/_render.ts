/**
 * Headless Observable Plot: renders a plot with linkedom's document and
 * serializes it with our own strict serializer, so that every text node and
 * attribute value is escaped (`&`, `<`, `>`, `"`, `'`) and no event-handler
 * or link attribute survives. The result is valid both inline in HTML and as
 * a standalone `image/svg+xml` document.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { escapeHtml } from "./escape_html.ts";

const SVG_NS = "http://www.w3.org/2000/svg";

/** A minimal view of the DOM nodes linkedom builds. */
interface DomNode {
  readonly nodeType: number;
  readonly localName?: string;
  readonly textContent: string | null;
  readonly childNodes: ArrayLike<DomNode>;
  readonly attributes?: ArrayLike<{ name: string; value: string }>;
}

/**
 * Renders Plot options (without `document`) to an SVG string.
 *
 * @param options Plot options.
 * @returns The escaped SVG markup.
 */
export function renderPlot(options: Plot.PlotOptions): string {
  const { document } = parseHTML("<html><body></body></html>") as unknown as {
    document: Plot.PlotOptions["document"];
  };
  const node = Plot.plot({ ...options, document }) as unknown as DomNode;
  return serialize(node, true);
}

function serialize(node: DomNode, root: boolean): string {
  if (node.nodeType === 3) return escapeHtml(node.textContent);
  if (node.nodeType !== 1 || !node.localName) return "";
  const name = node.localName;
  if (!/^[a-zA-Z][a-zA-Z0-9:-]*$/.test(name) || name === "script") return "";
  let attrs = "";
  let hasNs = false;
  for (const { name: attr, value } of Array.from(node.attributes ?? [])) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:.-]*$/.test(attr)) continue;
    if (/^on/i.test(attr) || /(^|:)href$/i.test(attr)) continue;
    if (attr === "xmlns") hasNs = true;
    attrs += ` ${attr}="${escapeHtml(value)}"`;
  }
  if (root && name === "svg" && !hasNs) attrs = ` xmlns="${SVG_NS}"${attrs}`;
  const children = Array.from(node.childNodes).map((c) => serialize(c, false))
    .join("");
  return children === ""
    ? `<${name}${attrs}/>`
    : `<${name}${attrs}>${children}</${name}>`;
}
