import * as z from "zod";

/** One step of a workflow: a node of its DAG. */
export interface WorkflowStep {
  /** A unique name within the workflow, e.g. `generate`. */
  id: string;
  /** What the step does, in a few words. */
  description?: string | undefined;
  /** The steps whose output this step consumes. */
  after: string[];
  /** Exact ids this step uses (prompt version, model config, dataset, judge...). */
  uses: Record<string, string>;
  /** Set when the step is a gate: a halt point the steps after it wait on. */
  gate?: StepGatePolicy | undefined;
}

/**
 * A gate step's policy, frozen in the workflow snapshot: the output it
 * judges, how many people must approve it, who may not, and the automatic
 * check (by name; the function is given to `Tracer.gate`) that may decide it
 * without a person.
 */
export interface StepGatePolicy {
  /** The step whose output the gate judges; the gate step comes after it. */
  subject: string;
  /** Distinct people who must approve a subject the check holds (or when there is no check). */
  approvals: number;
  /** People who may not approve (e.g. the pipeline's owner). */
  not_approvers: string[];
  /** The name of the automatic check that approves, rejects or holds a subject for a person. */
  check?: string | undefined;
}

/** A workflow snapshot: the DAG of named steps a trace follows. */
export interface Workflow {
  /** The snapshot format version. */
  schema_version: 1;
  /** The workflow's name. */
  name: string;
  /** The steps, each naming the steps it comes after. */
  steps: WorkflowStep[];
  /** Anything else that pins the execution down (ids, versions, settings). */
  meta: Record<string, unknown>;
}

/** A workflow as written by a user: `after`, `uses` and `meta` may be left out. */
export interface WorkflowInput {
  /** The snapshot format version. */
  schema_version: 1;
  /** The workflow's name. */
  name: string;
  /** The steps. */
  steps: {
    id: string;
    description?: string | undefined;
    after?: string[] | undefined;
    uses?: Record<string, string> | undefined;
    gate?: {
      subject: string;
      approvals?: number | undefined;
      not_approvers?: string[] | undefined;
      check?: string | undefined;
    } | undefined;
  }[];
  /** Anything else that pins the execution down. */
  meta?: Record<string, unknown> | undefined;
}

const WorkflowStepSchema = z.strictObject({
  /** A unique name within the workflow, e.g. `generate`. */
  id: z.string().regex(/^[A-Za-z0-9_.:-]+$/),
  /** What the step does, in a few words. */
  description: z.string().optional(),
  /** The steps whose output this step consumes. */
  after: z.array(z.string()).default([]),
  /** Exact ids this step uses (prompt version, model config, dataset, judge...). */
  uses: z.record(z.string(), z.string()).default({}),
  /** Set when the step is a gate. */
  gate: z.strictObject({
    subject: z.string(),
    approvals: z.number().int().min(0).max(100).default(1),
    not_approvers: z.array(z.string().min(1)).default([]),
    check: z.string().min(1).optional(),
  }).refine((g) => g.approvals > 0 || g.check !== undefined, {
    message:
      "a gate needs at least one approval or an automatic check: set gate.approvals or gate.check",
  }).optional(),
});
/** Validates a workflow snapshot: unique step ids, known dependencies, no cycle. */
export const WorkflowSchema: z.ZodType<Workflow, WorkflowInput> = z
  .strictObject({
    schema_version: z.literal(1),
    name: z.string().min(1),
    steps: z.array(WorkflowStepSchema).min(1),
    /** Anything else that pins the execution down (ids, versions, settings). */
    meta: z.record(z.string(), z.unknown()).default({}),
  }).superRefine((wf, ctx) => {
    const ids = new Set<string>();
    for (const [i, step] of wf.steps.entries()) {
      if (ids.has(step.id)) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "id"],
          message: `duplicate step '${step.id}'`,
        });
      }
      ids.add(step.id);
    }
    for (const [i, step] of wf.steps.entries()) {
      for (const dep of step.after) {
        if (!ids.has(dep)) {
          ctx.addIssue({
            code: "custom",
            path: ["steps", i, "after"],
            message: `step '${step.id}' comes after unknown step '${dep}'`,
          });
        }
      }
    }
    for (const [i, step] of wf.steps.entries()) {
      if (step.gate && !step.after.includes(step.gate.subject)) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "gate", "subject"],
          message:
            `gate step '${step.id}' judges '${step.gate.subject}' but does not come after it: add '${step.gate.subject}' to its after`,
        });
      }
    }
    if (ids.size === wf.steps.length && hasCycle(wf.steps)) {
      ctx.addIssue({
        code: "custom",
        path: ["steps"],
        message: "the steps form a cycle",
      });
    }
  });

function hasCycle(steps: readonly WorkflowStep[]): boolean {
  const after = new Map(steps.map((s) => [s.id, s.after]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string): boolean => {
    if (state.get(id) === "done") return false;
    if (state.get(id) === "visiting") return true;
    state.set(id, "visiting");
    for (const dep of after.get(id) ?? []) if (visit(dep)) return true;
    state.set(id, "done");
    return false;
  };
  return steps.some((s) => visit(s.id));
}

/**
 * The gate steps a step comes after, directly or through other steps: the
 * gates that must be approved before it may start.
 */
export function gatesBefore(
  workflow: Workflow,
  stepId: string,
): WorkflowStep[] {
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const gates: WorkflowStep[] = [];
  const visit = (id: string) => {
    for (const dep of byId.get(id)?.after ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const step = byId.get(dep);
      if (step?.gate) gates.push(step);
      visit(dep);
    }
  };
  visit(stepId);
  return gates;
}
