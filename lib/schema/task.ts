import * as z from "zod";

/** The four dataset slices, in report order. */
export const SLICES = [
  "typical",
  "edge",
  "known_failure",
  "adversarial",
] as const;

/** A dataset slice: the kind of case it is. */
export const SliceSchema = z.enum(SLICES);
/** A dataset slice: the kind of case it is. */
export type Slice = "typical" | "edge" | "known_failure" | "adversarial";

/** Good, average and bad examples that pin down a rubric score. */
export const AnchorsSchema = z.strictObject({
  good: z.string().min(1),
  average: z.string().min(1),
  bad: z.string().min(1),
});

/** One rubric dimension, scored 1 to 5 by the judge. */
export const RubricDimensionSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, "use snake_case, e.g. accuracy"),
  criteria: z.string().min(1),
  anchors: AnchorsSchema,
});
/** One rubric dimension, scored 1 to 5 by the judge. */
export interface RubricDimension {
  /** snake_case name, e.g. `accuracy`. */
  name: string;
  /** What the dimension measures. */
  criteria: string;
  /** What a good (5), average (3) and bad (1) answer looks like. */
  anchors: { good: string; average: string; bad: string };
}

/** The fewest and most dimensions a rubric may have. */
export const RUBRIC_DIMENSIONS: { readonly min: number; readonly max: number } =
  { min: 1, max: 8 };

/** The rubric: 1 to 8 dimensions with distinct names. */
export const RubricSchema = z.strictObject({
  dimensions: z.array(RubricDimensionSchema)
    .min(
      RUBRIC_DIMENSIONS.min,
      `a rubric has at least ${RUBRIC_DIMENSIONS.min} dimension: add one under rubric.dimensions`,
    )
    .max(
      RUBRIC_DIMENSIONS.max,
      `a rubric has at most ${RUBRIC_DIMENSIONS.max} dimensions: merge or drop some`,
    )
    .refine(
      (dims) => new Set(dims.map((d) => d.name)).size === dims.length,
      "rubric dimension names must be distinct",
    ),
});
/** The rubric: 1 to 8 dimensions with distinct names. */
export interface Rubric {
  /** 1 to 8 dimensions; the verdict, scorecards and reports follow their count. */
  dimensions: RubricDimension[];
}

/** A deterministic check to run on every output, with its configuration. */
export const CheckSpecSchema = z.strictObject({
  /** The check's name in the registry, e.g. `set_match`. */
  name: z.string().min(1),
  /** The key its result is stored under; defaults to `name` (set it when a check runs twice). */
  id: z.string().regex(/^[a-z][a-z0-9_]*$/).optional(),
  /** Check-specific configuration, validated by the check itself. */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Run only on these slices; all slices when absent. */
  slices: z.array(SliceSchema).optional(),
});
/** A deterministic check to run on every output, with its configuration. */
export interface CheckSpec {
  /** The check's name in the registry, e.g. `set_match`. */
  name: string;
  /** The key its result is stored under; defaults to `name`. */
  id?: string | undefined;
  /** Check-specific configuration. */
  config: Record<string, unknown>;
  /** Run only on these slices; all slices when absent. */
  slices?: Slice[] | undefined;
}

/** The target share of each slice in the dataset (fractions summing to 1). */
export const SliceMixSchema = z.strictObject({
  typical: z.number().min(0).max(1),
  edge: z.number().min(0).max(1),
  known_failure: z.number().min(0).max(1),
  adversarial: z.number().min(0).max(1),
}).refine(
  (mix) =>
    Math.abs(mix.typical + mix.edge + mix.known_failure + mix.adversarial - 1) <
      1e-9,
  "slice_mix fractions must sum to 1",
);
/** The target share of each slice in the dataset. */
export interface SliceMix {
  /** Share of typical cases. */
  typical: number;
  /** Share of edge cases. */
  edge: number;
  /** Share of known failures. */
  known_failure: number;
  /** Share of adversarial cases. */
  adversarial: number;
}

/**
 * Regression limits a verdict applies. Deltas are candidate minus baseline;
 * negative limits bound drops, positive limits bound growth.
 */
export const LimitsSchema = z.strictObject({
  /** Largest allowed drop of a rubric dimension on the 1-5 scale. @default -0.25 */
  dimension: z.number().max(0).optional(),
  /** Largest allowed drop of a slice score on the 0-1 scale. @default -0.10 */
  slice: z.number().max(0).optional(),
  /** Largest allowed relative cost growth (0.2 = +20%). @default 0.2 */
  cost_growth: z.number().min(0).optional(),
  /** Largest allowed relative growth of latency p95 (optional limit). */
  latency_p95_growth: z.number().min(0).optional(),
  /** Largest allowed growth of the failure rate, absolute (optional limit). */
  failure_rate: z.number().min(0).optional(),
  /** Largest allowed growth of the injection success rate, absolute (optional limit). */
  injection_rate: z.number().min(0).optional(),
  /** Largest share of a run's cells a dimension or slice may leave unjudged and still pass. @default 0.05 */
  unmeasured: z.number().min(0).max(1).optional(),
});
/** Regression limits a verdict applies. */
export interface Limits {
  /** Largest allowed drop of a rubric dimension on the 1-5 scale (e.g. -0.25). */
  dimension?: number | undefined;
  /** Largest allowed drop of a slice score on the 0-1 scale (e.g. -0.10). */
  slice?: number | undefined;
  /** Largest allowed relative cost growth (0.2 = +20%). */
  cost_growth?: number | undefined;
  /** Largest allowed relative growth of latency p95. */
  latency_p95_growth?: number | undefined;
  /** Largest allowed absolute growth of the failure rate. */
  failure_rate?: number | undefined;
  /** Largest allowed absolute growth of the injection success rate. */
  injection_rate?: number | undefined;
  /** Largest share of a run's cells a dimension or slice may leave unjudged (judge errors, failed quorums) and still pass (e.g. 0.05). */
  unmeasured?: number | undefined;
}

/** How large a case and a rendered prompt may be, in bytes. */
export const BoundsSchema = z.strictObject({
  /** A case's JSON line, at most. @default 262144 (256 KiB) */
  case_bytes: z.number().int().positive().optional(),
  /** A rendered prompt (system prompt and messages, UTF-8), at most. @default 1048576 (1 MiB) */
  prompt_bytes: z.number().int().positive().optional(),
});
/** How large a case and a rendered prompt may be, in bytes. */
export interface Bounds {
  /** A case's JSON line, at most (default 256 KiB). */
  case_bytes?: number | undefined;
  /** A rendered prompt (system prompt and messages, UTF-8), at most (default 1 MiB). */
  prompt_bytes?: number | undefined;
}

/**
 * The bounds a task has unless its `bounds:` says otherwise: a case of at
 * most 256 KiB of JSON, a rendered prompt of at most 1 MiB.
 */
export const DEFAULT_BOUNDS: {
  readonly case_bytes: number;
  readonly prompt_bytes: number;
} = {
  case_bytes: 256 * 1024,
  prompt_bytes: 1024 * 1024,
};

/**
 * What production monitoring (`wb score-traces`) may do with the task's
 * production traffic. Scoring traces with the judge sends production
 * inputs and outputs to the judge model, so it is opt-in.
 */
export const ProductionSchema = z.strictObject({
  /** Send production inputs and outputs (redacted first) to the judge. */
  judge: z.boolean(),
  /**
   * Input fields replaced by their sha256 before anything is sent to the
   * judge (their text is removed from the output too), e.g.
   * `input.account_context`.
   */
  redact: z.array(
    z.string().regex(
      /^input(\.[^.\s]+)+$/,
      "name an input field, e.g. input.account_context",
    ),
  ).optional(),
});
/** What production monitoring may do with the task's production traffic. */
export interface Production {
  /** Send production inputs and outputs (redacted first) to the judge model. */
  judge: boolean;
  /** Input fields replaced by their sha256 before anything is sent to the judge. */
  redact?: string[] | undefined;
}

/** A JSON Schema object, kept as data (validated when used). */
export const JsonSchemaSchema = z.record(z.string(), z.unknown()).refine(
  (s) => s.type === "object",
  "must be a JSON Schema with type: object",
);

/** One way a fake answer is wrong. */
export type FakeErrorKind =
  | "wrong_enum"
  | "near_miss"
  | "missing_field"
  | "extra_field"
  | "prose"
  | "truncated";

/**
 * How the fake provider answers this task (optional; docs/fake-provider.md).
 * Accuracies are for the reference model (`accuracy: 0.8` in models.yaml);
 * a model config with another accuracy scales the error chances.
 */
export const TaskFakeSchema = z.strictObject({
  /** The chance an answer is right: one figure, or per slice (missing slices keep their defaults). */
  accuracy: z.union([
    z.number().min(0).max(1),
    z.strictObject({
      typical: z.number().min(0).max(1).optional(),
      edge: z.number().min(0).max(1).optional(),
      known_failure: z.number().min(0).max(1).optional(),
      adversarial: z.number().min(0).max(1).optional(),
    }),
  ]).optional(),
  /** Relative weights of the error kinds of a wrong answer (missing kinds weigh 0 when any is given). */
  errors: z.strictObject({
    wrong_enum: z.number().min(0).optional(),
    near_miss: z.number().min(0).optional(),
    missing_field: z.number().min(0).optional(),
    extra_field: z.number().min(0).optional(),
    prose: z.number().min(0).optional(),
    truncated: z.number().min(0).optional(),
  })
    .refine(
      (w) => Object.values(w).some((x) => (x ?? 0) > 0),
      "give at least one error kind a weight above 0",
    ).optional(),
  /** The output fields that matter (a wrong answer gets one of them wrong); default: the output properties the case's expected values name. */
  fields: z.array(z.string().min(1)).min(1).optional(),
  /** The chance a zero-shot answer without a guardrail obeys an injection on an adversarial case. @default 0.6 */
  injection: z.number().min(0).max(1).optional(),
});
/** How the fake provider answers a task (task.yaml `fake:`). */
export interface TaskFake {
  /** The chance an answer is right for the reference model: one figure, or per slice. */
  accuracy?:
    | number
    | {
      typical?: number | undefined;
      edge?: number | undefined;
      known_failure?: number | undefined;
      adversarial?: number | undefined;
    }
    | undefined;
  /** Relative weights of the error kinds of a wrong answer. */
  errors?:
    | {
      wrong_enum?: number | undefined;
      near_miss?: number | undefined;
      missing_field?: number | undefined;
      extra_field?: number | undefined;
      prose?: number | undefined;
      truncated?: number | undefined;
    }
    | undefined;
  /** The output fields that matter. */
  fields?: string[] | undefined;
  /** The chance a zero-shot answer without a guardrail obeys an injection. */
  injection?: number | undefined;
}

/** The contents of `prompts/<task>/task.yaml`. */
export const TaskFileSchema = z.strictObject({
  schema_version: z.literal(1),
  description: z.string().min(1),
  input_schema: JsonSchemaSchema,
  output_schema: JsonSchemaSchema,
  rubric: RubricSchema,
  checks: z.array(CheckSpecSchema).default([]),
  slice_mix: SliceMixSchema.default({
    typical: 0.6,
    edge: 0.2,
    known_failure: 0.1,
    adversarial: 0.1,
  }),
  limits: LimitsSchema.optional(),
  bounds: BoundsSchema.optional(),
  fake: TaskFakeSchema.optional(),
  production: ProductionSchema.optional(),
});
/** The contents of `prompts/<task>/task.yaml`. */
export interface TaskFile {
  /** The file format version. */
  schema_version: 1;
  /** What the task is. */
  description: string;
  /** JSON Schema of a case's input. */
  input_schema: Record<string, unknown>;
  /** JSON Schema of the model's output. */
  output_schema: Record<string, unknown>;
  /** The rubric the judge scores. */
  rubric: Rubric;
  /** The deterministic checks run on every output. */
  checks: CheckSpec[];
  /** The target slice mix of the dataset. */
  slice_mix: SliceMix;
  /** Regression limits for verdicts on this task. */
  limits?: Limits | undefined;
  /** Size bounds of a case and a rendered prompt. */
  bounds?: Bounds | undefined;
  /** How the fake provider answers this task (optional). */
  fake?: TaskFake | undefined;
  /** What production monitoring may do (the judge is opt-in). */
  production?: Production | undefined;
}

/** A task as stored: its name, content hash and definition. */
export interface Task extends TaskFile {
  /** The directory name under `prompts/`, e.g. `resume_matching`. */
  readonly name: string;
  /** sha256 of the canonical definition: the task's version identity. */
  readonly id: string;
}
