import type { Slice } from "./task.ts";

/** What every deterministic check returns. */
export interface CheckResult {
  readonly pass: boolean;
  /** 0..1 */
  readonly score: number;
  /** A human-readable explanation (which field, which item, why). */
  readonly detail: string;
}

/** One rubric dimension as judged: 1..5 with the judge's reasoning. */
export interface RubricScore {
  readonly score: 1 | 2 | 3 | 4 | 5;
  readonly reasoning: string;
  /** The judge's quote from the output that the score rests on. */
  readonly evidence?: string;
}

/** A cell's status. */
export type CellStatus = "ok" | "provider_error" | "invalid_output";

/**
 * One cell of a run (a case x a repetition) with its scores. Stored in
 * `results`; written in the same transaction as its receipts.
 */
export interface CellResult {
  readonly id: string;
  readonly run_id: string;
  readonly case_key: string;
  readonly repetition: number;
  readonly slice: Slice;
  readonly generation_io_id: string | null;
  readonly judge_io_ids: readonly string[];
  /** The model's text output (null on provider failure). */
  readonly output: string | null;
  readonly status: CellStatus;
  /** Check name -> result. */
  readonly checks: Readonly<Record<string, CheckResult>>;
  /** Dimension name -> judged score; `null` when there is no judge or it failed. */
  readonly rubric: Readonly<Record<string, RubricScore>> | null;
  readonly judge_error: string | null;
  readonly created_at: string;
  readonly scored_at: string;
}
