import * as z from "zod";

/**
 * A person's 1-5 scores of one model output on a task's rubric: one line of
 * `datasets/<task>.labels.jsonl`. The label is bound to the exact output by
 * its sha256, so it never matches an output it was not written for.
 */
export interface LabelLine {
  /** The case id, e.g. `rm-001`. */
  readonly "case_id": string;
  /** The repetition labelled (0-based); absent when the label holds for any repetition with this output. */
  readonly repetition?: number | undefined;
  /** sha256 (hex) of the exact output text judged. */
  readonly "output_sha256": string;
  /** Who labelled it. */
  readonly labeller: string;
  /** Rubric dimension -> integer score 1 (bad) to 5 (good). */
  readonly scores: Readonly<Record<string, number>>;
  /** Why: what the labeller saw in the output. */
  readonly note?: string | undefined;
}

/** A label as stored: its line plus the task, an id and the time it was stored. */
export interface Label extends LabelLine {
  /** `lbl_` + the first 24 hex digits of the sha256 of its task and line (so importing a file twice stores nothing new). */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** When it was stored. */
  readonly "created_at": string;
}

/** The schema of one labels file line. */
export const LabelLineSchema: z.ZodType<LabelLine> = z.strictObject({
  "case_id": z.string().min(1, "name the case, e.g. rm-001"),
  repetition: z.int().nonnegative().optional(),
  "output_sha256": z.string().regex(
    /^[0-9a-f]{64}$/,
    "give the sha256 (64 lowercase hex digits) of the output text",
  ),
  labeller: z.string().trim().min(1, "name the labeller"),
  scores: z.record(
    z.string().min(1),
    z.int("scores are integers from 1 to 5").min(1).max(5),
  ).refine((s) => Object.keys(s).length > 0, "score at least one dimension"),
  note: z.string().optional(),
});
