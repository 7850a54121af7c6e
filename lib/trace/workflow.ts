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
