import * as z from "zod";
import { type Slice, SliceSchema } from "./task.ts";

/** One line of `datasets/<task>.jsonl`. */
export const CaseSchema = z.strictObject({
  id: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    "use letters, digits, _ . - (e.g. rm-001)",
  ),
  slice: SliceSchema,
  input: z.record(z.string(), z.unknown()),
  expected: z.record(z.string(), z.unknown()).default({}),
  /** Why the case exists: what it probes. */
  note: z.string().optional(),
});
/** One test case. */
export interface Case {
  /** A unique id within the dataset, e.g. `rm-001`. */
  id: string;
  /** The kind of case. */
  slice: Slice;
  /** The input the prompt template is rendered with. */
  input: Record<string, unknown>;
  /** What a correct answer looks like (the checks read it). */
  expected: Record<string, unknown>;
  /** What the case probes. */
  note?: string | undefined;
}

/** A dataset version as stored: identity is the sha256 of its canonical cases. */
export interface Dataset {
  /** sha256 of the canonical array of cases, in file order. */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** The cases in file order. */
  readonly cases: readonly Case[];
}
