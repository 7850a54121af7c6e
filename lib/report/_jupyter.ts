/**
 * The symbol the Deno Jupyter kernel looks for to display an object richly.
 *
 * @module
 */

/** `Symbol.for("Jupyter.display")`, typed as a unique symbol. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for(
  "Jupyter.display",
) as typeof JUPYTER_DISPLAY;
