import { JUPYTER_DISPLAY } from "./_jupyter.ts";

/**
 * A rendered chart: an SVG string that also displays itself inline in a
 * Jupyter notebook (Deno kernel) and converts to its markup with `String()`.
 *
 * Every plot function of the workbench returns a `Figure`; reports inline
 * `figure.svg`; notebooks show it with `await show(figure)`
 * (explicitly: the Deno kernel may drop a cell's last-expression value).
 *
 * @example Wrap an SVG string
 * ```ts
 * import { Figure } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const figure = new Figure("<svg></svg>", "empty");
 * assert.equal(String(figure), "<svg></svg>");
 * assert.equal(figure.mimeBundle()["image/svg+xml"], "<svg></svg>");
 * assert.match(figure.mimeBundle()["text/html"] ?? "", /<svg><\/svg>/);
 * ```
 */
export class Figure {
  /** The SVG markup, with every label escaped. */
  readonly svg: string;
  /** A one-line description of what the chart shows (its text/plain form). */
  readonly title: string;

  /**
   * Wraps rendered SVG markup.
   *
   * @param svg The SVG markup (trusted: produced by the workbench's renderer).
   * @param title A one-line description (plain text).
   */
  constructor(svg: string, title: string) {
    this.svg = svg;
    this.title = title;
  }

  /** The SVG markup, so a figure can stand where an element is expected. */
  get outerHTML(): string {
    return this.svg;
  }

  /** The SVG markup. */
  toString(): string {
    return this.svg;
  }

  /**
   * The rich display bundle: the SVG as `image/svg+xml`, the same SVG inline
   * in a `text/html` fragment (what `jupyter nbconvert --to html` and other
   * HTML exports show: they drop or break a bare `image/svg+xml`), and the
   * title as `text/plain`.
   *
   * @returns MIME type to content.
   */
  mimeBundle(): Record<string, string> {
    return {
      "image/svg+xml": this.svg,
      "text/html": `<div class="wb-figure">${this.svg}</div>`,
      "text/plain": this.title,
    };
  }

  /**
   * What the Deno Jupyter kernel calls to display the figure.
   *
   * @returns The {@linkcode Figure.mimeBundle} of the figure.
   */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return this.mimeBundle();
  }
}
