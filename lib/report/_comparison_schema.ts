/**
 * What the report reads of a stored comparison body, validated: a received
 * bundle may hold anything, and the report must neither crash nor trust a
 * shape it did not check.
 *
 * @module
 */
import * as z from "zod";
import type { ComparisonBody } from "../compare/verdict.ts";

const Num = z.number().nullable();
const Range = z.object({ low: z.number(), high: z.number() }).nullable();
const Run = z.object({
  run_id: z.string(),
  prompt_version_id: z.string(),
  model_config_id: z.string(),
  scorecard_sha256: z.string(),
  repetitions: z.number(),
});

/** The fields of a comparison body the report shows. */
export type ComparisonShown =
  & Pick<
    ComparisonBody,
    | "verdict"
    | "summary"
    | "reasons"
    | "inconclusive"
    | "improvements"
    | "mode"
    | "checks"
    | "suggested_repetitions"
    | "task"
    | "paired_cases"
  >
  & {
    readonly baseline: z.infer<typeof Run>;
    readonly candidate: z.infer<typeof Run>;
    readonly aggregate: { readonly delta: number | null };
    readonly judge_warnings?: readonly string[] | undefined;
    readonly small_sample_warnings?: readonly string[] | undefined;
    readonly judge?: {
      readonly config_id: string;
      readonly calibration?: {
        readonly matched: number;
        readonly labels: number;
        readonly dimensions: Readonly<
          Record<string, { readonly rho: number | null }>
        >;
      } | undefined;
    } | undefined;
  };

/** Validates the shown fields (other fields pass through unread). */
export const ComparisonShownSchema: z.ZodType<ComparisonShown> = z.object({
  verdict: z.enum(["APPROVED", "REJECTED", "INCONCLUSIVE"]),
  task: z.string(),
  paired_cases: z.number(),
  aggregate: z.object({ delta: z.number().nullable() }),
  judge: z.object({
    config_id: z.string(),
    calibration: z.object({
      matched: z.number(),
      labels: z.number(),
      dimensions: z.record(
        z.string(),
        z.object({ rho: z.number().nullable() }),
      ),
    }).optional(),
  }).optional(),
  judge_warnings: z.array(z.string()).optional(),
  small_sample_warnings: z.array(z.string()).optional(),
  summary: z.string(),
  reasons: z.array(z.string()),
  inconclusive: z.array(z.string()),
  improvements: z.array(z.string()),
  mode: z.enum(["point", "strict", "confident"]),
  suggested_repetitions: z.number().nullable(),
  baseline: Run,
  candidate: Run,
  checks: z.array(z.object({
    kind: z.enum([
      "dimension",
      "slice",
      "cost",
      "latency_p95",
      "failure_rate",
      "injection_rate",
    ]),
    name: z.string(),
    worse: z.enum(["drop", "growth"]),
    baseline: Num,
    candidate: Num,
    delta: Num,
    interval: Range,
    limit: Num,
    status: z.enum(["breached", "possibly_breached", "within", "not_measured"]),
    outcome: z.enum(["fail", "inconclusive", "pass"]),
    improved: z.boolean(),
    repetitions_needed: z.number().nullable(),
    text: z.string(),
    cases: z.number().optional(),
    case_interval: Range.optional(),
  })),
});
