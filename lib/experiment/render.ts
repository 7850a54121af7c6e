import type { PromptVersion } from "../schema/prompt.ts";
import type { ChatMessage } from "../schema/model_call.ts";

/** A prompt rendered for one case: what is sent to the model. */
export interface RenderedPrompt {
  /** The system prompt. */
  readonly system: string;
  /** The messages (one user message rendered from the template). */
  readonly messages: readonly ChatMessage[];
}

/**
 * Renders a prompt version's template with a case's input: each
 * `{{name}}` becomes the input field of that name (strings as they are,
 * other values as JSON).
 *
 * @param version The prompt version.
 * @param input The case input.
 * @returns The system prompt and messages.
 * @throws {RangeError} If the template names a field the input lacks.
 *
 * @example Rendering a template
 * ```ts
 * import { renderPrompt } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const rendered = renderPrompt(
 *   { system: "Be brief.", template: "Summarize: {{text}}" },
 *   { text: "a long story" },
 * );
 * assert.equal(rendered.messages[0]?.content, "Summarize: a long story");
 * ```
 */
export function renderPrompt(
  version: Pick<PromptVersion, "system" | "template">,
  input: Readonly<Record<string, unknown>>,
): RenderedPrompt {
  const content = version.template.replace(
    /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g,
    (_, name: string) => {
      if (!(name in input)) {
        throw new RangeError(
          `Template variable '${name}' is not in the case input (fields: ${
            Object.keys(input).join(", ")
          })`,
        );
      }
      const value = input[name];
      return typeof value === "string" ? value : JSON.stringify(value, null, 2);
    },
  );
  return { system: version.system, messages: [{ role: "user", content }] };
}
