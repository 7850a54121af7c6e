import * as z from "zod";

/**
 * How a run is executed, recorded on the run when it is planned so that a
 * resume runs it the same way (an override on resume is explicit and
 * recorded in its `run_resumed` event). Every default is filled in: the
 * record says what was used, not what was asked.
 */
export const RunSettingsSchema: z.ZodType<RunSettings> = z.object({
  schema_version: z.literal(1),
  /** Model calls in flight at once; null for no bound. */
  concurrency: z.number().int().positive().nullable(),
  /** Rate limits per provider name. */
  rate_limits: z.record(
    z.string(),
    z.object({
      requests_per_minute: z.number().positive().optional(),
      tokens_per_minute: z.number().positive().optional(),
    }).strict(),
  ),
  /** Retries, backoff and the per-attempt timeout. */
  retry: z.object({
    retries: z.number().int().nonnegative(),
    base_delay_ms: z.number().nonnegative(),
    max_delay_ms: z.number().nonnegative(),
    timeout_ms: z.number().positive(),
  }).strict(),
  /** How the response cache is used. */
  cache: z.enum(["use", "refresh", "off"]),
}).strict();

/**
 * A run's execution settings, recorded when it is planned: a resume runs
 * with them unless told otherwise. Every default is filled in.
 */
export interface RunSettings {
  /** Always 1. */
  schema_version: 1;
  /** Model calls in flight at once; null for no bound. */
  concurrency: number | null;
  /** Rate limits per provider name. */
  rate_limits: Record<
    string,
    {
      /** Requests per minute. */
      requests_per_minute?: number | undefined;
      /** Tokens per minute (reserved before each call, settled with its usage). */
      tokens_per_minute?: number | undefined;
    }
  >;
  /** Retries, backoff and the per-attempt timeout. */
  retry: {
    /** Attempts after the first. */
    retries: number;
    /** First backoff delay, ms (doubling, with full jitter). */
    base_delay_ms: number;
    /** Longest single wait, ms. */
    max_delay_ms: number;
    /** Per-attempt timeout, ms. */
    timeout_ms: number;
  };
  /** How the response cache is used. */
  cache: "use" | "refresh" | "off";
}
