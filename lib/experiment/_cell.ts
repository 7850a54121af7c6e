/**
 * One cell's model work: generate, run the checks, then judge (one judge
 * or a jury). What is left after the calls (the result row, trace events,
 * the commit) is `_cell_record.ts`'s.
 *
 * @module
 */
import type { ModelRequest } from "../schema/model_call.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { ModelParams, PromptVersion } from "../schema/prompt.ts";
import type { CellResult, CellStatus } from "../schema/result.ts";
import { DEFAULT_BOUNDS } from "../schema/task.ts";
import type { JudgeCall, JudgeResult } from "../scoring/judge.ts";
import { judge } from "../scoring/judge.ts";
import { judgeByJury } from "../scoring/jury.ts";
import { scoreCell } from "../scoring/score_cell.ts";
import type { KnownHits } from "./_cache.ts";
import { type Caller, promptBytes } from "./_caller.ts";
import type { Cell, Plan } from "./_plan.ts";
import {
  type Call,
  prepareCall,
  type PreparedCall,
  sameRequest,
  type SerializeMemo,
} from "./_request_identity.ts";
import { type RenderedPrompt, renderPrompt } from "./render.ts";

/** A judge request built ahead (for a cell whose generation was a cache hit), and its prepared call. */
export interface PreparedJudge {
  readonly built: ModelRequest;
  readonly call: PreparedCall;
}

/** What a cell's model work came to. */
export interface CellOutcome {
  /** The generation call first, then the judge calls in order. */
  readonly calls: readonly Call[];
  readonly output: string | null;
  readonly status: CellStatus;
  readonly checks: CellResult["checks"];
  readonly rubric: CellResult["rubric"];
  readonly judgeError: string | null;
}

/** The generation's calls, prepared ahead: the call, the first judge call, and the cache lookups. */
export interface PreparedCell {
  readonly call: PreparedCall;
  readonly judge?: PreparedJudge | undefined;
  readonly known?: KnownHits | undefined;
}

/** A receipt as the judge reads it. */
function toJudgeAnswer(call: Call): Awaited<ReturnType<JudgeCall>> {
  const { receipt } = call;
  return {
    receipt_id: receipt.id,
    text: receipt.text,
    error: receipt.error
      ? `${receipt.error.kind}: ${receipt.error.message}`
      : null,
  };
}

/** What checking and judging an output came to. */
export interface JudgedOutput {
  /** The judge calls, in order. */
  readonly calls: readonly Call[];
  readonly status: CellStatus;
  readonly checks: CellResult["checks"];
  readonly rubric: CellResult["rubric"];
  readonly judgeError: string | null;
}

/**
 * Checks an output with the task's checks and judges it (one judge or a
 * jury): the part of a cell after its output exists, shared by prompt runs
 * and pipeline runs.
 */
export class OutputJudge {
  readonly #plan: Pick<Plan, "task" | "judgeConfig" | "jury">;
  readonly #caller: Caller;
  readonly #withKeys: boolean;
  readonly #signal: AbortSignal | undefined;
  /** Serialized request members, shared by the run's calls. */
  readonly #memo: SerializeMemo = new Map();

  constructor(
    plan: Pick<Plan, "task" | "judgeConfig" | "jury">,
    caller: Caller,
    withKeys: boolean,
    signal: AbortSignal | undefined,
  ) {
    this.#plan = plan;
    this.#caller = caller;
    this.#withKeys = withKeys;
    this.#signal = signal;
  }

  /** Prepares a request for a model config (its recorded JSON and cache key). */
  prepare(config: ModelConfig, request: ModelRequest): PreparedCall {
    return prepareCall(config, request, this.#withKeys, this.#memo);
  }

  /** A judge request as a judge config sends it: its params under the request's, at the cell's repetition. */
  judgeRequest(
    request: ModelRequest,
    repetition: number,
    config: ModelConfig,
  ): ModelRequest {
    return {
      ...request,
      params: { ...config.params, ...request.params },
      repetition,
      ...(this.#signal ? { signal: this.#signal } : {}),
    };
  }

  /**
   * Runs the task's checks on `output` and, when it is a valid answer and
   * the run has a judge or jury, judges it. `prepared` holds a judge call
   * built ahead and cache lookups.
   */
  async judge(
    { testCase, repetition }: Cell,
    output: string | null,
    called: CellStatus,
    sent: () => void,
    prepared: Pick<PreparedCell, "judge" | "known"> = {},
  ): Promise<JudgedOutput> {
    const { task, judgeConfig, jury } = this.#plan;
    let status = called;
    const checks = scoreCell(task, testCase, output, status);
    if (
      status === "ok" && checks.json_schema_valid &&
      !checks.json_schema_valid.pass
    ) {
      status = "invalid_output";
    }
    const calls: Call[] = [];
    let verdict: JudgeResult | undefined;
    if (output !== null && status === "ok" && (judgeConfig || jury)) {
      // Each judge call's receipt becomes one of the cell's calls, in the
      // order the judge (or the jury, juror by juror) lists them.
      const byReceipt = new Map<string, Call>();
      const callFor = (config: ModelConfig): JudgeCall => async (request) => {
        const first = config === judgeConfig ? prepared.judge : undefined;
        const call = await this.#caller.call(
          "judge",
          config,
          first && sameRequest(request, first.built)
            ? first.call
            : this.prepare(
              config,
              this.judgeRequest(request, repetition, config),
            ),
          prepared.known,
          sent,
        );
        byReceipt.set(call.receipt.id, call);
        return toJudgeAnswer(call);
      };
      verdict = jury
        ? await judgeByJury(
          jury.configs.map((config) => ({
            id: config.id,
            call: callFor(config),
          })),
          jury.quorum,
          { task, testCase, output },
        )
        : await judge(callFor(judgeConfig!), task, testCase, output);
      for (const id of verdict.receipt_ids) calls.push(byReceipt.get(id)!);
    }
    return {
      calls,
      status,
      checks,
      rubric: verdict?.rubric ?? null,
      judgeError: verdict?.judge_error ?? null,
    };
  }
}

/** Runs the model work of a run's cells. */
export class CellRunner {
  readonly #plan: Plan;
  readonly #caller: Caller;
  readonly #signal: AbortSignal | undefined;
  readonly #params: ModelParams;
  readonly #promptLimit: number;
  readonly #judge: OutputJudge;
  /** The last case input rendered, and its prompt: a case's repetitions share one. */
  #rendered: { input: unknown; prompt: RenderedPrompt } | undefined;

  constructor(
    plan: Plan,
    caller: Caller,
    withKeys: boolean,
    signal: AbortSignal | undefined,
  ) {
    this.#plan = plan;
    this.#caller = caller;
    this.#signal = signal;
    this.#params = mergedParams(plan.model, plan.version);
    this.#promptLimit = plan.task.bounds?.prompt_bytes ??
      DEFAULT_BOUNDS.prompt_bytes;
    this.#judge = new OutputJudge(plan, caller, withKeys, signal);
  }

  /** The model under test. */
  get model(): ModelConfig {
    return this.#plan.model;
  }

  /** The cell's generation request: the prompt version rendered with the case. */
  generationRequest({ testCase, repetition }: Cell): ModelRequest {
    // The same rendered prompt (the same message objects) for each
    // repetition of a case, so what serializes it can tell it is the same.
    if (this.#rendered?.input !== testCase.input) {
      this.#rendered = {
        input: testCase.input,
        prompt: renderPrompt(this.#plan.version, testCase.input),
      };
    }
    const rendered = this.#rendered.prompt;
    return {
      system: rendered.system,
      messages: rendered.messages,
      params: this.#params,
      repetition,
      hints: {
        task: this.#plan.task.name,
        case_id: testCase.id,
        slice: testCase.slice,
        input: testCase.input,
        expected: testCase.expected,
        "output_schema": this.#plan.task.output_schema,
        checks: this.#plan.task.checks,
        ...(this.#plan.task.fake === undefined
          ? {}
          : { fake: this.#plan.task.fake }),
      },
      ...(this.#signal ? { signal: this.#signal } : {}),
    };
  }

  /** A judge request as a judge config sends it: its params under the request's, at the cell's repetition. */
  judgeRequest(
    request: ModelRequest,
    repetition: number,
    config: ModelConfig,
  ): ModelRequest {
    return this.#judge.judgeRequest(request, repetition, config);
  }

  /** Prepares a request for a model config (its recorded JSON and cache key). */
  prepare(config: ModelConfig, request: ModelRequest): PreparedCall {
    return this.#judge.prepare(config, request);
  }

  /**
   * Generates, checks and judges one cell. Returns undefined when the run
   * was cancelled before the cell's calls were made (it stays to do).
   */
  async run(
    cell: Cell,
    prepared: PreparedCell,
    sent: () => void,
  ): Promise<CellOutcome | undefined> {
    const { model } = this.#plan;
    const bytes = promptBytes(prepared.call.request);
    const generation = bytes > this.#promptLimit
      ? this.#caller.refuse("generate", model, prepared.call, {
        kind: "request_too_large",
        message:
          `the rendered prompt is ${bytes} bytes, over the task's limit of ${this.#promptLimit} (bounds.prompt_bytes in task.yaml); the call was not sent`,
      })
      : await this.#caller.call(
        "generate",
        model,
        prepared.call,
        prepared.known,
        sent,
      );
    if (this.#cancelled([generation])) return undefined;
    const output = generation.receipt.text;
    const judged = await this.#judge.judge(
      cell,
      output,
      generation.receipt.status === "ok" ? "ok" : "provider_error",
      sent,
      prepared,
    );
    const calls: Call[] = [generation, ...judged.calls];
    if (judged.calls.length > 0 && this.#cancelled(calls)) return undefined;
    return {
      calls,
      output,
      status: judged.status,
      checks: judged.checks,
      rubric: judged.rubric,
      judgeError: judged.judgeError,
    };
  }

  /** Whether the run was cancelled and one of these calls was cut short by it. */
  #cancelled(calls: readonly Call[]): boolean {
    return (this.#signal?.aborted ?? false) &&
      calls.some((c) => c.receipt.error?.kind === "aborted");
  }
}

function mergedParams(model: ModelConfig, version: PromptVersion): ModelParams {
  return { ...model.params, ...version.params };
}
