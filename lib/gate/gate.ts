/**
 * The records a gate is made of: what it judges, its decisions and its state.
 *
 * @module
 */
import * as z from "zod";
import { type Verdict, VERDICTS } from "../compare/verdict.ts";
import type { GatePolicy } from "./policy.ts";

/** A run a gate's comparison read, bound to its results as they were. */
export interface GateRunSubject {
  /** The run id. */
  run_id: string;
  /** sha256 of the run's results (status, output, check and rubric scores per cell). */
  results_sha256: string;
}

/** The comparison a gate judges, by id and content hash. */
export interface GateComparisonSubject {
  /** The comparison id. */
  id: string;
  /** sha256 of the stored verdict body. */
  sha256: string;
  /** The verdict it reached. */
  verdict: Verdict;
  /** The baseline run. */
  baseline: GateRunSubject;
  /** The candidate run (of the prompt version judged). */
  candidate: GateRunSubject;
}

/**
 * What a gate judges, as ids and content hashes. Its sha256 is the gate's
 * `subject_sha256`; every decision is bound to it, and a subject whose
 * records changed afterwards hashes differently, so those decisions no
 * longer count.
 */
export interface GateSubject {
  /** The subject format version. */
  schema_version: 1;
  /** The task. */
  task: string;
  /** The alias the gate would allow to move, e.g. `production`. */
  alias: string;
  /** The prompt version to promote. */
  prompt_version: {
    /** `<task>@v<version>`. */
    id: string;
    /** The version number. */
    version: number;
    /** The prompt version's content hash. */
    sha256: string;
  };
  /** The comparison whose verdict the policy gate reads, if any. */
  comparison: GateComparisonSubject | null;
}

const RunSubjectSchema = z.strictObject({
  run_id: z.string(),
  results_sha256: z.string(),
});

/** Validates a stored gate subject. */
export const GateSubjectSchema: z.ZodType<GateSubject> = z.strictObject({
  schema_version: z.literal(1),
  task: z.string(),
  alias: z.string(),
  prompt_version: z.strictObject({
    id: z.string(),
    version: z.number().int(),
    sha256: z.string(),
  }),
  comparison: z.strictObject({
    id: z.string(),
    sha256: z.string(),
    verdict: z.enum(VERDICTS),
    baseline: RunSubjectSchema,
    candidate: RunSubjectSchema,
  }).nullable(),
});

/** `approve` or `reject`. */
export type GateDecisionKind = "approve" | "reject";

/** One decision on a gate: the policy's (from a verdict) or a person's. */
export interface GateDecision {
  /** The decision id. */
  readonly id: string;
  /** `policy` for the verdict check, `human` for a person. */
  readonly kind: "policy" | "human";
  /** Who decided (`policy` for the policy gate). */
  readonly actor: string;
  /** What they decided. */
  readonly decision: GateDecisionKind;
  /** Why. */
  readonly reason: string;
  /** The subject hash the decision was made on. */
  readonly subject_sha256: string;
  /** The comparison a policy decision read. */
  readonly comparison_id: string | null;
  /** When, as ISO 8601 UTC. */
  readonly created_at: string;
}

/** A gate: a halt point over a subject, with its policy and decisions. */
export interface Gate {
  /** The gate id. */
  readonly id: string;
  /** The task. */
  readonly task: string;
  /** The alias the gate would allow to move. */
  readonly alias: string;
  /** What is judged. */
  readonly subject: GateSubject;
  /** sha256 of the canonical subject at request time. */
  readonly subject_sha256: string;
  /** The policy the gate applies. */
  readonly policy: GatePolicy;
  /** Who asked. */
  readonly requested_by: string;
  /** The gate's own trace (request, policy, human, promote). */
  readonly trace_id: string;
  /** When it was requested. */
  readonly created_at: string;
  /** Its decisions, oldest first. */
  readonly decisions: readonly GateDecision[];
}

/** Where a gate stands. */
export type GateStatus = "pending" | "approved" | "rejected";

/** A gate's state, computed from its records as they are now. */
export interface GateEvaluation {
  /** The gate. */
  readonly gate: Gate;
  /** `pending` until the policy is met or something rejects it. */
  readonly status: GateStatus;
  /** Why it stands where it stands, one line each. */
  readonly reasons: readonly string[];
  /** The subject's hash recomputed from the current records. */
  readonly current_sha256: string;
  /** The people whose approvals count. */
  readonly approvals: readonly string[];
  /** The people whose rejections count. */
  readonly rejections: readonly string[];
}
