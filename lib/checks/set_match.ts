import * as z from "zod";
import type { CheckDefinition } from "./check.ts";
import { asText, fail, fixed, fold, readField } from "./output.ts";

/** Configuration of `set_match`. */
export const SetMatchConfigSchema = z.strictObject({
  /** The output field holding a list. */
  field: z.string().min(1),
  /** The expected key holding the reference list. @default field */
  expected_field: z.string().min(1).optional(),
  /** The F1 at or above which the check passes. @default 0.6 */
  min_f1: z.number().min(0).max(1).default(0.6),
});
/** Configuration of `set_match` (after defaults). */
export type SetMatchConfig = z.infer<typeof SetMatchConfigSchema>;

/**
 * `set_match`: an output list against the expected list, as sets
 * (case-insensitive). Score: F1; passes when F1 >= min_f1. Two empty sets
 * agree (F1 1). A case without the expected key passes with detail
 * "not applicable".
 */
export const setMatch: CheckDefinition<SetMatchConfig> = {
  name: "set_match",
  description:
    "An output list matches the expected list as a set (precision, recall, F1)",
  config: SetMatchConfigSchema,
  run(output, expected, config) {
    const key = config.expected_field ?? config.field;
    const want = expected[key];
    if (want === undefined) {
      return {
        pass: true,
        score: 1,
        detail: `not applicable: expected has no "${key}"`,
      };
    }
    if (!Array.isArray(want)) {
      return fail(`expected "${key}" is not a list`);
    }
    const read = readField(output, config.field);
    if (!read.ok) return read.result;
    if (!Array.isArray(read.value)) {
      return fail(`field "${config.field}" is not a list`);
    }
    const got = new Set(read.value.map((v) => fold(asText(v))));
    const ref = new Set(want.map((v) => fold(asText(v))));
    const hits = [...got].filter((v) => ref.has(v));
    const extra = [...got].filter((v) => !ref.has(v));
    const missed = [...ref].filter((v) => !got.has(v));
    let precision: number;
    let recall: number;
    let f1: number;
    if (got.size === 0 && ref.size === 0) {
      precision = recall = f1 = 1;
    } else {
      precision = got.size === 0 ? 1 : hits.length / got.size;
      recall = ref.size === 0 ? 1 : hits.length / ref.size;
      f1 = (2 * hits.length) / (got.size + ref.size);
    }
    const parts = [
      `precision ${fixed(precision)}, recall ${fixed(recall)}, F1 ${fixed(f1)}`,
    ];
    if (extra.length > 0) parts.push(`extra: ${list(extra)}`);
    if (missed.length > 0) parts.push(`missed: ${list(missed)}`);
    return { pass: f1 >= config.min_f1, score: f1, detail: parts.join("; ") };
  },
};

function list(items: readonly string[]): string {
  const shown = items.slice(0, 8).map((s) => `"${s}"`).join(", ");
  return items.length > 8 ? `${shown}, ... (${items.length})` : shown;
}
