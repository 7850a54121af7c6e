/**
 * One cell of a pipeline run: the pipeline's function over the case, each
 * model call made through the runner's caller and bound to its step, the
 * gate steps decided by their checks, then the final output checked and
 * judged like a prompt's (`OutputJudge`). What the cell commits (the result
 * row, its step and gate events) is built here too.
 *
 * @module
 */
import { newId } from "../content/ids.ts";
import { contentHash } from "../content/sha256.ts";
import { GateHaltError } from "../errors.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import type { CellResult, CellStatus } from "../schema/result.ts";
import { DEFAULT_BOUNDS } from "../schema/task.ts";
import { STEP_GATE_SCOPE } from "../trace/step_gate.ts";
import type { StepGateStatus } from "../trace/step_gate.ts";
import type { Tracer } from "../trace/tracer.ts";
import {
  gatesBefore,
  type Workflow,
  WorkflowSchema,
} from "../trace/workflow.ts";
import { type Caller, promptBytes } from "./_caller.ts";
import type { OutputJudge } from "./_cell.ts";
import { type CellRecord, cellResult } from "./_cell_record.ts";
import type { PipelinePlan } from "./_pipeline_plan.ts";
import type { Cell, VersionedConfig } from "./_plan.ts";
import type { Call } from "./_request_identity.ts";
import type {
  PipelineCallRequest,
  PipelineContext,
  PipelineStep,
} from "./pipeline.ts";
import { renderPrompt } from "./render.ts";

/** What one step of a cell did. */
export interface StepRecord {
  /** Its place among the cell's steps and gates, in the order they ran. */
  readonly seq: number;
  readonly step: string;
  /** `ok`, `failed` (it threw), or `refused` (a gate before it was not approved). */
  readonly status: "ok" | "failed" | "refused";
  readonly outputSha256: string | null;
  readonly latencyMs: number;
  readonly calls: readonly Call[];
  readonly error: string | null;
  /** The pipeline's check of the step's output, when it has one. */
  readonly check: boolean | null;
}

/** A gate step a cell reached, and what its check decided. */
export interface CellGate {
  /** Its place among the cell's steps and gates, in the order they ran. */
  readonly seq: number;
  readonly step: string;
  readonly gateId: string;
  readonly subject: unknown;
  readonly subjectSha256: string;
  readonly decision: "approve" | "reject" | "hold" | null;
  readonly reason: string;
  readonly status: StepGateStatus;
}

/** What a pipeline cell came to. */
export interface PipelineCellOutcome {
  /** Every call: the steps' in order, then the judge's. */
  readonly calls: readonly Call[];
  readonly steps: readonly StepRecord[];
  readonly gates: readonly CellGate[];
  readonly output: string | null;
  readonly status: CellStatus;
  readonly checks: CellResult["checks"];
  readonly rubric: CellResult["rubric"];
  readonly judgeError: string | null;
  /** The step that owns a failing cell: the first whose output went wrong. */
  readonly owner: string | null;
  /** What the pipeline's own code threw outside its steps, if it did. */
  readonly error: string | null;
}

/** A call that failed: the step that made it fails. */
class CallFailed extends Error {
  constructor(step: string, receipt: Call["receipt"]) {
    super(
      `step '${step}': ${receipt.error?.kind ?? "error"}: ${
        receipt.error?.message ?? "the call failed"
      } (receipt ${receipt.id})`,
    );
    this.name = "CallFailed";
  }
}

/** Runs a pipeline run's cells. */
export class PipelineCellRunner {
  readonly #plan: PipelinePlan;
  readonly #caller: Caller;
  readonly #judge: OutputJudge;
  readonly #signal: AbortSignal | undefined;
  readonly #workflow: Workflow;
  readonly #promptLimit: number;

  constructor(
    plan: PipelinePlan,
    caller: Caller,
    judge: OutputJudge,
    signal: AbortSignal | undefined,
  ) {
    this.#plan = plan;
    this.#caller = caller;
    this.#judge = judge;
    this.#signal = signal;
    this.#workflow = WorkflowSchema.parse(plan.run.workflow);
    this.#promptLimit = plan.task.bounds?.prompt_bytes ??
      DEFAULT_BOUNDS.prompt_bytes;
  }

  /**
   * Runs the pipeline over one cell, then checks and judges its output.
   * Returns undefined when the run was cancelled and a call was cut short
   * (the cell stays to do).
   */
  async run(
    cell: Cell,
    sent: () => void,
  ): Promise<PipelineCellOutcome | undefined> {
    const { pipeline } = this.#plan;
    const steps: StepRecord[] = [];
    const gates: CellGate[] = [];
    const gateStatus = new Map<string, StepGateStatus>();
    const context = this.#context(cell, sent, steps, gates, gateStatus);
    let output: string | null = null;
    let status: CellStatus = "ok";
    let pipelineError: string | null = null;
    try {
      const result = await pipeline.run(cell.testCase.input, context);
      output = result === undefined || result === null
        ? null
        : typeof result === "string"
        ? result
        : JSON.stringify(result);
      if (output === null) status = "invalid_output";
    } catch (error) {
      status = error instanceof CallFailed
        ? "provider_error"
        : "invalid_output";
      // Thrown outside any step (every step that ran finished): the
      // pipeline's own code failed between or after its steps.
      if (!steps.some((s) => s.status !== "ok")) {
        pipelineError = error instanceof Error ? error.message : String(error);
      }
    }
    const stepCalls = steps.flatMap((s) => s.calls);
    if (this.#cancelled(stepCalls)) return undefined;
    const judged = await this.#judge.judge(cell, output, status, sent);
    const calls = [...stepCalls, ...judged.calls];
    if (judged.calls.length > 0 && this.#cancelled(calls)) return undefined;
    const failing = judged.status !== "ok" ||
      Object.values(judged.checks).some((c) => c.pass === false);
    return {
      calls,
      steps,
      gates,
      output,
      status: judged.status,
      checks: judged.checks,
      rubric: judged.rubric,
      judgeError: judged.judgeError,
      owner: failing ? ownerOf(steps) : null,
      error: pipelineError,
    };
  }

  #context(
    cell: Cell,
    sent: () => void,
    steps: StepRecord[],
    gates: CellGate[],
    gateStatus: Map<string, StepGateStatus>,
  ): PipelineContext {
    const { pipeline } = this.#plan;
    const workflow = this.#workflow;
    const declared = (id: string) => {
      const step = workflow.steps.find((s) => s.id === id);
      if (!step || id === "judge" || id === "score") {
        throw new RangeError(
          `Unknown step '${id}' in pipeline '${pipeline.name}'; declare it in the pipeline's steps`,
        );
      }
      return step;
    };
    return {
      caseId: cell.testCase.id,
      slice: cell.testCase.slice,
      repetition: cell.repetition,
      step: async <T>(
        id: string,
        fn: (step: PipelineStep) => Promise<T>,
      ): Promise<T> => {
        declared(id);
        for (const gate of gatesBefore(workflow, id)) {
          const status = gateStatus.get(gate.id);
          if (status !== "approved") {
            steps.push({
              seq: steps.length + gates.length,
              step: id,
              status: "refused",
              outputSha256: null,
              latencyMs: 0,
              calls: [],
              error: `gate step '${gate.id}' is ${status ?? "not requested"}`,
              check: null,
            });
            throw new GateHaltError(
              gate.id,
              gates.find((g) => g.step === gate.id)?.gateId ?? null,
              status === "rejected" ? "rejected" : status ?? "not_requested",
              `Cannot start step '${id}' of case ${cell.testCase.id}`,
            );
          }
        }
        const calls: Call[] = [];
        const started = performance.now();
        const handle: PipelineStep = {
          id,
          call: (request) => this.#call(id, cell, request, calls, sent),
        };
        try {
          const output = await fn(handle);
          const check = pipeline.stepChecks?.[id];
          steps.push({
            seq: steps.length + gates.length,
            step: id,
            status: "ok",
            outputSha256: contentHash(output ?? null),
            latencyMs: performance.now() - started,
            calls,
            error: null,
            check: check ? check(output, cell.testCase) : null,
          });
          return output;
        } catch (error) {
          steps.push({
            seq: steps.length + gates.length,
            step: id,
            status: "failed",
            outputSha256: null,
            latencyMs: performance.now() - started,
            calls,
            error: error instanceof Error ? error.message : String(error),
            check: null,
          });
          throw error;
        }
      },
      gate: (id: string, subject: unknown): Promise<StepGateStatus> => {
        const def = declared(id);
        if (!def.gate) {
          throw new RangeError(
            `Step '${id}' of pipeline '${pipeline.name}' is not a gate step; declare it with a gate policy`,
          );
        }
        const check = pipeline.gateChecks?.[id];
        const verdict = check ? check(subject) : null;
        const status: StepGateStatus = verdict?.decision === "approve"
          ? "approved"
          : verdict?.decision === "reject"
          ? "rejected"
          : "pending";
        gates.push({
          seq: steps.length + gates.length,
          step: id,
          gateId: newId("gate"),
          subject: subject ?? null,
          subjectSha256: contentHash(subject ?? null),
          decision: verdict?.decision ?? null,
          reason: verdict?.reason ??
            "no check: in an experiment nobody decides, so the gate stays pending",
          status,
        });
        gateStatus.set(id, status);
        return Promise.resolve(status);
      },
    };
  }

  async #call(
    step: string,
    { testCase, repetition }: Cell,
    request: PipelineCallRequest,
    calls: Call[],
    sent: () => void,
  ): Promise<string> {
    const { config, request: built } = pipelineRequest(
      this.#plan,
      step,
      request,
      { ...testCase, repetition },
      this.#signal,
    );
    const prepared = this.#judge.prepare(config, built);
    const bytes = promptBytes(built);
    const call = bytes > this.#promptLimit
      ? this.#caller.refuse("generate", config, prepared, {
        kind: "request_too_large",
        message:
          `the prompt of step '${step}' is ${bytes} bytes, over the task's limit of ${this.#promptLimit} (bounds.prompt_bytes in task.yaml); the call was not sent`,
      })
      : await this.#caller.call(
        "generate",
        config,
        prepared,
        undefined,
        sent,
      );
    calls.push(call);
    if (call.receipt.status !== "ok" || call.receipt.text === null) {
      throw new CallFailed(step, call.receipt);
    }
    return call.receipt.text;
  }

  #cancelled(calls: readonly Call[]): boolean {
    return (this.#signal?.aborted ?? false) &&
      calls.some((c) => c.receipt.error?.kind === "aborted");
  }
}

/**
 * The step that owns a failing cell: the first that failed or whose own
 * check failed, in the order the steps ran; else the final step, taken as
 * the last step that called a model (a step that only passes the output on,
 * such as sending it, does not write it), or the last step that ran.
 */
export function ownerOf(steps: readonly StepRecord[]): string | null {
  for (const s of steps) {
    if (s.status === "failed" || s.check === false) return s.step;
  }
  const ran = steps.filter((s) => s.status === "ok");
  return ran.filter((s) => s.calls.length > 0).at(-1)?.step ??
    ran.at(-1)?.step ?? steps.at(-1)?.step ?? null;
}

/** The result row and trace events of a pipeline cell of run `runId`. */
export function pipelineCellRecord(
  runId: string,
  { testCase, repetition }: Cell,
  outcome: PipelineCellOutcome,
): CellRecord {
  const receipts = outcome.calls.map((c) => c.receipt);
  const judgeCount = receipts.length -
    outcome.steps.reduce((n, s) => n + s.calls.length, 0);
  const stepReceipts = receipts.slice(0, receipts.length - judgeCount);
  const judgeReceipts = receipts.slice(receipts.length - judgeCount);
  const result = cellResult(
    runId,
    { testCase, repetition },
    outcome,
    stepReceipts.at(-1)?.id ?? null,
    judgeReceipts.map((r) => r.id),
  );
  const cell = { case: testCase.id, repetition };
  const events = (t: Tracer) => {
    const events = [];
    const trail = [
      ...outcome.steps.map((s) => ({ seq: s.seq, step: s })),
      ...outcome.gates.map((g) => ({ seq: g.seq, gate: g })),
    ].sort((a, b) => a.seq - b.seq);
    for (const entry of trail) {
      if ("gate" in entry) {
        events.push(...gateEvents(t, entry.gate, cell, runId));
        continue;
      }
      const s = entry.step;
      events.push(t.next(
        s.status === "ok"
          ? "step_finished"
          : s.status === "failed"
          ? "step_failed"
          : "step_refused",
        {
          step: s.step,
          data: {
            ...cell,
            receipt_ids: s.calls.map((c) => c.receipt.id),
            latency_ms: Math.round(s.latencyMs * 1000) / 1000,
            output_sha256: s.outputSha256,
            ...(s.check === null ? {} : { check: s.check }),
            ...(s.error === null ? {} : { error: s.error }),
          },
        },
      ));
    }
    if (outcome.error !== null) {
      events.push(t.next("pipeline_failed", {
        data: { ...cell, error: outcome.error },
      }));
    }
    if (judgeReceipts.length > 0) {
      events.push(
        outcome.judgeError
          ? t.next("step_failed", {
            step: "judge",
            data: {
              ...cell,
              receipt_ids: result.judge_io_ids,
              error: outcome.judgeError,
            },
          })
          : t.next("step_finished", {
            step: "judge",
            data: { ...cell, receipt_ids: result.judge_io_ids },
          }),
      );
    }
    events.push(t.next("step_finished", {
      step: "score",
      data: {
        ...cell,
        result_id: result.id,
        status: outcome.status,
        ...(outcome.owner === null ? {} : { owner_step: outcome.owner }),
      },
    }));
    return events;
  };
  return {
    write: {
      receipts,
      receiptJson: outcome.calls.map((c) => c.json),
      result,
    },
    events,
  };
}

function gateEvents(
  t: Tracer,
  g: CellGate,
  cell: { case: string; repetition: number },
  runId: string,
) {
  // A cell's gates carry scope "cell": nobody is asked to decide them, so
  // `wb gates pending` does not list them.
  const scope = { scope: `${STEP_GATE_SCOPE}:cell`, gate_id: g.gateId };
  const events = [
    t.next("gate_requested", {
      step: g.step,
      data: {
        ...scope,
        subject: g.subject,
        subject_sha256: g.subjectSha256,
        context: { run_id: runId, ...cell },
      },
    }),
  ];
  if (g.decision !== null) {
    events.push(t.next("policy_gate_evaluated", {
      step: g.step,
      data: {
        ...scope,
        decision_id: newId("dec"),
        decision: g.decision,
        reason: g.reason,
        subject_sha256: g.subjectSha256,
        status: g.status,
      },
    }));
  }
  return events;
}

/**
 * The model request a pipeline step's call makes: the named prompt version
 * rendered with the input (or the messages given), the params layered model
 * config < prompt version < call, and the case as hints for the fake
 * provider (real adapters never send them).
 */
export function pipelineRequest(
  plan: Pick<PipelinePlan, "pipeline" | "models" | "prompts"> & {
    task: { name: string };
  },
  step: string,
  request: PipelineCallRequest,
  at: {
    id: string;
    slice: string;
    input: Readonly<Record<string, unknown>>;
    expected?: Readonly<Record<string, unknown>> | undefined;
    repetition: number;
  },
  signal: AbortSignal | undefined,
): { config: VersionedConfig; request: ModelRequest } {
  const { pipeline, models, prompts, task } = plan;
  const config = models.get(request.model);
  if (!config) {
    throw new RangeError(
      `step '${step}' calls model '${request.model}', which pipeline '${pipeline.name}' does not list in its models (${
        [...models.keys()].join(", ")
      })`,
    );
  }
  let system: string | undefined = request.system;
  let messages: ModelRequest["messages"] | undefined = request.messages;
  let params = { ...config.params, ...request.params };
  if (request.prompt !== undefined) {
    const version = prompts.get(request.prompt);
    if (!version) {
      throw new RangeError(
        `step '${step}' uses prompt '${request.prompt}', which pipeline '${pipeline.name}' does not list in its prompts`,
      );
    }
    const rendered = renderPrompt(version, request.input ?? at.input);
    system = rendered.system;
    messages = rendered.messages;
    params = { ...config.params, ...version.params, ...request.params };
  }
  if (!messages?.length) {
    throw new RangeError(
      `step '${step}' calls '${request.model}' with neither a prompt nor messages`,
    );
  }
  return {
    config,
    request: {
      ...(system === undefined ? {} : { system }),
      messages,
      params,
      repetition: at.repetition,
      hints: {
        task: task.name,
        case_id: at.id,
        slice: at.slice,
        input: at.input,
        ...(at.expected === undefined ? {} : { expected: at.expected }),
      },
      ...(signal ? { signal } : {}),
    },
  };
}
