import { contentHash } from "../content/sha256.ts";
import { newId, nowIso } from "../content/ids.ts";
import { ValidationError } from "../errors.ts";
import type { Store } from "../store/open.ts";
import {
  getWorkflow,
  insertTraceEvents,
  insertWorkflow,
  lastTraceEvent,
} from "../store/trace.ts";
import { GENESIS_HASH, hashEvent, type TraceEvent } from "./event.ts";
import { secretEnvValues, SecretScrubber } from "./secrets.ts";
import {
  type Workflow,
  type WorkflowInput,
  WorkflowSchema,
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

  private constructor(
    store: Store,
    traceId: string,
    workflow: Workflow,
    chain: ChainMark,
    now: () => string,
    secrets: readonly string[],
  ) {
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
    options: Pick<StartTraceOptions, "now" | "secrets"> = {},
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
    return new Tracer(
      store,
      traceId,
      WorkflowSchema.parse(stored.snapshot),
      chain,
      options.now ?? nowIso,
      options.secrets ?? [],
    );
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
    const mark = this.mark();
    const event = this.next(type, input);
    try {
      await insertTraceEvents(this.#store.db, [event]);
    } catch (error) {
      this.reset(mark);
      throw error;
    }
    return event;
  }

  /**
   * The database the trace is written to (for helpers that write other rows
   * in the same transaction as their events, e.g. `recordCall`).
   */
  get store(): Store {
    return this.#store;
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
