/**
 * The shape every deterministic check shares.
 *
 * @module
 */
import type * as z from "zod";
import type { CheckResult } from "../../schema/result.ts";
import type { Slice } from "../../schema/task.ts";

/** What a check may read besides the output and the expected values. */
export interface CheckContext {
  /** The case input the prompt was rendered from. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The case's slice. */
  readonly slice: Slice;
  /** The task's output JSON Schema (read by `json_schema_valid`). */
  readonly "output_schema"?: Readonly<Record<string, unknown>>;
}

/**
 * A deterministic check: a pure function of the output, the case's expected
 * values, the check's configuration (validated by `config`) and the context.
 *
 * @typeParam C The check's parsed configuration.
 */
export interface CheckDefinition<C = unknown> {
  /** The name task.yaml refers to, e.g. `set_match`. */
  readonly name: string;
  /** One sentence: what the check verifies. */
  readonly description: string;
  /** The schema of the check's configuration (task.yaml `checks[].config`). */
  readonly config: z.ZodType<C>;
  /**
   * Runs the check. Never throws for a bad output: an output that cannot be
   * read fails the check with a detail saying why.
   */
  run(
    output: string,
    expected: Readonly<Record<string, unknown>>,
    config: C,
    context: CheckContext,
  ): CheckResult;
}
