import * as z from "zod";
import type { CheckDefinition } from "./check.ts";
import { asText, excerpt, fail, pass, readField } from "./output.ts";

/** Configuration of `regex_match`. */
export const RegexMatchConfigSchema = z.strictObject({
  /** The output field to test; the whole output when absent. */
  field: z.string().min(1).optional(),
  /** A JavaScript regular expression. */
  pattern: z.string().min(1),
  /** Regular expression flags (`g` and `y` are ignored). */
  flags: z.string().regex(
    /^[dgimsuvy]*$/,
    "use JavaScript regex flags, e.g. i or iu",
  )
    .optional(),
  /** Pass when the pattern matches (true) or when it does not (false). @default true */
  must_match: z.boolean().default(true),
}).superRefine((config, ctx) => {
  try {
    new RegExp(config.pattern, config.flags);
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      path: ["pattern"],
      message: `invalid regular expression: ${
        error instanceof Error ? error.message : String(error)
      }`,
    });
  }
});
/** Configuration of `regex_match` (after defaults). */
export type RegexMatchConfig = z.infer<typeof RegexMatchConfigSchema>;

const compiled = new Map<string, RegExp>();

function regexFor(pattern: string, flags: string): RegExp {
  const clean = flags.replace(/[gy]/g, "");
  const key = `${clean}/${pattern}`;
  let regex = compiled.get(key);
  if (!regex) {
    regex = new RegExp(pattern, clean);
    compiled.set(key, regex);
  }
  return regex;
}

/**
 * `regex_match`: a field (or the whole output) matches a pattern, or, with
 * `must_match: false`, does not. Score 1 or 0.
 */
export const regexMatch: CheckDefinition<RegexMatchConfig> = {
  name: "regex_match",
  description:
    "A field (or the whole output) matches, or must not match, a pattern",
  config: RegexMatchConfigSchema,
  run(output, _expected, config) {
    let target = output;
    if (config.field !== undefined) {
      const read = readField(output, config.field);
      if (!read.ok) return read.result;
      target = asText(read.value);
    }
    const where = config.field === undefined
      ? "the output"
      : `"${config.field}"`;
    const match = regexFor(config.pattern, config.flags ?? "").exec(target);
    if (config.must_match) {
      return match
        ? pass(
          `${where} matches /${config.pattern}/ at "${excerpt(match[0], 40)}"`,
        )
        : fail(`${where} does not match /${config.pattern}/`);
    }
    return match
      ? fail(
        `${where} matches forbidden /${config.pattern}/ at "${
          excerpt(match[0], 40)
        }"`,
      )
      : pass(`${where} does not match /${config.pattern}/`);
  },
};
