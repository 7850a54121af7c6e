import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";

/** One way a value fails a JSON Schema: where, and what is wrong. */
export interface SchemaFailure {
  /** Path below the validated value (object keys and array indexes). */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** A compiled schema, or why it cannot be compiled. */
export type CompiledSchema =
  | {
    readonly ok: true;
    validate(value: unknown): SchemaFailure[];
  }
  | { readonly ok: false; readonly message: string };

/**
 * Compiles a JSON Schema (draft 2020-12) with Ajv. Unknown keywords are an
 * error (they are almost always typos such as `requred`); `format` is an
 * annotation only and is not enforced.
 */
export function compileJsonSchema(
  schema: Record<string, unknown>,
): CompiledSchema {
  const ajv = new Ajv2020({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    validateFormats: false,
    logger: false,
  });
  let check: ReturnType<typeof ajv.compile>;
  try {
    check = ajv.compile(schema);
  } catch (error) {
    return {
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  return {
    ok: true,
    validate(value: unknown): SchemaFailure[] {
      if (check(value)) return [];
      return (check.errors ?? []).map(failure);
    },
  };
}

function failure(error: ErrorObject): SchemaFailure {
  const path: (string | number)[] = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return {
        path: [...path, String(params.missingProperty)],
        message: "missing required field: add it",
      };
    case "additionalProperties":
      return {
        path: [...path, String(params.additionalProperty)],
        message: "field not allowed here: remove it or add it to the schema",
      };
    case "enum":
      return {
        path,
        message: `${error.message}: ${
          (params.allowedValues as unknown[]).map((v) => JSON.stringify(v))
            .join(", ")
        }`,
      };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}
