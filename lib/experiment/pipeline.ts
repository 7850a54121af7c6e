/**
 * A pipeline: a team's own multi-step function, named and versioned, that
 * `experiment(store, { task, pipeline })` runs over a task's cases x
 * repetitions like a prompt version.
 *
 * @module
 */
import type { Case } from "../schema/dataset.ts";
import type { ModelParams } from "../schema/prompt.ts";
import type {
  StepGateCheckDecision,
  StepGateStatus,
} from "../trace/step_gate.ts";
import type { WorkflowInput } from "../trace/workflow.ts";

/** One model call a pipeline step makes. */
export interface PipelineCallRequest {
  /** The model config id (one of the pipeline's `models`). */
  model: string;
  /**
   * A prompt of the pipeline's `prompts` by name: the task's prompt version
   * it names is rendered with `input`. Give this or `messages`.
   */
  prompt?: string;
  /** The variables the prompt is rendered with. @default {the case's input} */
  input?: Readonly<Record<string, unknown>>;
  /** A system prompt, with `messages`. */
  system?: string;
  /** The messages to send, when not rendering a prompt version. */
  messages?: { role: "user" | "assistant"; content: string }[];
  /** Generation parameters over the model config's and the prompt version's. */
  params?: ModelParams;
}

/** What a step's function gets: its calls are receipts bound to the cell and the step. */
export interface PipelineStep {
  /** The step id. */
  readonly id: string;
  /**
   * Calls a model and returns its text. The call goes through the runner
   * (rate limits, retries, cache) and becomes a receipt of this cell and
   * step; a failed call throws, and the step fails.
   */
  call(request: PipelineCallRequest): Promise<string>;
}

/** What a pipeline's function gets besides the case input. */
export interface PipelineContext {
  /** The case id. */
  readonly caseId: string;
  /** The case's slice. */
  readonly slice: Case["slice"];
  /** The repetition, 0-based. */
  readonly repetition: number;
  /**
   * Runs a declared step: its calls are bound to it, its output (JSON) and
   * latency recorded. A step after a gate that is not approved is refused
   * (a `GateHaltError`).
   */
  step<T>(id: string, fn: (step: PipelineStep) => Promise<T>): Promise<T>;
  /**
   * A gate step over `subject`: the pipeline's check for it (`gateChecks`)
   * decides; in an experiment nobody waits for a person, so a held gate
   * stays `pending` and the steps after it do not run.
   */
  gate(step: string, subject: unknown): Promise<StepGateStatus>;
}

/** The automatic check of a gate step. */
export type PipelineGateCheck = (
  subject: unknown,
) => { decision: StepGateCheckDecision; reason: string };

/**
 * A pipeline: a named, versioned async function of a case's input and a
 * context. Its version is its `version` and the sha256 of its module's
 * source, both recorded in the run's workflow snapshot.
 *
 * @example A one-step pipeline run as an experiment
 * ```ts
 * import { experiment, loadCatalog, open, type Pipeline } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const triage: Pipeline = {
 *   name: "triage", version: "1", module: import.meta.url,
 *   steps: [{ id: "answer" }], models: ["fake-fast"], prompts: { main: "v3" },
 *   run: (_input, ctx) => ctx.step("answer", (s) => s.call({ model: "fake-fast", prompt: "main" })),
 * };
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await experiment(store, { task: "support_triage", pipeline: triage, cases: ["st-001"] });
 * assert.equal(runs[0]?.prompt_version_id, "pipeline:triage@1");
 * assert.equal(runs[0]?.committed, 3);
 * ```
 */
export interface Pipeline {
  /** The pipeline's name, e.g. `support`. */
  name: string;
  /** The version you give it, e.g. `1` or `2024-06-rewrite`. */
  version: string;
  /** The module that defines it (`import.meta.url`): its source's sha256 pins the version. */
  module: string | URL;
  /** The workflow's steps (a DAG; gate steps carry a `gate` policy). */
  steps: WorkflowInput["steps"];
  /** The model config ids it calls (built, key-checked and priced before the first call). */
  models: string[];
  /** Prompt name -> the task's prompt version it uses (`v3`), pinned in the snapshot. */
  prompts?: Record<string, string>;
  /** The automatic check of each gate step. */
  gateChecks?: Record<string, PipelineGateCheck>;
  /**
   * A check per step, for attributing a failing cell to the first step
   * whose output went wrong: `true` when the step's output is right for the
   * case (it may read `expected`). Steps without one are not judged on
   * their own; a failing cell none of them explains is the final step's.
   */
  stepChecks?: Record<string, (output: unknown, testCase: Case) => boolean>;
  /** The pipeline: returns the final output (text, or JSON that is serialized). */
  run(
    input: Readonly<Record<string, unknown>>,
    context: PipelineContext,
  ): Promise<unknown>;
}
