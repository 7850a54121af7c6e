import type { ModelAdapter } from "../providers/adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { RetryPolicy } from "./call_model.ts";
import type { ProgressSink } from "./progress.ts";
import type { RateLimits } from "./rate_limiter.ts";

/** How the response cache is used. */
export type CacheMode = "use" | "refresh" | "off";

/** How runs are executed: the same for a new experiment, a resumed one and an extended run. */
export interface RunnerOptions {
  /** Model calls in flight at once. @default {8} */
  concurrency?: number;
  /** Rate limits per provider name. */
  rateLimits?: Record<string, RateLimits>;
  /** Retries, backoff and per-call timeout. */
  retry?: RetryPolicy;
  /** The response cache. @default {"use"} */
  cache?: CacheMode;
  /** Stops new calls when aborted; the run stays resumable. */
  signal?: AbortSignal;
  /** Wait for the fake provider's simulated latency (benchmarks). @default {false} */
  simulateLatency?: boolean;
  /** Progress display. @default {SILENT_PROGRESS} */
  progress?: ProgressSink;
  /** Builds the adapter for a model config (tests inject stubs). @default {createAdapter} */
  adapterFor?: (config: ModelConfig) => ModelAdapter;
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
  /** Run only these case ids (a subset, for quick looks). */
  cases?: string[];
}

/** The runner options' defaults and checks, in one place. */
export interface ResolvedRunnerOptions {
  readonly concurrency: number;
  readonly cache: CacheMode;
}

/**
 * Checks the runner options before anything is written: a bad value is
 * refused while no run exists yet.
 *
 * @throws {TypeError} If `concurrency` is not a positive integer (or Infinity).
 * @throws {TypeError} If `cache` is not one of use, refresh, off.
 */
export function resolveRunnerOptions(
  options: RunnerOptions,
): ResolvedRunnerOptions {
  const concurrency = options.concurrency ?? 8;
  if (
    concurrency !== Number.POSITIVE_INFINITY &&
    !(Number.isInteger(concurrency) && concurrency >= 1)
  ) {
    throw new TypeError(
      `Expected concurrency to be a positive integer but found ${concurrency}`,
    );
  }
  const cache = options.cache ?? "use";
  if (cache !== "use" && cache !== "refresh" && cache !== "off") {
    throw new TypeError(
      `Expected cache to be "use", "refresh" or "off" but found "${cache}"`,
    );
  }
  return { concurrency, cache };
}
