import { denoJupyter } from "../experiment/progress.ts";
import { JUPYTER_DISPLAY } from "./_jupyter.ts";

/** The part of the Deno Jupyter kernel's API (`Deno.jupyter`) {@linkcode show} uses. */
export interface JupyterDisplay {
  /** Sends `value`'s MIME bundle as a `display_data` message. */
  display(value: unknown): Promise<void>;
}

/** Options of {@linkcode show}. */
export interface ShowOptions {
  /** The kernel's API (tests inject one). @default {Deno.jupyter, when running in the Deno kernel} */
  jupyter?: JupyterDisplay;
  /**
   * How long to let the kernel publish the output before the cell goes on,
   * in milliseconds (see {@linkcode show}).
   * @default {50}
   */
  settleMs?: number;
  /** Where the text form goes outside a notebook. @default {stdout} */
  write?: (text: string) => void;
}

/**
 * Shows a figure, a view or any value in a Jupyter notebook (Deno kernel), as
 * a cell's output that is not lost; outside a notebook it prints the value's
 * text form.
 *
 * The Deno kernel (2.9.6) hands what a cell displays to a queue that it
 * publishes concurrently with the cell's end, so a client that stops reading
 * at the cell's `status: idle` (nbconvert does) can miss an output sent last:
 * a bare last expression often, an explicit `Deno.jupyter.display` at the end
 * of a cell now and then under load. `show` displays explicitly and then waits
 * `settleMs` for the kernel to publish it. Measured in
 * docs/report.md ("Notebooks").
 *
 * @param value What to show: a `Figure`, a `View`, or any value (shown as the kernel formats it).
 * @param options The kernel, the settle time, where text goes outside a notebook.
 * @returns Once the output is sent (and has had `settleMs` to be published).
 *
 * @example Outside a notebook, the text form
 * ```ts
 * import { show, View } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * await show(new View("<p>ok</p>", "ok"), { write: (t) => printed.push(t) });
 * assert.deepEqual(printed, ["ok"]);
 * ```
 */
export async function show(
  value: unknown,
  options: ShowOptions = {},
): Promise<void> {
  const jupyter = options.jupyter ?? denoJupyter();
  if (jupyter === undefined) {
    const write = options.write ?? ((text: string) => {
      Deno.stdout.writeSync(new TextEncoder().encode(`${text}\n`));
    });
    write(textOf(value));
    return;
  }
  await jupyter.display(value);
  const settleMs = options.settleMs ?? 50;
  if (settleMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  }
}

/** The text/plain form: a display bundle's, a string as is, anything else inspected. */
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  const displayable = value as
    | { [JUPYTER_DISPLAY]?: () => Record<string, string> }
    | null
    | undefined;
  const bundle = typeof displayable?.[JUPYTER_DISPLAY] === "function"
    ? displayable[JUPYTER_DISPLAY]()
    : undefined;
  return bundle?.["text/plain"] ?? Deno.inspect(value);
}
