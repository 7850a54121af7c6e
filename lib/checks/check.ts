/**
 * The shape every deterministic check shares.
 *
 * @module
 */
import type { CheckResult } from "../schema/result.ts";
import type { Slice } from "../schema/task.ts";

/** What a check may read besides the output and the expected values. */
export interface CheckContext {
  /** The case input the prompt was rendered from. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The case's slice. */
  readonly slice: Slice;
  /** The task's output JSON Schema (read by `json_schema_valid`). */
  readonly "output_schema"?: Readonly<Record<string, unknown>>;
}

/** One problem with a check's configuration. */
export interface CheckConfigProblem {
  /** The kind of problem, e.g. `invalid_type`. */
  readonly code: string;
  /** Where in the configuration. */
  readonly path: readonly PropertyKey[];
  /** What is wrong. */
  readonly message: string;
}

/**
 * A check's configuration schema: a zod schema, seen through the two
 * methods the toolkit uses.
 *
 * @typeParam C The parsed configuration.
 */
export interface CheckConfigParser<C> {
  /** Validates without throwing; `data` has defaults applied. */
  safeParse(value: unknown):
    | { readonly success: true; readonly data: C }
    | {
      readonly success: false;
      readonly error: { readonly issues: readonly CheckConfigProblem[] };
    };
  /** Validates, throwing on a bad configuration. */
  parse(value: unknown): C;
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
  /** The zod schema of the check's configuration (task.yaml `checks[].config`). */
  readonly config: CheckConfigParser<C>;
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
