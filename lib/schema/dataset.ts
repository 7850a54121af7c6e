import * as z from "zod";
import { SliceSchema } from "./task.ts";

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
export type Case = z.infer<typeof CaseSchema>;

/** A dataset version as stored: identity is the sha256 of its canonical cases. */
export interface Dataset {
  /** sha256 of the canonical array of cases, in file order. */
  readonly id: string;
  readonly task: string;
  readonly cases: readonly Case[];
}
