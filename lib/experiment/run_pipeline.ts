/**
 * Runs a pipeline once, for real, on its own trace: the same `Pipeline` an
 * experiment runs over a suite, here with gate steps that halt until a
 * person decides.
 *
 * @module
 */
import { ConflictError, ValidationError } from "../errors.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { recordCall } from "../trace/record_call.ts";
import { Tracer } from "../trace/tracer.ts";
import { pipelineRequest } from "./_pipeline_cell.ts";
import { pipelinePins, pipelineSourceSha256 } from "./_pipeline_plan.ts";
import { callModel, type RetryPolicy } from "./call_model.ts";
import type { Pipeline, PipelineContext } from "./pipeline.ts";

/** Options for {@linkcode runPipeline}. */
export interface RunPipelineOptions {
  /** The task whose prompt versions the pipeline's `prompts` name. */
  task: string;
  /** Resume this trace (after a halt at a gate): finished steps are not run again. */
  traceId?: string | undefined;
  /** An id for the input (a ticket, a case), recorded and given to the fake provider. @default {"input"} */
  inputId?: string | undefined;
  /** What the right answer is, for the fake provider only (a dataset case's `expected`). */
  expected?: Readonly<Record<string, unknown>> | undefined;
  /** How long a gate waits for a decision before a `GateHaltError` (ms). @default {Infinity} */
  waitMs?: number | undefined;
  /** How often a waiting gate looks for a decision (ms). @default {500} */
  pollMs?: number | undefined;
  /** Retries and timeout of each call. */
  retry?: RetryPolicy | undefined;
  /** Builds the adapter for a model config (tests inject stubs). @default {createAdapter} */
  adapterFor?: ((config: ModelConfig) => ModelAdapter) | undefined;
}

/** What {@linkcode runPipeline} did. */
export interface PipelineRun {
  /** The trace (resume it with `traceId` after a halt). */
  readonly trace_id: string;
  /** The pipeline's final output. */
  readonly output: unknown;
}

/**
 * Runs a pipeline on one input, traced: the workflow snapshot (its steps,
 * gate policies, version and module source sha256, models and prompt
 * versions) and a `Tracer` record each step, each call as a receipt bound to
 * its step, and each gate's request and decisions. A gate step halts until
 * its check or people decide (`wb gates pending`, `wb gate approve`); when
 * the wait ends first a `GateHaltError` is thrown, and running again with
 * `traceId` resumes: finished steps return their recorded output, so no
 * committed call is made again.
 *
 * @param store The database (the catalog loaded).
 * @param pipeline The pipeline.
 * @param input The input.
 * @param options The task, the trace to resume, how long gates wait.
 * @returns The trace id and the final output.
 * @throws {GateHaltError} If a gate is still pending when the wait ends, or a step after a rejected gate is started.
 *
 * @example A pipeline whose gate has a check that passes
 * ```ts
 * import { loadCatalog, open, type Pipeline, runPipeline } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const echo: Pipeline = {
 *   name: "echo", version: "1", module: import.meta.url, models: ["fake-fast"],
 *   steps: [{ id: "say" }, { id: "check", after: ["say"], gate: { subject: "say", check: "short" } }, { id: "send", after: ["check"] }],
 *   gateChecks: { check: (s) => ({ decision: String(s).length < 2000 ? "approve" : "hold", reason: "length" }) },
 *   async run(input, ctx) {
 *     const said = await ctx.step("say", (s) => s.call({ model: "fake-fast", messages: [{ role: "user", content: String(input.text) }] }));
 *     if (await ctx.gate("check", said) === "approved") await ctx.step("send", () => Promise.resolve(true));
 *     return said;
 *   },
 * };
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const run = await runPipeline(store, echo, { text: "hello" }, { task: "support_triage" });
 * assert.match(run.trace_id, /^trace_/);
 * ```
 */
export async function runPipeline(
  store: Store,
  pipeline: Pipeline,
  input: Readonly<Record<string, unknown>>,
  options: RunPipelineOptions,
): Promise<PipelineRun> {
  if (!options.task) {
    throw new ValidationError([{
      field: "task",
      message: "name the task whose prompt versions the pipeline uses",
    }]);
  }
  const task = await getTask(store, options.task);
  const { models, prompts } = await pipelinePins(store, task, pipeline);
  const tracer = options.traceId
    ? await Tracer.resume(store, options.traceId)
    : await Tracer.start(store, {
      schema_version: 1,
      name: `pipeline:${pipeline.name}`,
      steps: pipeline.steps,
      meta: {
        pipeline: {
          name: pipeline.name,
          version: pipeline.version,
          module: String(pipeline.module).split("/").at(-1),
          source_sha256: await pipelineSourceSha256(pipeline),
        },
        models: Object.fromEntries(
          [...models].map(([id, c]) => [id, c.sha256]),
        ),
        prompts: Object.fromEntries(
          [...prompts].map((
            [name, v],
          ) => [name, { id: v.id, sha256: v.sha256 }]),
        ),
      },
    });
  if (options.traceId) {
    const recorded = (tracer.workflow.meta.pipeline ?? {}) as {
      version?: string;
      source_sha256?: string;
    };
    const sha = await pipelineSourceSha256(pipeline);
    if (
      recorded.version !== pipeline.version || recorded.source_sha256 !== sha
    ) {
      throw new ConflictError(
        `Cannot resume trace '${tracer.traceId}' with pipeline ${pipeline.name}@${pipeline.version} (source sha256 ${
          sha.slice(0, 12)
        }): it was started by version ${recorded.version} with source sha256 ${
          recorded.source_sha256?.slice(0, 12)
        }; resume it with that module unchanged`,
      );
    }
  }
  const adapterFor = options.adapterFor ?? createAdapter;
  const adapters = new Map<string, ModelAdapter>();
  const at = {
    id: options.inputId ?? "input",
    slice: "typical",
    input,
    expected: options.expected,
    repetition: 0,
  };
  const context: PipelineContext = {
    caseId: at.id,
    slice: "typical",
    repetition: 0,
    step: (id, fn) =>
      tracer.step(id, () =>
        fn({
          id,
          call: async (call) => {
            const { config, request } = pipelineRequest(
              { pipeline, models, prompts, task },
              id,
              call,
              at,
              undefined,
            );
            let adapter = adapters.get(config.id);
            if (!adapter) {
              adapter = adapterFor(config);
              adapters.set(config.id, adapter);
            }
            const outcome = await callModel(adapter, request, options.retry);
            const response = outcome.response;
            await recordCall(tracer, {
              provider: config.provider,
              model: config.model,
              modelConfigId: config.id,
              request: {
                ...(request.system === undefined
                  ? {}
                  : { system: request.system }),
                messages: request.messages,
                params: { ...request.params },
              },
              response: response && {
                text: response.text,
                usage: response.usage,
                responseId: response.response_id,
                model: response.model,
                stopReason: response.stop_reason,
              },
              error: outcome.error && {
                kind: outcome.error.kind,
                message: outcome.error.message,
              },
              latencyMs: outcome.latencyMs,
              attempts: Math.max(1, outcome.attempts),
              step: id,
            });
            if (!response) {
              throw new Error(
                `step '${id}': ${outcome.error?.kind}: ${outcome.error?.message}`,
              );
            }
            return response.text;
          },
        })),
    gate: async (id, subject) => {
      const check = pipeline.gateChecks?.[id];
      const state = await tracer.gate(id, subject, {
        ...(check ? { check } : {}),
        context: { input: at.id },
        ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
        ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      });
      return state.status;
    },
  };
  const output = await pipeline.run(input, context);
  return { trace_id: tracer.traceId, output: output ?? null };
}
