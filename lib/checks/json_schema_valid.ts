import { Ajv, type ValidateFunction } from "ajv";
import * as z from "zod";
import { canonicalize } from "../content/canonicalize.ts";
import type { CheckDefinition } from "./check.ts";
import { excerpt, fail, parseOutput, pass } from "./output.ts";

/** Configuration of `json_schema_valid`: none (the schema is the task's output_schema). */
export const JsonSchemaValidConfigSchema = z.strictObject({});
/** Configuration of `json_schema_valid`. */
export type JsonSchemaValidConfig = z.infer<typeof JsonSchemaValidConfigSchema>;

const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
const compiled = new Map<string, ValidateFunction>();
// The same schema object is checked for every cell of a run: look it up by
// identity before serializing it.
const bySchema = new WeakMap<object, ValidateFunction>();

function validatorFor(
  schema: Readonly<Record<string, unknown>>,
): ValidateFunction {
  const known = bySchema.get(schema);
  if (known) return known;
  const key = canonicalize(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema as Record<string, unknown>);
    compiled.set(key, validate);
  }
  bySchema.set(schema, validate);
  return validate;
}

/**
 * `json_schema_valid`: the output is a JSON object that satisfies the task's
 * output_schema (JSON Schema draft-07/2019 keywords, via Ajv; `format` is not
 * enforced). Score 1 or 0; the detail lists the first violations.
 */
export const jsonSchemaValid: CheckDefinition<JsonSchemaValidConfig> = {
  name: "json_schema_valid",
  description:
    "The output is a JSON object that satisfies the task's output_schema",
  config: JsonSchemaValidConfigSchema,
  run(output, _expected, _config, context) {
    if (!context.output_schema) {
      return fail("the task has no output_schema to validate against");
    }
    const parsed = parseOutput(output);
    if (!parsed.ok) return fail(parsed.reason);
    const validate = validatorFor(context.output_schema);
    if (validate(parsed.value)) return pass("valid against the output schema");
    const errors = (validate.errors ?? []).map((e) =>
      `${e.instancePath || "/"} ${e.message ?? "is invalid"}${
        e.keyword === "additionalProperties"
          ? ` ("${excerpt(String(e.params.additionalProperty ?? ""), 40)}")`
          : e.keyword === "enum"
          ? ` (${
            (e.params.allowedValues as unknown[] | undefined)?.join(", ")
          })`
          : ""
      }`
    );
    return fail(
      `${errors.length} schema violation${errors.length === 1 ? "" : "s"}: ${
        errors.slice(0, 5).join("; ")
      }${errors.length > 5 ? "; ..." : ""}`,
    );
  },
};
