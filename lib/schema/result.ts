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

/**
 * A cell as a scorecard reads it: a {@linkcode CellResult} without its
 * output, ids and times, and with each rubric dimension's score and jurors
 * but not its reasoning or evidence. A run's scorecard is computed from
 * these, reduced as the rows are read, so that a large run's texts are not
 * all held at once. A {@linkcode CellResult} is one.
 *
 * @example A judged cell as the scorecard reads it
 * ```ts
 * import type { ScoredCell } from "@llm-workbench/workbench";
 * import { cellScore } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const cell: ScoredCell = {
 *   case_key: "rm-001", repetition: 0, slice: "typical",
 *   generation_io_id: "io_1", judge_io_ids: ["io_2"], status: "ok",
 *   checks: { schema_valid: { pass: true, score: 1, detail: "" } },
 *   rubric: { accuracy: { score: 5 } }, judge_error: null,
 * };
 * assert.equal(cellScore(cell), 1);
 * ```
 */
export type ScoredCell =
  & Pick<
    CellResult,
    | "case_key"
    | "repetition"
    | "slice"
    | "generation_io_id"
    | "judge_io_ids"
    | "status"
    | "checks"
    | "judge_error"
  >
  & {
    /** Dimension name -> judged score and jurors; `null` when unjudged. */
    readonly rubric:
      | Readonly<Record<string, Pick<RubricScore, "score" | "jurors">>>
      | null;
  };
