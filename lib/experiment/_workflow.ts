import type { ModelConfig } from "../schema/model.ts";
import type { PromptVersion } from "../schema/prompt.ts";
import type { Task } from "../schema/task.ts";
import type { DatasetInfo } from "../store/catalog.ts";
import type { WorkflowInput } from "../trace/workflow.ts";
import type { JuryPlan } from "./_plan.ts";

/**
 * A run's workflow snapshot: the DAG render -> generate -> check / judge ->
 * score, with the exact prompt, dataset, model and judge versions.
 */
export function workflowFor(
  task: Task,
  version: PromptVersion,
  model: ModelConfig & { sha256: string },
  judgeConfig: (ModelConfig & { sha256: string }) | undefined,
  dataset: Pick<DatasetInfo, "id" | "case_count">,
  repetitions: number,
  jury?: JuryPlan,
): WorkflowInput {
  return {
    schema_version: 1,
    name: `experiment:${task.name}`,
    steps: [
      {
        id: "render",
        description: "render the prompt version's template with each case",
        uses: {
          prompt_version: version.id,
          prompt_sha256: version.sha256,
          dataset: dataset.id,
        },
      },
      {
        id: "generate",
        description: "call the model under test",
        after: ["render"],
        uses: { model_config: model.id, model_config_sha256: model.sha256 },
      },
      {
        id: "check",
        description: "run the task's deterministic checks",
        after: ["generate"],
        uses: { task: task.id },
      },
      {
        id: "judge",
        description: "score the rubric with the judge model",
        after: ["generate"],
        uses: jury
          ? Object.fromEntries([
            ["jury", jury.key],
            ...jury.configs.map((c) => [`juror:${c.id}`, c.sha256]),
          ])
          : judgeConfig
          ? {
            model_config: judgeConfig.id,
            model_config_sha256: judgeConfig.sha256,
          }
          : {},
      },
      {
        id: "score",
        description: "write the cell's result",
        after: ["check", "judge"],
      },
    ],
    meta: { repetitions, cases: dataset.case_count },
  };
}
