import * as z from "zod";
import { canonicalize } from "../content/canonicalize.ts";
import type { CheckDefinition } from "./check.ts";
import { asText, excerpt, fail, fold, pass, readField } from "./output.ts";

/** Configuration of `exact_match`. */
export const ExactMatchConfigSchema = z.strictObject({
  /** The output field to compare. */
  field: z.string().min(1),
  /** The expected key to compare with. @default field */
  expected_field: z.string().min(1).optional(),
});
/** Configuration of `exact_match`. */
export type ExactMatchConfig = z.infer<typeof ExactMatchConfigSchema>;

/**
 * `exact_match`: an output field equals the expected value (strings compared
 * case-insensitively after trimming; other values as canonical JSON). A case
 * without the expected key passes with detail "not applicable".
 */
export const exactMatch: CheckDefinition<ExactMatchConfig> = {
  name: "exact_match",
  description:
    "An output field equals the expected value (case-insensitive for strings)",
  config: ExactMatchConfigSchema,
  run(output, expected, config) {
    const key = config.expected_field ?? config.field;
    const want = expected[key];
    if (want === undefined) {
      return pass(`not applicable: expected has no "${key}"`);
    }
    const read = readField(output, config.field);
    if (!read.ok) return read.result;
    const got = read.value;
    const equal = typeof got === "string" && typeof want === "string"
      ? fold(got) === fold(want)
      : canonicalize(got) === canonicalize(want);
    const shown = `"${config.field}" is ${excerpt(asText(got), 40)}`;
    return equal
      ? pass(`${shown}, as expected`)
      : fail(`${shown}, expected ${excerpt(asText(want), 40)}`);
  },
};
