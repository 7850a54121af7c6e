import * as z from "zod";
import { type Verdict, VERDICTS } from "../compare/verdict.ts";
import { ValidationError } from "../errors.ts";

/** What a gate needs before it counts as approved; stored with the gate. */
export interface GatePolicy {
  /** The policy format version. */
  schema_version: 1;
  /** Verdicts of the comparison that pass the policy gate; empty means no verdict is needed. */
  accepted_verdicts: Verdict[];
  /** How many distinct people must approve. */
  approvals: number;
  /** Whether one person's rejection rejects the gate. */
  rejection_blocks: boolean;
  /** Whether the person who requested the gate may approve it. */
  allow_self_approval: boolean;
}

/** A policy as written in a file or passed in code: every field may be left out. */
export interface GatePolicyInput {
  /** The policy format version. @default {1} */
  schema_version?: 1 | undefined;
  /** Verdicts that pass the policy gate. @default {["APPROVED"]} */
  accepted_verdicts?: Verdict[] | undefined;
  /** Distinct human approvals needed. @default {1} */
  approvals?: number | undefined;
  /** Whether a rejection by anyone rejects the gate. @default {true} */
  rejection_blocks?: boolean | undefined;
  /** Whether the requester may approve their own gate. @default {false} */
  allow_self_approval?: boolean | undefined;
}

/** Validates a gate policy and fills its defaults. */
export const GatePolicySchema: z.ZodType<GatePolicy, GatePolicyInput> = z
  .strictObject({
    schema_version: z.literal(1).default(1),
    accepted_verdicts: z.array(z.enum(VERDICTS)).default(["APPROVED"]),
    approvals: z.number().int().min(0).max(100).default(1),
    rejection_blocks: z.boolean().default(true),
    allow_self_approval: z.boolean().default(false),
  }).refine(
    (p) => p.accepted_verdicts.length > 0 || p.approvals > 0,
    "a policy must require a verdict or at least one approval",
  );

/**
 * The default policy, used for promotion to `production` and any other alias
 * unless a gate names its own: an `APPROVED` verdict and one human approval
 * by someone other than the requester; any rejection blocks.
 *
 * @example An empty policy is the default policy
 * ```ts
 * import { DEFAULT_GATE_POLICY, parseGatePolicy } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(DEFAULT_GATE_POLICY.accepted_verdicts, ["APPROVED"]);
 * assert.equal(DEFAULT_GATE_POLICY.approvals, 1);
 * assert.equal(DEFAULT_GATE_POLICY.allow_self_approval, false);
 * assert.deepEqual(parseGatePolicy({}), DEFAULT_GATE_POLICY);
 * ```
 */
export const DEFAULT_GATE_POLICY: Readonly<GatePolicy> = Object.freeze({
  schema_version: 1,
  accepted_verdicts: ["APPROVED" as Verdict],
  approvals: 1,
  rejection_blocks: true,
  allow_self_approval: false,
});

/**
 * Validates a gate policy (from code or a parsed policy file) and fills in
 * the defaults.
 *
 * @param value The policy as given.
 * @param file The file it came from, for error messages.
 * @returns The complete policy.
 * @throws {ValidationError} If a field is unknown or out of range.
 *
 * @example Requiring two approvals
 * ```ts
 * import { parseGatePolicy } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const policy = parseGatePolicy({ approvals: 2 });
 * assert.deepEqual(policy.accepted_verdicts, ["APPROVED"]);
 * assert.equal(policy.approvals, 2);
 * assert.equal(policy.allow_self_approval, false);
 * ```
 */
export function parseGatePolicy(value: unknown, file?: string): GatePolicy {
  const parsed = GatePolicySchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({
      ...(file ? { file } : {}),
      field: ["policy", ...issue.path].join("."),
      message:
        `${issue.message}; fields are accepted_verdicts (APPROVED, REJECTED, INCONCLUSIVE), approvals, rejection_blocks, allow_self_approval`,
    })));
  }
  return parsed.data;
}
