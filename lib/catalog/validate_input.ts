/**
 * Checks a task input against the task's `input_schema`, as `wb validate`
 * checks a dataset case's input.
 *
 * @module
 */
import type { Issue } from "../errors.ts";
import type { Task } from "../schema/task.ts";
import { type CompiledSchema, compileJsonSchema } from "./_json_schema.ts";

const compiled = new WeakMap<object, CompiledSchema>();

/**
 * The ways an input fails a task's `input_schema` (JSON Schema draft
 * 2020-12, `format` not enforced), each with the field's path below
 * `input`; empty when it matches.
 *
 * @param task The task (its `input_schema`).
 * @param input The input to check.
 * @returns The issues, empty when the input is valid.
 * @throws {TypeError} If the task's input_schema does not compile (a catalog that `wb validate` accepted always does).
 *
 * @example A missing field
 * ```ts
 * import { validateTaskInput } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const task = { input_schema: { type: "object", required: ["q"], properties: { q: { type: "string" } } } };
 * assert.deepEqual(validateTaskInput(task, { q: "hi" }), []);
 * assert.equal(validateTaskInput(task, {})[0]!.field, "input.q");
 * ```
 */
export function validateTaskInput(
  task: Pick<Task, "input_schema">,
  input: unknown,
): Issue[] {
  let schema = compiled.get(task.input_schema);
  if (schema === undefined) {
    schema = compileJsonSchema(task.input_schema);
    compiled.set(task.input_schema, schema);
  }
  if (!schema.ok) {
    throw new TypeError(
      `Cannot check an input as the task's input_schema does not compile: ${schema.message}`,
    );
  }
  return schema.validate(input).map((failure) => ({
    field: ["input", ...failure.path.map(String)].join("."),
    message: failure.message,
  }));
}
