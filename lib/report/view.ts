import { JUPYTER_DISPLAY } from "./_jupyter.ts";
import { CSS } from "./_page.ts";

/**
 * A rich view of a workbench object for Jupyter (Deno kernel): a compact
 * HTML fragment with the verdict or status first, and a plain-text form.
 * Show it with `await show(view)` (the Deno kernel may drop a
 * cell's last-expression value); `String(view)` is the text.
 * Every `view*` function returns one; their text is escaped throughout.
 *
 * @example A view's two forms
 * ```ts
 * import { View } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const view = new View("<p>ok</p>", "ok");
 * const shown = view.mimeBundle();
 * assert.match(shown["text/html"] ?? "", /<p>ok<\/p>/);
 * assert.equal(shown["text/plain"], "ok");
 * assert.equal(String(view), "ok");
 * ```
 */
export class View {
  /** The HTML fragment (trusted markup: built by the workbench with every value escaped). */
  readonly html: string;
  /** The plain-text form. */
  readonly text: string;

  /**
   * Wraps a fragment.
   *
   * @param html The escaped HTML fragment.
   * @param text The plain-text form.
   */
  constructor(html: string, text: string) {
    this.html = html;
    this.text = text;
  }

  /** The plain-text form. */
  toString(): string {
    return this.text;
  }

  /**
   * The rich display bundle: the fragment with its stylesheet as
   * `text/html`, and the text as `text/plain`.
   *
   * @returns MIME type to content.
   */
  mimeBundle(): Record<string, string> {
    return {
      "text/html": `<div class="wb"><style>${CSS}</style>${this.html}</div>`,
      "text/plain": this.text,
    };
  }

  /**
   * What the Deno Jupyter kernel calls to display the view.
   *
   * @returns The {@linkcode View.mimeBundle} of the view.
   */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return this.mimeBundle();
  }
}
