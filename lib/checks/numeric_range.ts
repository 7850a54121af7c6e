import * as z from "zod";
import type { CheckDefinition } from "./check.ts";
import { asText, excerpt, fail, pass, readField } from "./output.ts";

/** Configuration of `numeric_range`. */
export const NumericRangeConfigSchema = z.strictObject({
  /** The output field holding a number. */
  field: z.string().min(1),
  /** A fixed lower bound (inclusive). */
  min: z.number().optional(),
  /** A fixed upper bound (inclusive). */
  max: z.number().optional(),
  /** An expected key holding the lower bound; it wins over `min` when the case has it. */
  min_from: z.string().min(1).optional(),
  /** An expected key holding the upper bound; it wins over `max` when the case has it. */
  max_from: z.string().min(1).optional(),
}).refine(
  (c) =>
    c.min !== undefined || c.max !== undefined || c.min_from !== undefined ||
    c.max_from !== undefined,
  "give at least one of min, max, min_from, max_from",
);
/** Configuration of `numeric_range`. */
export type NumericRangeConfig = z.infer<typeof NumericRangeConfigSchema>;

/**
 * `numeric_range`: a numeric field lies within [min, max] (inclusive), with
 * bounds fixed or read from the case's expected values. In range scores 1;
 * out of range fails with partial credit `max(0, 1 - distance / width)`,
 * where width is the range's width (or the bound's magnitude, at least 1,
 * when the range is open on one side). A case whose expected values give no
 * bound passes with detail "not applicable".
 */
export const numericRange: CheckDefinition<NumericRangeConfig> = {
  name: "numeric_range",
  description:
    "A numeric field lies within a range, fixed or read from the expected values",
  config: NumericRangeConfigSchema,
  run(output, expected, config) {
    const min = bound(expected, config.min_from, config.min);
    const max = bound(expected, config.max_from, config.max);
    if (min === undefined && max === undefined) {
      return pass("not applicable: no bound for this case");
    }
    const read = readField(output, config.field);
    if (!read.ok) return read.result;
    const value = read.value;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return fail(
        `field "${config.field}" is not a number: ${
          excerpt(asText(value), 40)
        }`,
      );
    }
    const range = `[${min ?? "-inf"}, ${max ?? "+inf"}]`;
    const distance = min !== undefined && value < min
      ? min - value
      : max !== undefined && value > max
      ? value - max
      : 0;
    if (distance === 0) {
      return pass(`"${config.field}" ${value} is within ${range}`);
    }
    const width = min !== undefined && max !== undefined && max > min
      ? max - min
      : Math.max(1, Math.abs(min ?? max ?? 1));
    return fail(
      `"${config.field}" ${value} is ${distance} outside ${range}`,
      Math.max(0, 1 - distance / width),
    );
  },
};

function bound(
  expected: Readonly<Record<string, unknown>>,
  from: string | undefined,
  fixed: number | undefined,
): number | undefined {
  if (from !== undefined) {
    const value = expected[from];
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return fixed;
}
