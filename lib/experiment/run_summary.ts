import type { RunRecord } from "../store/runs.ts";

/** What one run came to. */
export interface RunSummary {
  /** The run id. */
  readonly run_id: string;
  /** The prompt version id. */
  readonly prompt_version_id: string;
  /** The model config id. */
  readonly model_config_id: string;
  /** completed, or interrupted when cancelled (resumable). */
  readonly status: RunRecord["status"];
  /** Cells in the run (cases x repetitions). */
  readonly cells: number;
  /** Cells committed in this session. */
  readonly committed: number;
  /** Cells skipped because an earlier session committed them. */
  readonly resumed: number;
  /** Cells whose generation failed (after retries) in this session. */
  readonly failures: number;
  /** Cells whose judge failed in this session. */
  readonly judge_errors: number;
  /** Calls that reached an adapter in this session. */
  readonly adapter_calls: number;
  /** Receipts served from the cache in this session. */
  readonly cache_hits: number;
  /** Attempts those calls took in this session (more than the calls when some were retried). */
  readonly attempts: number;
  /** Attempts that failed in this session (retried, or the last of a failed call). */
  readonly failed_attempts: number;
  /** Of those, attempts refused by a rate limit (HTTP 429). */
  readonly rate_limited: number;
  /** Time waited after failed attempts before retrying in this session, in ms. */
  readonly retry_wait_ms: number;
  /** Cost of this session's receipts (cache hits count 0), exact decimal string. */
  readonly cost: string;
  /** What the session would have cost without the cache. */
  readonly uncached_cost: string;
  /**
   * Calls the run sent but never receipted, over all its sessions: calls
   * cut short by a cancel, or in flight or uncommitted when a process was
   * killed (an upper bound: a call counted in the instant before a kill may
   * not have left). See docs/ARCHITECTURE.md, "Crash safety".
   */
  readonly unreceipted_calls: number;
  /** The stored scorecard's sha256, once the run is complete. */
  readonly scorecard_sha256: string | null;
}

/** What an experiment came to: one summary per run. */
export interface ExperimentResult {
  /** The experiment id (shared by its runs). */
  readonly experiment_id: string;
  /** One entry per prompt version x model. */
  readonly runs: readonly RunSummary[];
}
