import * as z from "zod";
import type { CheckDefinition } from "./check.ts";
import { asText, excerpt, fail, pass, readField } from "./output.ts";

/** Configuration of `enum_member`. */
export const EnumMemberConfigSchema = z.strictObject({
  /** The output field to test. */
  field: z.string().min(1),
  /** The allowed values, exactly as they must be written. */
  values: z.array(z.string()).min(1),
});
/** Configuration of `enum_member`. */
export type EnumMemberConfig = z.infer<typeof EnumMemberConfigSchema>;

/**
 * `enum_member`: a field's value is one of the allowed strings, exactly
 * (a value that differs only in case fails, and the detail says so).
 * Score 1 or 0.
 */
export const enumMember: CheckDefinition<EnumMemberConfig> = {
  name: "enum_member",
  description: "A field's value is one of the allowed values",
  config: EnumMemberConfigSchema,
  run(output, _expected, config) {
    const read = readField(output, config.field);
    if (!read.ok) return read.result;
    const value = read.value;
    if (typeof value === "string" && config.values.includes(value)) {
      return pass(`"${config.field}" is "${value}"`);
    }
    const text = asText(value);
    const nearly = config.values.find((v) =>
      v.toLowerCase() === text.trim().toLowerCase()
    );
    return fail(
      `"${config.field}" is ${
        excerpt(JSON.stringify(value) ?? text, 40)
      }, not one of ${config.values.join(", ")}${
        nearly ? ` (did the model mean "${nearly}"?)` : ""
      }`,
    );
  },
};
