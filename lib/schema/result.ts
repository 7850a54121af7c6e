import type { Slice } from "./task.ts";

/** What every deterministic check returns. */
export interface CheckResult {
  /** Whether the check passed. */
  readonly pass: boolean;
  /** 0..1 */
  readonly score: number;
  /** A human-readable explanation (which field, which item, why). */
  readonly detail: string;
}

/** One rubric dimension as judged: 1..5 with the judge's reasoning. */
export interface RubricScore {
  /** The judge's integer score, 1 (bad) to 5 (good). */
  readonly score: 1 | 2 | 3 | 4 | 5;
  /** Why the evidence meets or misses the dimension's criteria. */
  readonly reasoning: string;
  /** The judge's quote from the output that the score rests on. */
  readonly evidence?: string;
  /** When a jury judged: juror model config id -> that juror's own score, or its error. */
  readonly jurors?: Readonly<Record<string, JurorScore>>;
}

/** One juror's part in a jury's score of a dimension: its own score, or why it has none. */
export type JurorScore =
  | {
    /** The juror's integer score, 1 (bad) to 5 (good). */
    readonly score: 1 | 2 | 3 | 4 | 5;
    /** The juror's reasoning. */
    readonly reasoning: string;
    /** The juror's quote from the output. */
    readonly evidence?: string;
  }
  | {
    /** Why the juror gave no score (its judge error). */
    readonly error: string;
  };

/** A cell's status. */
export type CellStatus = "ok" | "provider_error" | "invalid_output";

/**
 * One cell of a run (a case x a repetition) with its scores. Stored in
 * `results`; written in the same transaction as its receipts.
 */
export interface CellResult {
  /** The result id. */
  readonly id: string;
  /** The run. */
  readonly run_id: string;
  /** The case id. */
  readonly case_key: string;
  /** The repetition, 0-based. */
  readonly repetition: number;
  /** The case's slice. */
  readonly slice: Slice;
  /** The generation receipt. */
  readonly generation_io_id: string | null;
  /** The judge receipts (one, or two after a retry). */
  readonly judge_io_ids: readonly string[];
  /** The model's text output (null on provider failure). */
  readonly output: string | null;
  /** The cell's status. */
  readonly status: CellStatus;
  /** Check name -> result. */
  readonly checks: Readonly<Record<string, CheckResult>>;
  /** Dimension name -> judged score; `null` when there is no judge or it failed. */
  readonly rubric: Readonly<Record<string, RubricScore>> | null;
  /** Why the judge gave no score, when it failed. */
  readonly judge_error: string | null;
  /** When the cell was committed. */
  readonly created_at: string;
  /** When its checks were last computed (rescoring updates it). */
  readonly scored_at: string;
}
