import * as z from "zod";
import type { CheckDefinition } from "./check.ts";
import { fail, parseOutput } from "./output.ts";

/** Configuration of `required_fields_present`. */
export const RequiredFieldsPresentConfigSchema = z.strictObject({
  /** Top-level keys that must be present and not null. */
  fields: z.array(z.string().min(1)).min(1),
});
/** Configuration of `required_fields_present`. */
export type RequiredFieldsPresentConfig = z.infer<
  typeof RequiredFieldsPresentConfigSchema
>;

/**
 * `required_fields_present`: every listed top-level field is present and not
 * null (empty strings and empty lists count as present). Score: the share of
 * fields present.
 */
export const requiredFieldsPresent: CheckDefinition<
  RequiredFieldsPresentConfig
> = {
  name: "required_fields_present",
  description: "Every listed top-level field is present and not null",
  config: RequiredFieldsPresentConfigSchema,
  run(output, _expected, config) {
    const parsed = parseOutput(output);
    if (!parsed.ok) return fail(parsed.reason);
    const missing = config.fields.filter((f) =>
      parsed.value[f] === undefined || parsed.value[f] === null
    );
    const score = (config.fields.length - missing.length) /
      config.fields.length;
    return missing.length === 0
      ? {
        pass: true,
        score,
        detail: `all ${config.fields.length} fields present`,
      }
      : {
        pass: false,
        score,
        detail: `missing: ${missing.map((f) => `"${f}"`).join(", ")}`,
      };
  },
};
