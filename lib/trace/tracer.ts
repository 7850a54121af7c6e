import { contentHash } from "../content/sha256.ts";
import { newId, nowIso } from "../content/ids.ts";
import { GateHaltError, ValidationError } from "../errors.ts";
import type { Store } from "../store/open.ts";
import {
  getWorkflow,
  insertTraceEvents,
  insertWorkflow,
  lastTraceEvent,
  listTraceEvents,
  listTraceEventsAfter,
} from "../store/trace.ts";
import { GENESIS_HASH, hashEvent } from "./event.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { secretEnvValues, SecretScrubber } from "./secrets.ts";
import {
  STEP_GATE_SCOPE,
  type StepGateCheckDecision,
  stepGates,
  type StepGateState,
} from "./step_gate.ts";
import {
  gatesBefore,
  type Workflow,
  type WorkflowInput,
  WorkflowSchema,
  type WorkflowStep,
} from "./workflow.ts";

/** Options for {@linkcode Tracer.start}. */
export interface StartTraceOptions {
  /** Use this trace id instead of a new one. */
  traceId?: string;
  /** The clock, for tests. @default {nowIso} */
  now?: () => string;
  /**
   * Values to keep out of the trace besides the environment's secrets
   * (see `SecretScrubber`): each event's data, recorded calls and artifacts
   * are scrubbed of them before they are stored.
   */
  secrets?: readonly string[];
  /**
   * Whether events of a step declared after a gate step are refused until
   * that gate is approved in this trace. Off only for a trace that holds
   * many executions of the workflow (a pipeline experiment's run, whose
   * cells keep their own gates). @default {true}
   */
  enforceGates?: boolean;
}

/** Options for {@linkcode Tracer.gate}. */
export interface GateOptions {
  /**
   * The automatic check named in the gate's policy: it approves the subject,
   * rejects it, or holds it for people. Without it, people decide.
   */
  check?: (
    subject: unknown,
  ) =>
    | { decision: StepGateCheckDecision; reason: string }
    | Promise<{ decision: StepGateCheckDecision; reason: string }>;
  /** Who asks (recorded on the request). @default {"pipeline"} */
  requestedBy?: string;
  /** Extra context recorded with the request (ids, the case). */
  context?: Record<string, unknown>;
  /** How often to look for a decision, in milliseconds. @default {500} */
  pollMs?: number;
  /**
   * How long to wait for a decision, in milliseconds, before throwing a
   * `GateHaltError` (the pipeline may exit and be resumed later); 0 returns
   * at once. @default {Infinity}
   */
  waitMs?: number;
  /** Stops the wait (a `GateHaltError` is thrown). */
  signal?: AbortSignal;
}

/** What an event records besides its type. */
export interface EventInput {
  /** The workflow step the event concerns. */
  step?: string;
  /** JSON data: ids, content hashes, figures. */
  data?: Record<string, unknown>;
}

/** A position in a chain, to roll back to when a write fails. */
export interface ChainMark {
  /** The index the next event gets. */
  readonly index: number;
  /** The hash the next event chains to. */
  readonly prevHash: string;
}

/**
 * Records what a workflow did as a hash-chained list of trace events: the
 * toolkit's experiments use it, and so can any agent pipeline. Declare the
 * workflow (a DAG of named steps) once, then record events as steps run.
 * Each event's hash covers its canonical content and the previous hash, so
 * a removed, reordered or edited event is detected by `verifyChain`.
 *
 * @example Tracing a two-step pipeline
 * ```ts
 * import { open, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, {
 *   schema_version: 1,
 *   name: "summarize",
 *   steps: [{ id: "fetch" }, { id: "summarize", after: ["fetch"] }],
 * });
 * await tracer.emit("step_started", { step: "fetch" });
 * const event = await tracer.emit("step_finished", { step: "fetch", data: { bytes: 512 } });
 * assert.equal(event.index, 2); // 0 is workflow_started
 * ```
 */
export class Tracer {
  /** The id of the trace this tracer writes. */
  readonly traceId: string;
  /** The workflow snapshot the trace follows. */
  readonly workflow: Workflow;
  /** What is scrubbed from everything the trace stores. */
  readonly secrets: SecretScrubber;
  #store: Store;
  #now: () => string;
  #index: number;
  #prevHash: string;
  #enforceGates: boolean;
  /** The latest gate requested per gate step. */
  #gates = new Map<string, StepGateState>();
  /** Outputs of steps an earlier session finished, per step in order, to replay on resume (read at the first `step`). */
  #replay: Map<string, unknown[]> | null = null;
  /** The last event an earlier session wrote (-1 for a new trace). */
  #resumedAt = -1;

  private constructor(
    store: Store,
    traceId: string,
    workflow: Workflow,
    chain: ChainMark,
    now: () => string,
    secrets: readonly string[],
    enforceGates: boolean,
  ) {
    this.#enforceGates = enforceGates;
    this.secrets = new SecretScrubber([...secretEnvValues(), ...secrets]);
    this.#store = store;
    this.traceId = traceId;
    this.workflow = workflow;
    this.#index = chain.index;
    this.#prevHash = chain.prevHash;
    this.#now = now;
  }

  /**
   * Starts a new trace: validates and stores the workflow snapshot, then
   * records a `workflow_started` event carrying the snapshot's sha256.
   *
   * @param store The database.
   * @param workflow The DAG of steps.
   * @param options A fixed trace id or clock.
   * @returns The tracer.
   * @throws {ValidationError} If the workflow is not a valid DAG.
   */
  static async start(
    store: Store,
    workflow: WorkflowInput,
    options: StartTraceOptions = {},
  ): Promise<Tracer> {
    const parsed = WorkflowSchema.safeParse(workflow);
    if (!parsed.success) {
      throw new ValidationError(parsed.error.issues.map((issue) => ({
        field: ["workflow", ...issue.path].join("."),
        message: issue.message,
      })));
    }
    const now = options.now ?? nowIso;
    const traceId = options.traceId ?? newId("trace");
    const sha256 = contentHash(parsed.data);
    await insertWorkflow(store, {
      trace_id: traceId,
      name: parsed.data.name,
      snapshot: parsed.data,
      sha256,
      created_at: now(),
    });
    const tracer = new Tracer(
      store,
      traceId,
      parsed.data,
      {
        index: 0,
        prevHash: GENESIS_HASH,
      },
      now,
      options.secrets ?? [],
      options.enforceGates ?? true,
    );
    await tracer.emit("workflow_started", {
      data: { workflow: parsed.data.name, sha256 },
    });
    return tracer;
  }

  /**
   * Continues an existing trace after its last stored event (after a crash,
   * or in another process).
   *
   * @param store The database.
   * @param traceId The trace to continue.
   * @param options The clock, and values to keep out of the trace.
   * @returns The tracer.
   * @throws {ValidationError} If the trace has no workflow snapshot.
   */
  static async resume(
    store: Store,
    traceId: string,
    options: Pick<StartTraceOptions, "now" | "secrets" | "enforceGates"> = {},
  ): Promise<Tracer> {
    const stored = await getWorkflow(store, traceId);
    if (!stored) {
      throw new ValidationError([{
        field: "trace_id",
        message: `trace '${traceId}' has no workflow snapshot`,
      }]);
    }
    const last = await lastTraceEvent(store, traceId);
    const chain = last
      ? { index: last.index + 1, prevHash: last.hash }
      : { index: 0, prevHash: GENESIS_HASH };
    const tracer = new Tracer(
      store,
      traceId,
      WorkflowSchema.parse(stored.snapshot),
      chain,
      options.now ?? nowIso,
      options.secrets ?? [],
      options.enforceGates ?? true,
    );
    if (
      tracer.#enforceGates && last &&
      tracer.workflow.steps.some((s) => s.gate !== undefined)
    ) {
      const events = await listTraceEvents(store, traceId);
      for (const gate of stepGates(events).values()) {
        tracer.#gates.set(gate.step, gate);
      }
    }
    tracer.#resumedAt = last?.index ?? -1;
    return tracer;
  }

  /** The trace's clock: now, as the tracer stamps its events (ISO 8601). */
  now(): string {
    return this.#now();
  }

  /**
   * Builds the next event of the chain without writing it, for callers that
   * write it in their own transaction together with other rows. If that
   * write fails, {@linkcode Tracer.reset} to the mark taken before.
   */
  next(type: string, input: EventInput = {}): TraceEvent {
    if (
      input.step !== undefined &&
      !this.workflow.steps.some((s) => s.id === input.step)
    ) {
      throw new RangeError(
        `Unknown step '${input.step}' in workflow '${this.workflow.name}'; declare it in the workflow's steps`,
      );
    }
    if (input.step !== undefined && this.#enforceGates) {
      this.#mayStart(input.step, type);
    }
    const unhashed = {
      trace_id: this.traceId,
      index: this.#index,
      type,
      step: input.step ?? null,
      at: this.#now(),
      data: this.secrets.scrubValue(input.data ?? {}),
      prev_hash: this.#prevHash,
    };
    const event = { ...unhashed, hash: hashEvent(unhashed) };
    this.#index++;
    this.#prevHash = event.hash;
    return event;
  }

  /** Builds the next event and writes it at once. */
  async emit(type: string, input: EventInput = {}): Promise<TraceEvent> {
    for (let attempt = 0;; attempt++) {
      const mark = this.mark();
      const event = this.next(type, input);
      try {
        await insertTraceEvents(this.#store.db, [event]);
        return event;
      } catch (error) {
        this.reset(mark);
        // Another process appended to this trace (a person deciding one of
        // its gates): the unique (trace, index) refused the write; chain
        // after the stored end and write again.
        const last = attempt < 3
          ? await lastTraceEvent(this.#store, this.traceId)
          : undefined;
        if (!last || last.index < mark.index) throw error;
        this.reset({ index: last.index + 1, prevHash: last.hash });
      }
    }
  }

  /**
   * The database the trace is written to (for helpers that write other rows
   * in the same transaction as their events, e.g. `recordCall`).
   */
  get store(): Store {
    return this.#store;
  }

  /** Throws unless every gate step before `step` is approved in this trace. */
  #mayStart(step: string, what: string): void {
    for (const gate of gatesBefore(this.workflow, step)) {
      const state = this.#gates.get(gate.id);
      if (state?.status !== "approved") {
        throw new GateHaltError(
          gate.id,
          state?.gate_id ?? null,
          state?.status ?? "not_requested",
          `Cannot record '${what}' for step '${step}' of trace '${this.traceId}'`,
        );
      }
    }
  }

  /**
   * Runs one step of the pipeline: records `step_started`, runs `fn`, and
   * records `step_finished` with the step's output (JSON), its sha256 and its
   * latency, or `step_failed` with the error. A step declared after a gate
   * step is refused (a `GateHaltError`, nothing runs) until that gate is
   * approved. In a resumed trace, a step that an earlier session finished is
   * not run again: its recorded output is returned (in order, for a step
   * run more than once), so its model calls are not repeated.
   *
   * @param step The step id, declared in the workflow.
   * @param fn What the step does; its result must be JSON.
   * @returns The step's output.
   * @throws {GateHaltError} If a gate before the step is not approved.
   */
  async step<T>(step: string, fn: () => Promise<T>): Promise<T> {
    if (this.#replay === null) {
      this.#replay = new Map();
      if (this.#resumedAt >= 0) {
        const events = await listTraceEvents(this.#store, this.traceId);
        for (const e of events) {
          if (
            e.index <= this.#resumedAt && e.type === "step_finished" &&
            e.step !== null
          ) {
            const outputs = this.#replay.get(e.step) ?? [];
            outputs.push(e.data.output ?? null);
            this.#replay.set(e.step, outputs);
          }
        }
      }
    }
    const replayed = this.#replay.get(step);
    if (replayed?.length) return replayed.shift() as T;
    await this.emit("step_started", { step });
    const started = performance.now();
    let output: T;
    try {
      output = await fn();
    } catch (error) {
      await this.emit("step_failed", {
        step,
        data: {
          error: error instanceof Error ? error.message : String(error),
          latency_ms: Math.round(performance.now() - started),
        },
      });
      throw error;
    }
    const recorded = output === undefined ? null : output;
    await this.emit("step_finished", {
      step,
      data: {
        output: recorded,
        output_sha256: contentHash(recorded),
        latency_ms: Math.round(performance.now() - started),
      },
    });
    return output;
  }

  /**
   * Halts the pipeline at a gate step until the gate is decided. Records
   * `gate_requested` with the subject (the judged step's output), its
   * sha256, the policy and the step context; runs the automatic check, if
   * any, as `policy_gate_evaluated`; then waits until the check or people
   * (`human_gate_resolved`, from any process: `wb gate approve|reject`)
   * decide. Every decision is bound to the subject's hash. In a resumed
   * trace, a gate already requested on the same subject is not requested
   * again: its decisions stand.
   *
   * @param step The gate step, declared in the workflow with a `gate` policy.
   * @param subject The output the gate judges (JSON).
   * @param options The automatic check, and how long to wait.
   * @returns The gate as decided (`approved` or `rejected`).
   * @throws {GateHaltError} If the wait ends (timeout or signal) before a decision.
   * @throws {RangeError} If the step is not a gate step.
   */
  async gate(
    step: string,
    subject: unknown,
    options: GateOptions = {},
  ): Promise<StepGateState> {
    const def = this.#gateStep(step);
    const policy = def.gate!;
    const sha256 = contentHash(subject ?? null);
    let state = this.#gates.get(step);
    if (!state || state.subject_sha256 !== sha256) {
      const gateId = newId("gate");
      const request = await this.emit("gate_requested", {
        step,
        data: {
          scope: STEP_GATE_SCOPE,
          gate_id: gateId,
          subject_step: policy.subject,
          subject: subject ?? null,
          subject_sha256: sha256,
          policy,
          requested_by: options.requestedBy ?? "pipeline",
          context: {
            workflow: this.workflow.name,
            after: def.after,
            uses: def.uses,
            ...(options.context ?? {}),
          },
        },
      });
      if (options.check) {
        const verdict = await options.check(subject);
        await this.emit("policy_gate_evaluated", {
          step,
          data: {
            scope: STEP_GATE_SCOPE,
            gate_id: gateId,
            decision_id: newId("dec"),
            actor: policy.check ?? "check",
            decision: verdict.decision,
            reason: verdict.reason,
            subject_sha256: sha256,
          },
        });
      }
      state = await this.#readGate(gateId, request.index - 1);
    }
    const waitMs = options.waitMs ?? Number.POSITIVE_INFINITY;
    const deadline = performance.now() + waitMs;
    while (state.status === "pending") {
      if (options.signal?.aborted || performance.now() >= deadline) {
        throw new GateHaltError(
          step,
          state.gate_id,
          "pending",
          `Stopped waiting at step '${step}' of trace '${this.traceId}'`,
        );
      }
      await sleep(
        Math.min(options.pollMs ?? 500, deadline - performance.now()),
        options.signal,
      );
      state = await this.#readGate(state.gate_id, state.event_index - 1);
    }
    return state;
  }

  /** The gate step `step` (a RangeError unless it is one). */
  #gateStep(step: string): WorkflowStep {
    const def = this.workflow.steps.find((s) => s.id === step);
    if (!def?.gate) {
      throw new RangeError(
        `Step '${step}' of workflow '${this.workflow.name}' is not a gate step; declare it with a gate policy ({ gate: { subject: "<step>" } })`,
      );
    }
    return def;
  }

  /**
   * Reads a gate from the stored trace (another process may have decided it)
   * and moves the chain to the stored end.
   */
  async #readGate(gateId: string, from: number): Promise<StepGateState> {
    const events = await listTraceEventsAfter(this.#store, this.traceId, from);
    const state = stepGates(events).get(gateId)!;
    const last = events.at(-1);
    if (last && last.index >= this.#index) {
      this.#index = last.index + 1;
      this.#prevHash = last.hash;
    }
    this.#gates.set(state.step, state);
    return state;
  }

  /** The chain position now. */
  mark(): ChainMark {
    return { index: this.#index, prevHash: this.#prevHash };
  }

  /** Rolls the in-memory chain back to a mark (after a failed write). */
  reset(mark: ChainMark): void {
    this.#index = mark.index;
    this.#prevHash = mark.prevHash;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
