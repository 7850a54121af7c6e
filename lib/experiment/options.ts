import type { ModelAdapter } from "../providers/adapter.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./call_model.ts";
import type { Pipeline } from "./pipeline.ts";
import type { ProgressSink } from "./progress.ts";
import type { LimiterClock, RateLimits } from "./rate_limiter.ts";

/** How the response cache is used. */
export type CacheMode = "use" | "refresh" | "off";

/**
 * How runs are executed. Concurrency, rate limits, retries and the cache
 * mode are recorded on each run when it is planned; a resume runs with
 * them, and any of them given to {@linkcode resumeExperiment} overrides
 * the recorded value (the override is recorded in `run_resumed`).
 */
export interface RunnerOptions {
  /** Model calls in flight at once. @default {8} */
  concurrency?: number;
  /** Rate limits per provider name. */
  rateLimits?: Record<string, RateLimits>;
  /**
   * The clock rate limits are timed by and waited on (tests pass a fake
   * one). Workers sharing a store time shared limits by the database's
   * clock unless given one; then every worker must be given a clock that
   * tells the same time. Never recorded.
   * @default {the real clock (the database's for shared limits)}
   */
  rateLimitClock?: LimiterClock;
  /** Retries, backoff and per-call timeout. */
  retry?: RetryPolicy;
  /**
   * Each attempt's deadline in place of the `retry.timeoutMs` timer: a
   * signal that aborts when the attempt has run too long, ending it as a
   * timeout (tests pass one that aborts only the calls they hang). Never
   * recorded.
   * @default {a timer of retry.timeoutMs}
   */
  callDeadline?: (request: ModelRequest, timeoutMs: number) => AbortSignal;
  /** The response cache. @default {"use"} */
  cache?: CacheMode;
  /** Stops new calls when aborted; the run stays resumable. */
  signal?: AbortSignal;
  /** Wait for the fake provider's simulated latency (benchmarks). @default {false} */
  simulateLatency?: boolean;
  /**
   * Progress display. By default a live display inside a Jupyter notebook
   * (Deno kernel) and nothing elsewhere.
   * @default {defaultProgress()}
   */
  progress?: ProgressSink;
  /** Builds the adapter for a model config (tests inject stubs). @default {createAdapter} */
  adapterFor?: (config: ModelConfig) => ModelAdapter;
  /**
   * Values to keep out of the database besides the API keys the model
   * configs name and the environment's secret-named variables: every
   * response, error, output, judge reasoning and trace event is scrubbed of
   * them before it is stored. Never recorded.
   */
  secrets?: readonly string[];
  /**
   * Pipelines (`{ task, pipeline }` instead of prompts and models): each
   * one's run executes it over the cases x repetitions. To resume a
   * pipeline's run, pass the same pipelines (same version and module
   * source).
   */
  pipeline?: Pipeline | readonly Pipeline[];
}

/** Options for {@linkcode experiment}: what to run, and how. */
export interface ExperimentOptions extends RunnerOptions {
  /** The task name. */
  task?: string;
  /** Prompt versions to run: `v3`, `3` or `resume_matching@v3`. */
  prompts?: string[];
  /** Model config ids, e.g. `fake-fast`. */
  models?: string[];
  /** The judge's model config id; no rubric judging when absent. */
  judge?: string;
  /** A jury instead of one judge: 2 or more judge model config ids (not with `judge`); see docs/calibration.md. */
  jury?: string[];
  /** Jurors that must score an output for the jury to decide. @default {a majority of the jurors} */
  quorum?: number;
  /** Repetitions per case. @default {3} */
  repetitions?: number;
  /** Must be true to run fewer than 3 repetitions; the run is then flagged. @default {false} */
  allowFewerRepetitions?: boolean;
  /** A dataset version id; the latest loaded version of the task's dataset by default. */
  dataset?: string;
  /** Run only these case ids, each named once, in the order given (a subset, for quick looks). */
  cases?: string[];
}

/** The settings a session runs with, and which of them overrode the run's record. */
export interface ResolvedSettings {
  readonly settings: RunSettings;
  /** The recorded settings a resume was told to change: field -> new value. */
  readonly overrides: Partial<RunSettings>;
}

/**
 * The settings a session runs with: the run's recorded settings (none for
 * a new run), overridden by what `options` gives, with every default
 * filled in. Checked before anything is written.
 *
 * @throws {TypeError} If `concurrency` is not a positive integer (or Infinity), `cache` is not use, refresh or off, or a retry figure is negative.
 */
export function resolveSettings(
  options: RunnerOptions,
  recorded: RunSettings | null = null,
): ResolvedSettings {
  const base: RunSettings = recorded ?? {
    schema_version: 1,
    concurrency: 8,
    rate_limits: {},
    retry: {
      retries: DEFAULT_RETRY.retries,
      base_delay_ms: DEFAULT_RETRY.baseDelayMs,
      max_delay_ms: DEFAULT_RETRY.maxDelayMs,
      timeout_ms: DEFAULT_RETRY.timeoutMs,
    },
    cache: "use",
  };
  const overrides: Partial<Record<keyof RunSettings, unknown>> = {};
  if (options.concurrency !== undefined) {
    const c = options.concurrency;
    if (c !== Number.POSITIVE_INFINITY && !(Number.isInteger(c) && c >= 1)) {
      throw new TypeError(
        `Expected concurrency to be a positive integer but found ${c}`,
      );
    }
    overrides.concurrency = c === Number.POSITIVE_INFINITY ? null : c;
  }
  if (options.cache !== undefined) {
    if (!["use", "refresh", "off"].includes(options.cache)) {
      throw new TypeError(
        `Expected cache to be "use", "refresh" or "off" but found "${options.cache}"`,
      );
    }
    overrides.cache = options.cache;
  }
  if (options.rateLimits !== undefined) {
    overrides.rate_limits = Object.fromEntries(
      Object.entries(options.rateLimits).map(([provider, limits]) => [
        provider,
        {
          ...(limits.requestsPerMinute === undefined ? {} : {
            requests_per_minute: positive(limits.requestsPerMinute, "rpm"),
          }),
          ...(limits.tokensPerMinute === undefined
            ? {}
            : { tokens_per_minute: positive(limits.tokensPerMinute, "tpm") }),
        },
      ]),
    );
  }
  if (options.retry !== undefined) {
    const r = options.retry;
    const retry = { ...base.retry };
    if (r.retries !== undefined) {
      retry.retries = whole(r.retries, "retries");
    }
    if (r.baseDelayMs !== undefined) {
      retry.base_delay_ms = whole(r.baseDelayMs, "baseDelayMs");
    }
    if (r.maxDelayMs !== undefined) {
      retry.max_delay_ms = whole(r.maxDelayMs, "maxDelayMs");
    }
    if (r.timeoutMs !== undefined) {
      retry.timeout_ms = positive(r.timeoutMs, "timeoutMs");
    }
    if (JSON.stringify(retry) !== JSON.stringify(base.retry)) {
      overrides.retry = retry;
    }
  }
  // What changes nothing is no override.
  for (const key of Object.keys(overrides) as (keyof RunSettings)[]) {
    if (JSON.stringify(overrides[key]) === JSON.stringify(base[key])) {
      delete overrides[key];
    }
  }
  return {
    settings: { ...base, ...overrides } as RunSettings,
    overrides: overrides as Partial<RunSettings>,
  };
}

/** The retry policy of recorded settings. */
export function retryPolicy(settings: RunSettings): Required<RetryPolicy> {
  return {
    retries: settings.retry.retries,
    baseDelayMs: settings.retry.base_delay_ms,
    maxDelayMs: settings.retry.max_delay_ms,
    timeoutMs: settings.retry.timeout_ms,
  };
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new TypeError(
      `Expected ${name} to be a positive number but found ${value}`,
    );
  }
  return value;
}

function whole(value: number, name: string): number {
  if (!(Number.isInteger(value) && value >= 0)) {
    throw new TypeError(
      `Expected ${name} to be a whole number but found ${value}`,
    );
  }
  return value;
}
