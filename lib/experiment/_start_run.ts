/**
 * Recording a planned run: its row, its workflow snapshot and the
 * `run_started` event that opens its trace.
 *
 * @module
 */
import type { Store } from "../store/open.ts";
import { insertRun, type RunStatus } from "../store/runs.ts";
import { Tracer } from "../trace/tracer.ts";
import type { WorkflowInput } from "../trace/workflow.ts";
import type { Plan } from "./_plan.ts";

/** Stores a plan's run with `status` and starts its trace; returns the tracer. */
export async function startRun(
  store: Store,
  plan: Plan,
  status: RunStatus,
): Promise<Tracer> {
  await insertRun(store, { ...plan.run, status });
  const tracer = await Tracer.start(
    store,
    plan.run.workflow as WorkflowInput,
    { traceId: plan.run.trace_id },
  );
  await tracer.emit("run_started", {
    data: {
      run_id: plan.run.id,
      prompt_version: plan.version.id,
      prompt_sha256: plan.version.sha256,
      model_config: plan.model.id,
      dataset: plan.run.dataset_id,
      repetitions: plan.run.repetitions,
    },
  });
  return tracer;
}
