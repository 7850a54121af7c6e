import { Decimal } from "decimal.js";
import { contentHash, sha256Hex } from "../content/sha256.ts";
import { newId, nowIso } from "../content/ids.ts";
import { ConfigError, ConflictError, ValidationError } from "../errors.ts";
import type { ModelAdapter, ModelRequest } from "../providers/adapter.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import { costOf, priceAt, type PriceRow } from "../providers/pricing.ts";
import type { Case, Dataset } from "../schema/dataset.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { ModelParams, PromptVersion } from "../schema/prompt.ts";
import type { CallPurpose, Receipt } from "../schema/receipt.ts";
import type { CellResult, CellStatus } from "../schema/result.ts";
import type { Task } from "../schema/task.ts";
import { buildJudgeRequest } from "../scoring/build_judge_request.ts";
import { judge } from "../scoring/judge.ts";
import {
  judgeByJury,
  juryKey,
  makeJury,
  parseJuryKey,
} from "../scoring/jury.ts";
import { scoreCell } from "../scoring/score_cell.ts";
import { scoreRun } from "../scoring/score_run.ts";
import {
  getDataset,
  getLatestDataset,
  getModelConfig,
  getPromptVersion,
  getTask,
  listPrices,
} from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { type CellWriter, openCellWriter } from "../store/cell_writer.ts";
import {
  type CachedReceipt,
  type CellWrite,
  committedCells,
  getRun,
  insertRun,
  type ReceiptJson,
  type RunRecord,
  setRunStatus,
} from "../store/runs.ts";
import { Tracer } from "../trace/tracer.ts";
import type { WorkflowInput } from "../trace/workflow.ts";
import { type KnownHits, ReceiptCache } from "./_cache.ts";
import {
  canonicalObject,
  canonicalValue,
  canonicalWith,
} from "./_canonical.ts";
import { callModel, type RetryPolicy } from "./call_model.ts";
import { type ProgressSink, SILENT_PROGRESS } from "./progress.ts";
import { RateLimiter, type RateLimits } from "./rate_limiter.ts";
import { renderPrompt } from "./render.ts";

/** How the response cache is used. */
export type CacheMode = "use" | "refresh" | "off";

/** Options for {@linkcode experiment}. */
export interface ExperimentOptions {
  /** The task name. Required unless `resume` is given. */
  task?: string;
  /** Prompt versions to run: `v3`, `3` or `resume_matching@v3`. */
  prompts?: string[];
  /** Model config ids, e.g. `fake-fast`. */
  models?: string[];
  /** The judge's model config id; no rubric judging when absent. */
  judge?: string;
  /** A jury instead of one judge: 2 or more judge model config ids (not with `judge`); see docs/calibration.md. */
  jury?: string[];
  /** Jurors that must score an output for the jury to decide. @default {a majority of the jurors} */
  quorum?: number;
  /** Repetitions per case. @default {3} */
  repetitions?: number;
  /** Must be true to run fewer than 3 repetitions; the run is then flagged. @default {false} */
  allowFewerRepetitions?: boolean;
  /** A dataset version id; the latest loaded version of the task's dataset by default. */
  dataset?: string;
  /** Run only these case ids (a subset, for quick looks). */
  cases?: string[];
  /** Model calls in flight at once. @default {8} */
  concurrency?: number;
  /** Rate limits per provider name. */
  rateLimits?: Record<string, RateLimits>;
  /** Retries, backoff and per-call timeout. */
  retry?: RetryPolicy;
  /** The response cache. @default {"use"} */
  cache?: CacheMode;
  /** Resume this run: finish its missing cells, repeating no committed call. */
  resume?: string;
  /** Stops new calls when aborted; the run stays resumable. */
  signal?: AbortSignal;
  /** Wait for the fake provider's simulated latency (benchmarks). @default {false} */
  simulateLatency?: boolean;
  /** Progress display. @default {SILENT_PROGRESS} */
  progress?: ProgressSink;
  /** Builds the adapter for a model config (tests inject stubs). @default {createAdapter} */
  adapterFor?: (config: ModelConfig) => ModelAdapter;
}

/** What one run came to. */
export interface RunSummary {
  /** The run id. */
  readonly run_id: string;
  /** The prompt version id. */
  readonly prompt_version_id: string;
  /** The model config id. */
  readonly model_config_id: string;
  /** completed, or interrupted when cancelled (resumable). */
  readonly status: RunRecord["status"];
  /** Cells in the run (cases x repetitions). */
  readonly cells: number;
  /** Cells committed in this session. */
  readonly committed: number;
  /** Cells skipped because an earlier session committed them. */
  readonly resumed: number;
  /** Cells whose generation failed (after retries) in this session. */
  readonly failures: number;
  /** Cells whose judge failed in this session. */
  readonly judge_errors: number;
  /** Calls that reached an adapter in this session. */
  readonly adapter_calls: number;
  /** Receipts served from the cache in this session. */
  readonly cache_hits: number;
  /** Cost of this session's receipts (cache hits count 0), exact decimal string. */
  readonly cost: string;
  /** What the session would have cost without the cache. */
  readonly uncached_cost: string;
  /** The stored scorecard's sha256, once the run is complete. */
  readonly scorecard_sha256: string | null;
}

/** What an experiment came to: one summary per run. */
export interface ExperimentResult {
  /** The experiment id (shared by its runs). */
  readonly experiment_id: string;
  /** One entry per prompt version x model. */
  readonly runs: readonly RunSummary[];
}

function workflowFor(
  task: Task,
  version: PromptVersion,
  model: ModelConfig & { sha256: string },
  judgeConfig: (ModelConfig & { sha256: string }) | undefined,
  dataset: Dataset,
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
    meta: { repetitions, cases: dataset.cases.length },
  };
}

/** A jury's key (the runs' judge_config_id), quorum and juror configs. */
interface JuryPlan {
  key: string;
  quorum: number;
  /** The jurors, in the jury's order. */
  configs: (ModelConfig & { sha256: string })[];
}

interface Plan {
  run: RunRecord;
  task: Task;
  version: PromptVersion;
  model: ModelConfig & { sha256: string };
  judgeConfig: (ModelConfig & { sha256: string }) | undefined;
  cases: readonly Case[];
  jury?: JuryPlan | undefined;
}

/** Resolves a jury (from `jury` and `quorum`, or a jury key in `judge`). */
async function planJury(
  store: Store,
  options: Pick<ExperimentOptions, "judge" | "jury" | "quorum">,
): Promise<JuryPlan | undefined> {
  if (options.jury !== undefined && options.judge !== undefined) {
    throw new ValidationError([{
      field: "jury",
      message:
        "give either judge (one judge config) or jury (several), not both",
    }]);
  }
  const fromKey = options.judge === undefined
    ? null
    : parseJuryKey(options.judge);
  if (options.jury === undefined && !fromKey) {
    if (options.quorum !== undefined) {
      throw new ValidationError([{
        field: "quorum",
        message: "a quorum applies to a jury only; name the jurors with jury",
      }]);
    }
    return undefined;
  }
  const jury = makeJury(
    fromKey?.jurors ?? options.jury!,
    fromKey?.quorum ?? options.quorum,
  );
  return {
    key: juryKey(jury),
    quorum: jury.quorum,
    configs: await Promise.all(
      jury.jurors.map((id) => getModelConfig(store, id)),
    ),
  };
}

function parseVersionRef(task: string, ref: string): string | number {
  const match = /^(?:.*@)?v?(\d+)$/.exec(ref);
  if (!match) {
    throw new ValidationError([{
      field: "prompts",
      message: `'${ref}' is not a prompt version; write v3, 3 or ${task}@v3`,
    }]);
  }
  return Number(match[1]);
}

async function planNew(
  store: Store,
  options: ExperimentOptions,
  experimentId: string,
): Promise<Plan[]> {
  const taskName = options.task;
  if (!taskName) {
    throw new ValidationError([{
      field: "task",
      message: "name the task to run",
    }]);
  }
  if (!options.prompts?.length) {
    throw new ValidationError([{
      field: "prompts",
      message: "name at least one prompt version",
    }]);
  }
  if (!options.models?.length) {
    throw new ValidationError([{
      field: "models",
      message: "name at least one model config",
    }]);
  }
  const repetitions = options.repetitions ?? 3;
  if (!Number.isInteger(repetitions) || repetitions < 1) {
    throw new RangeError(
      `Expected repetitions to be a positive integer but found ${repetitions}`,
    );
  }
  if (repetitions < 3 && !options.allowFewerRepetitions) {
    throw new ValidationError([{
      field: "repetitions",
      message:
        `${repetitions} repetitions leave variance unmeasured; use 3 or more, or ask for fewer explicitly (allowFewerRepetitions / --allow-few-repetitions)`,
    }]);
  }
  const task = await getTask(store, taskName);
  const dataset = options.dataset
    ? await getDataset(store, options.dataset)
    : await getLatestDataset(store, taskName);
  const cases = selectCases(dataset, options.cases);
  const jury = await planJury(store, options);
  const judgeConfig = options.judge && !jury
    ? await getModelConfig(store, options.judge)
    : undefined;
  const versions = await Promise.all(
    options.prompts.map((ref) =>
      getPromptVersion(store, taskName, parseVersionRef(taskName, ref))
    ),
  );
  const models = await Promise.all(
    options.models.map((id) => getModelConfig(store, id)),
  );
  const flags = repetitions < 3 ? ["fewer_than_3_repetitions"] : [];
  if (options.cases) flags.push("case_subset");
  const plans: Plan[] = [];
  for (const version of versions) {
    for (const model of models) {
      const run: RunRecord = {
        id: newId("run"),
        experiment_id: experimentId,
        task: task.name,
        task_id: task.id,
        prompt_version_id: version.id,
        model_config_id: model.id,
        model_config_sha256: model.sha256,
        judge_config_id: jury?.key ?? judgeConfig?.id ?? null,
        dataset_id: dataset.id,
        repetitions,
        status: "running",
        flags: options.cases
          ? [...flags, `cases:${options.cases.join(",")}`]
          : flags,
        workflow: workflowFor(
          task,
          version,
          model,
          judgeConfig,
          dataset,
          repetitions,
          jury,
        ),
        trace_id: newId("trace"),
        created_at: nowIso(),
        finished_at: null,
      };
      plans.push({ run, task, version, model, judgeConfig, cases, jury });
    }
  }
  return plans;
}

function selectCases(
  dataset: Dataset,
  ids: readonly string[] | undefined,
): readonly Case[] {
  if (!ids) return dataset.cases;
  const byId = new Map(dataset.cases.map((c) => [c.id, c]));
  return ids.map((id) => {
    const found = byId.get(id);
    if (!found) {
      throw new ValidationError([{
        field: "cases",
        message: `case '${id}' is not in dataset ${dataset.id.slice(0, 12)}`,
      }]);
    }
    return found;
  });
}

async function planResume(store: Store, runId: string): Promise<Plan> {
  const run = await getRun(store, runId);
  if (run.status === "completed") {
    throw new ConflictError(
      `Cannot resume run '${run.id}': it is complete, every cell is committed; see it with \`wb show ${run.id}\``,
    );
  }
  const task = await getTask(store, run.task, { id: run.task_id });
  const dataset = await getDataset(store, run.dataset_id);
  const subset = run.flags.find((f) => f.startsWith("cases:"));
  const cases = selectCases(
    dataset,
    subset ? subset.slice(6).split(",") : undefined,
  );
  const version = await getPromptVersion(
    store,
    run.task,
    run.prompt_version_id,
  );
  const model = await getModelConfig(store, run.model_config_id, {
    sha256: run.model_config_sha256,
  });
  // The judges as they were when the run started (their versions are in
  // the run's workflow snapshot), not as models.yaml has them now.
  const pinned = judgeVersions(run.workflow);
  const judgeAt = (id: string) =>
    getModelConfig(
      store,
      id,
      pinned.has(id) ? { sha256: pinned.get(id)! } : {},
    );
  const jury = run.judge_config_id
    ? await planJury(store, { judge: run.judge_config_id })
    : undefined;
  if (jury) {
    jury.configs = await Promise.all(jury.configs.map((c) => judgeAt(c.id)));
  }
  const judgeConfig = run.judge_config_id && !jury
    ? await judgeAt(run.judge_config_id)
    : undefined;
  return { run, task, version, model, judgeConfig, cases, jury };
}

/** Judge config id -> sha256, from the judge step of a run's workflow snapshot. */
function judgeVersions(workflow: unknown): Map<string, string> {
  const versions = new Map<string, string>();
  const steps = (workflow as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return versions;
  const uses = steps.find((s) => s?.id === "judge")?.uses as
    | Record<string, unknown>
    | undefined;
  if (!uses) return versions;
  if (
    typeof uses.model_config === "string" &&
    typeof uses.model_config_sha256 === "string"
  ) {
    versions.set(uses.model_config, uses.model_config_sha256);
  }
  for (const [key, value] of Object.entries(uses)) {
    if (key.startsWith("juror:") && typeof value === "string") {
      versions.set(key.slice("juror:".length), value);
    }
  }
  return versions;
}

/**
 * The cache key of a request: sha256 of the canonical call that determines
 * the answer (provider, model, base URL, parameters, system prompt,
 * messages, structured output and repetition; not the abort signal or the
 * fake provider's hints).
 *
 * @param config The model config (provider, model, base URL).
 * @param request The request.
 * @returns 64 hex digits.
 *
 * @example Equal requests share a key; another repetition does not
 * ```ts
 * import { cacheKey, type ModelConfig } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const config: Pick<ModelConfig, "provider" | "model"> = { provider: "fake", model: "fake-fast-1" };
 * const request = { messages: [{ role: "user" as const, content: "Hi" }], params: { temperature: 0 }, repetition: 0 };
 * const key = cacheKey(config, request);
 * assert.match(key, /^[0-9a-f]{64}$/);
 * assert.equal(cacheKey(config, { ...request, messages: [{ role: "user", content: "Hi" }] }), key);
 * assert.notEqual(cacheKey(config, { ...request, repetition: 1 }), key);
 * ```
 */
export function cacheKey(
  config: Pick<ModelConfig, "provider" | "model" | "base_url">,
  request: Pick<
    ModelRequest,
    "system" | "messages" | "params" | "structured" | "repetition"
  >,
): string {
  return contentHash({
    provider: config.provider,
    model: config.model,
    base_url: config.base_url ?? null,
    params: request.params,
    system: request.system ?? null,
    messages: request.messages,
    structured: request.structured ?? null,
    repetition: request.repetition ?? 0,
  });
}

/** A request ready to call: its recorded form's canonical JSON and its cache key. */
interface PreparedCall {
  readonly request: ModelRequest;
  /** `canonicalize(request without signal and hints)`. */
  readonly recordedJson: string;
  /** {@linkcode cacheKey}, or null when the cache is off. */
  readonly key: string | null;
}

/**
 * Serializes a request once: the same member texts make the recorded
 * request's canonical JSON and the cache key (equal to {@linkcode cacheKey}).
 */
function prepareCall(
  config: Pick<ModelConfig, "provider" | "model" | "base_url">,
  request: ModelRequest,
  withKey: boolean,
  memo?: SerializeMemo,
): PreparedCall {
  const { signal: _signal, hints: _hints, ...recorded } = request;
  const members: Record<string, string | undefined> = {};
  for (const field of Object.keys(recorded) as (keyof typeof recorded)[]) {
    const value = recorded[field];
    if (value === undefined) continue;
    if (memo && field !== "messages") {
      // The system prompt, parameters and output schema repeat from call
      // to call: serialize them once.
      const slot = `${config.provider}/${config.model}/${field}`;
      const last = memo.get(slot);
      if (last && (last.value === value || jsonEqual(last.value, value))) {
        members[field] = last.json;
        continue;
      }
      const json = canonicalValue(value);
      memo.set(slot, { value, json });
      members[field] = json;
    } else {
      members[field] = canonicalValue(value);
    }
  }
  const key = withKey
    ? sha256Hex(canonicalObject({
      provider: canonicalValue(config.provider),
      model: canonicalValue(config.model),
      base_url: canonicalValue(config.base_url ?? null),
      params: members.params,
      system: members.system ?? "null",
      messages: members.messages,
      structured: members.structured ?? "null",
      repetition: members.repetition ?? "0",
    }))
    : null;
  return { request, recordedJson: canonicalObject(members), key };
}

/** The last value serialized for each request field, per model. */
type SerializeMemo = Map<string, { value: unknown; json: string }>;

/** Seals a receipt: assigns its sha256 over the canonical content. */
function seal(
  receipt: Omit<Receipt, "sha256">,
  json: ReceiptJson,
): Receipt {
  const text = canonicalWith(receipt, {
    request: json.request,
    ...(json.response === null ? {} : { response: json.response }),
  });
  return { ...receipt, sha256: sha256Hex(text) };
}

/** A sealed receipt with its canonical request and response (for the insert). */
interface Call {
  readonly receipt: Receipt;
  readonly json: ReceiptJson;
}

interface Caller {
  adapterCalls: number;
  cacheHits: number;
  call(
    purpose: CallPurpose,
    config: ModelConfig,
    prepared: PreparedCall,
    known?: KnownHits,
    sent?: () => void,
  ): Promise<Call>;
}

function makeCaller(
  run: RunRecord,
  options: ExperimentOptions,
  cache: ReceiptCache,
  prices: Map<string, PriceRow[]>,
  adapters: Map<string, ModelAdapter>,
  limiters: Map<string, RateLimiter>,
): Caller {
  const mode = options.cache ?? "use";
  const caller: Caller = {
    adapterCalls: 0,
    cacheHits: 0,
    async call(purpose, config, prepared, known, sent) {
      const { request, key, recordedJson } = prepared;
      const { signal: _signal, hints: _hints, ...recorded } = request;
      const base = {
        run_id: run.id,
        trace_id: run.trace_id,
        purpose,
        provider: config.provider,
        model: config.model,
        model_config_id: config.id,
        request: recorded,
        cache_key: key,
      };
      if (key && mode === "use") {
        const hit = await cache.get(key, known);
        if (hit) {
          caller.cacheHits++;
          const json = { request: recordedJson, response: hit.responseJson };
          const receipt = seal({
            ...base,
            id: newId("io"),
            response: hit.response,
            text: hit.text,
            usage: hit.usage,
            cost: "0",
            uncached_cost: hit.uncached_cost ?? hit.cost,
            currency: hit.currency,
            price_id: hit.price_id,
            latency_ms: 0,
            status: "ok",
            error: null,
            attempts: 0,
            cached_from: hit.id,
            provider_response_id: hit.provider_response_id,
            stop_reason: hit.stop_reason,
            created_at: nowIso(),
          }, json);
          return { receipt, json };
        }
      }
      const adapter = adapters.get(config.id)!;
      const limiter = limiters.get(config.provider);
      // Counted once the call is sent: a call still waiting for the rate
      // limiter when the run is interrupted was never made.
      let counted = false;
      const outcome = await callModel(adapter, request, options.retry, {
        ...(limiter ? { acquire: () => limiter.acquire() } : {}),
        sent: () => {
          if (!counted) {
            counted = true;
            caller.adapterCalls++;
          }
          sent?.();
        },
        simulateLatency: options.simulateLatency ?? false,
      });
      const created = nowIso();
      const reported = outcome.response?.usage ?? null;
      // A usage object with no figure in it is no usage: recorded as unknown.
      const usage = reported && Object.values(reported).some((v) => v !== null)
        ? reported
        : null;
      if (limiter && usage) {
        limiter.charge((usage.input_tokens ?? 0) + (usage.output_tokens ?? 0));
      }
      const price = priceAt(
        prices.get(`${config.provider}/${config.model}`) ?? [],
        created,
      );
      const cost = usage && price ? costOf(usage, price) : null;
      const json = {
        request: recordedJson,
        response: outcome.response === null
          ? null
          : canonicalValue(outcome.response),
      };
      const receipt = seal({
        ...base,
        id: newId("io"),
        response: outcome.response,
        text: outcome.response?.text ?? null,
        usage,
        cost: cost?.cost ?? null,
        uncached_cost: cost?.cost ?? null,
        currency: cost?.currency ?? price?.currency ?? null,
        price_id: price?.id ?? null,
        latency_ms: Math.round(outcome.latencyMs * 1000) / 1000,
        status: outcome.response ? "ok" : "error",
        error: outcome.error
          ? {
            kind: outcome.error.kind,
            message: outcome.error.message,
            ...(outcome.error.status === undefined
              ? {}
              : { status: outcome.error.status }),
          }
          : null,
        attempts: outcome.attempts,
        cached_from: null,
        provider_response_id: outcome.response?.response_id ?? null,
        stop_reason: outcome.response?.stop_reason ?? null,
        created_at: created,
      }, json);
      return { receipt, json };
    },
  };
  return caller;
}

function mergedParams(model: ModelConfig, version: PromptVersion): ModelParams {
  return { ...model.params, ...version.params };
}

/** Cells per commit transaction, at most. */
const MAX_BATCH = 256;

/** Cells waiting for a commit (besides the batch being committed), at most; a finished cell waits for room. */
const MAX_WAITING = 2 * MAX_BATCH;

interface PendingCell {
  cell: Omit<CellWrite, "events">;
  events: (t: Tracer) => CellWrite["events"];
  done: () => void;
}

/**
 * A group committer: cells finished while a commit is running are committed
 * together in the next transaction. Each cell's receipts, result and trace
 * events land together or not at all; the trace events are chained in commit
 * order. A finished cell frees its slot in the pool at once (the next call
 * starts while it is being written); at most {@linkcode MAX_WAITING} cells
 * wait while a batch of at most {@linkcode MAX_BATCH} is written, so a crash
 * loses at most those (uncommitted, so they are called again on resume: no
 * committed call is repeated). When
 * a commit fails, that batch's cells are not counted, no new cell starts,
 * and the error is rethrown once the runner is idle.
 */
class CellCommitter {
  #writer: CellWriter;
  #tracer: Tracer;
  #pending: PendingCell[] = [];
  #running: Promise<void> | null = null;
  #room: PromiseWithResolvers<void> | null = null;
  error: unknown = undefined;

  constructor(writer: CellWriter, tracer: Tracer) {
    this.#writer = writer;
    this.#tracer = tracer;
  }

  /** Queues a cell; `done` runs once it is committed. */
  commit(
    cell: Omit<CellWrite, "events">,
    events: (t: Tracer) => CellWrite["events"],
    done: () => void,
  ): void {
    this.#pending.push({ cell, events, done });
    this.#running ??= this.#drain().finally(() => (this.#running = null));
  }

  /** Waits until fewer than {@linkcode MAX_WAITING} cells wait for a commit. */
  room(): Promise<void> {
    if (this.#pending.length < MAX_WAITING) return Promise.resolve();
    this.#room ??= Promise.withResolvers();
    return this.#room.promise;
  }

  #freed(): void {
    if (
      this.#room &&
      (this.error !== undefined || this.#pending.length < MAX_WAITING)
    ) {
      this.#room.resolve();
      this.#room = null;
    }
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0 && this.error === undefined) {
      const batch = this.#pending.splice(0, MAX_BATCH);
      this.#freed();
      const mark = this.#tracer.mark();
      try {
        const writes = batch.map((b) => ({
          ...b.cell,
          events: b.events(this.#tracer),
        }));
        await this.#writer.write(writes);
        for (const b of batch) b.done();
      } catch (error) {
        this.#tracer.reset(mark);
        this.error = error;
      }
    }
    this.#pending = [];
    this.#freed();
  }

  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }
}

/** A cell's work after its model calls: writing its result. */
type Finish = () => Promise<void>;

/** A judge request built ahead, and its prepared call. */
interface PreparedJudge {
  readonly built: ModelRequest;
  readonly call: PreparedCall;
}

/** Whether two requests ask the same (their recorded parts are equal). */
function sameRequest(a: ModelRequest, b: ModelRequest): boolean {
  return a.system === b.system && a.repetition === b.repetition &&
    a.messages.length === b.messages.length &&
    a.messages.every((m, i) =>
      m.role === b.messages[i]!.role && m.content === b.messages[i]!.content
    ) &&
    jsonEqual(a.params, b.params) &&
    jsonEqual(a.structured ?? null, b.structured ?? null) &&
    shallowEqual(a.hints, b.hints);
}

/** Whether two JSON values are equal (as their canonical JSON would be). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (
    typeof a !== "object" || typeof b !== "object" || a === null ||
    b === null || Array.isArray(a) !== Array.isArray(b)
  ) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length &&
      a.every((v, i) => jsonEqual(v, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  return keys.length ===
      Object.keys(y).filter((k) => y[k] !== undefined).length &&
    keys.every((k) => Object.hasOwn(y, k) && jsonEqual(x[k], y[k]));
}

function shallowEqual(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((k) =>
      (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]
    );
}

/** Cells whose generation cache keys are looked up together. */
const WINDOW = 256;

interface Window {
  readonly calls: PreparedCall[];
  /** For cells whose generation is a cache hit: the first judge call, prepared with the lookups. */
  readonly judgeCalls: (PreparedJudge | undefined)[];
  /** Its cache lookups, once made. */
  known: Map<string, CachedReceipt | null> | undefined;
  /** Keys committed while its lookups were being made. */
  readonly invalidated: Set<string>;
  remaining: number;
}

async function executeRun(
  store: Store,
  plan: Plan,
  options: ExperimentOptions,
  tracer: Tracer,
  shared: {
    adapters: Map<string, ModelAdapter>;
    limiters: Map<string, RateLimiter>;
    prices: Map<string, PriceRow[]>;
  },
): Promise<RunSummary> {
  const { run, task, version, model, judgeConfig, cases, jury } = plan;
  const done = await committedCells(store, run.id);
  const todo: { testCase: Case; repetition: number }[] = [];
  for (const testCase of cases) {
    for (let repetition = 0; repetition < run.repetitions; repetition++) {
      if (!done.has(`${testCase.id}#${repetition}`)) {
        todo.push({ testCase, repetition });
      }
    }
  }
  const mode = options.cache ?? "use";
  const cache = new ReceiptCache(store);
  const caller = makeCaller(
    run,
    options,
    cache,
    shared.prices,
    shared.adapters,
    shared.limiters,
  );
  const writer = await openCellWriter(store, todo.length);
  const committer = new CellCommitter(writer, tracer);
  const progress = options.progress ?? SILENT_PROGRESS;
  const label = `${version.id} x ${model.id}`;
  let cost = new Decimal(0);
  let uncached = new Decimal(0);
  let committed = 0;
  let failures = 0;
  let judgeErrors = 0;
  const params = mergedParams(model, version);
  const concurrency = options.concurrency ?? 8;
  if (
    concurrency !== Number.POSITIVE_INFINITY &&
    !(Number.isInteger(concurrency) && concurrency >= 1)
  ) {
    throw new TypeError(
      `Expected concurrency to be a positive integer but found ${concurrency}`,
    );
  }
  progress.start(label, todo.length);
  const snapshot = () => ({
    done: committed,
    total: todo.length,
    cost: cost.toString(),
    errors: failures,
    label,
  });

  const generationRequest = (
    { testCase, repetition }: { testCase: Case; repetition: number },
  ): ModelRequest => {
    const rendered = renderPrompt(version, testCase.input);
    return {
      system: rendered.system,
      messages: rendered.messages,
      params,
      repetition,
      hints: {
        task: task.name,
        case_id: testCase.id,
        slice: testCase.slice,
        input: testCase.input,
        expected: testCase.expected,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    };
  };
  const judgeRequest = (
    request: ModelRequest,
    repetition: number,
    config: ModelConfig = judgeConfig!,
  ): ModelRequest => ({
    ...request,
    params: { ...config.params, ...request.params },
    repetition,
    ...(options.signal ? { signal: options.signal } : {}),
  });

  // Cells are prepared (rendered, serialized, keyed) a window at a time, and
  // the window's cache hits are looked up in one query: the generation
  // calls' and, for those that hit, the first judge call's.
  const memo: SerializeMemo = new Map();
  const windows = new Map<number, Promise<Window>>();
  const live = new Set<Window>();
  const prepareWindow = async (w: number): Promise<Window> => {
    const slice = todo.slice(w * WINDOW, (w + 1) * WINDOW);
    const calls = slice.map((cell) =>
      prepareCall(model, generationRequest(cell), mode !== "off", memo)
    );
    const window: Window = {
      calls,
      judgeCalls: [],
      known: undefined,
      invalidated: new Set(),
      remaining: slice.length,
    };
    if (mode !== "use") return window;
    live.add(window);
    const known = await cache.lookup(calls.map((c) => c.key!));
    if (judgeConfig) {
      const judgeKeys: string[] = [];
      slice.forEach((cell, i) => {
        const hit = known.get(calls[i]!.key!);
        if (!hit || hit.text === null) return;
        const built = buildJudgeRequest(task, cell.testCase, hit.text);
        const call = prepareCall(
          judgeConfig,
          judgeRequest(built, cell.repetition),
          true,
          memo,
        );
        window.judgeCalls[i] = { built, call };
        judgeKeys.push(call.key!);
      });
      if (judgeKeys.length > 0) {
        for (const [key, hit] of await cache.lookup(judgeKeys)) {
          known.set(key, hit);
        }
      }
    }
    for (const key of window.invalidated) known.delete(key);
    window.known = known;
    return window;
  };
  const windowOf = (w: number): Promise<Window> => {
    let window = windows.get(w);
    if (!window) {
      window = prepareWindow(w);
      windows.set(w, window);
    }
    return window;
  };

  const runCell = async (
    index: number,
    sent: () => void,
  ): Promise<Finish | undefined> => {
    if (options.signal?.aborted || committer.error !== undefined) return;
    const w = Math.floor(index / WINDOW);
    const window = await windowOf(w);
    // Look the next window up while this one runs.
    if ((w + 1) * WINDOW < todo.length) void windowOf(w + 1).catch(() => {});
    try {
      return await runPrepared(
        index,
        window.calls[index % WINDOW]!,
        window.judgeCalls[index % WINDOW],
        window.known,
        sent,
      );
    } finally {
      if (--window.remaining === 0) {
        windows.delete(w);
        live.delete(window);
      }
    }
  };

  const runPrepared = async (
    index: number,
    prepared: PreparedCall,
    preparedJudge: PreparedJudge | undefined,
    known: KnownHits | undefined,
    sent: () => void,
  ): Promise<Finish | undefined> => {
    if (options.signal?.aborted || committer.error !== undefined) return;
    const { testCase, repetition } = todo[index]!;
    const generation = await caller.call(
      "generate",
      model,
      prepared,
      known,
      sent,
    );
    if (
      options.signal?.aborted && generation.receipt.error?.kind === "aborted"
    ) return;
    const calls: Call[] = [generation];
    const output = generation.receipt.text;
    let status: CellStatus = generation.receipt.status === "ok"
      ? "ok"
      : "provider_error";
    const checks = scoreCell(task, testCase, output, status);
    if (
      status === "ok" && checks.json_schema_valid &&
      !checks.json_schema_valid.pass
    ) {
      status = "invalid_output";
    }
    let rubric: CellResult["rubric"] = null;
    let judgeError: string | null = null;
    if (judgeConfig && output !== null && status === "ok") {
      const verdict = await judge(
        async (request) => {
          const call = await caller.call(
            "judge",
            judgeConfig,
            preparedJudge && sameRequest(request, preparedJudge.built)
              ? preparedJudge.call
              : prepareCall(
                judgeConfig,
                judgeRequest(request, repetition),
                mode !== "off",
                memo,
              ),
            known,
            sent,
          );
          calls.push(call);
          return {
            receipt_id: call.receipt.id,
            text: call.receipt.text,
            error: call.receipt.error
              ? `${call.receipt.error.kind}: ${call.receipt.error.message}`
              : null,
          };
        },
        task,
        testCase,
        output,
      );
      rubric = verdict.rubric;
      judgeError = verdict.judge_error;
      if (
        options.signal?.aborted && judgeError &&
        calls.some((c) => c.receipt.error?.kind === "aborted")
      ) return;
    } else if (jury && output !== null && status === "ok") {
      // Each juror judges through judge() with its own config; its calls
      // (and receipts) are the cell's judge calls, juror by juror.
      const byReceipt = new Map<string, Call>();
      const verdict = await judgeByJury(
        jury.configs.map((config) => ({
          id: config.id,
          call: async (request: ModelRequest) => {
            const call = await caller.call(
              "judge",
              config,
              prepareCall(
                config,
                judgeRequest(request, repetition, config),
                mode !== "off",
                memo,
              ),
              known,
            );
            byReceipt.set(call.receipt.id, call);
            return {
              receipt_id: call.receipt.id,
              text: call.receipt.text,
              error: call.receipt.error
                ? `${call.receipt.error.kind}: ${call.receipt.error.message}`
                : null,
            };
          },
        })),
        jury.quorum,
        { task, testCase, output },
      );
      for (const id of verdict.receipt_ids) calls.push(byReceipt.get(id)!);
      rubric = verdict.rubric;
      judgeError = verdict.judge_error;
      if (
        options.signal?.aborted &&
        calls.some((c) => c.receipt.error?.kind === "aborted")
      ) return;
    }
    // What is left needs no model: the runner starts the next cell's call
    // before doing it, so it overlaps the calls in flight.
    return async () => {
      const receipts = calls.map((c) => c.receipt);
      const at = nowIso();
      const result: CellResult = {
        id: newId("res"),
        run_id: run.id,
        case_key: testCase.id,
        repetition,
        slice: testCase.slice,
        generation_io_id: generation.receipt.id,
        judge_io_ids: receipts.slice(1).map((r) => r.id),
        output,
        status,
        checks,
        rubric,
        judge_error: judgeError,
        created_at: at,
        scored_at: at,
      };
      const cell = { case: testCase.id, repetition };
      const events = (t: Tracer) => {
        const events = [
          generation.receipt.status === "ok"
            ? t.next("step_finished", {
              step: "generate",
              data: {
                ...cell,
                receipt_id: generation.receipt.id,
                cached: generation.receipt.cached_from !== null,
              },
            })
            : t.next("step_failed", {
              step: "generate",
              data: {
                ...cell,
                receipt_id: generation.receipt.id,
                error: generation.receipt.error,
              },
            }),
        ];
        if (receipts.length > 1) {
          events.push(
            judgeError
              ? t.next("step_failed", {
                step: "judge",
                data: {
                  ...cell,
                  receipt_ids: result.judge_io_ids,
                  error: judgeError,
                },
              })
              : t.next("step_finished", {
                step: "judge",
                data: { ...cell, receipt_ids: result.judge_io_ids },
              }),
          );
        }
        events.push(
          t.next("step_finished", {
            step: "score",
            data: { ...cell, result_id: result.id, status },
          }),
        );
        return events;
      };
      committer.commit(
        { receipts, receiptJson: calls.map((c) => c.json), result },
        events,
        () => {
          committed++;
          if (status === "provider_error") failures++;
          if (judgeError) judgeErrors++;
          for (const r of receipts) {
            if (r.cost !== null) cost = cost.plus(r.cost);
            const u = r.uncached_cost ?? r.cost;
            if (u !== null) uncached = uncached.plus(u);
            if (
              r.cache_key !== null && r.cached_from === null &&
              r.status === "ok"
            ) {
              // A window that looked this key up before it was committed must
              // look again.
              for (const window of live) {
                if (window.known) window.known.delete(r.cache_key);
                else window.invalidated.add(r.cache_key);
              }
            }
          }
          progress.update(snapshot());
        },
      );
      await committer.room();
    };
  };

  try {
    // A pool of `concurrency` loops, each taking the next cell: memory stays
    // proportional to the concurrency, not to the number of cells.
    // A finished cell's remaining work (result, trace events, commit) is
    // done once the loop's next call is in flight.
    let next = 0;
    let stopped = false;
    const loop = async () => {
      let finish: Finish | undefined;
      try {
        while (!stopped && next < todo.length) {
          const sent = Promise.withResolvers<void>();
          const cell = runCell(next++, sent.resolve);
          if (finish) {
            await Promise.race([sent.promise, cell]);
            await finish();
          }
          finish = await cell;
        }
        await finish?.();
      } catch (error) {
        stopped = true;
        throw error;
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, todo.length) }, loop),
    );
  } finally {
    await committer.idle();
    await writer.close();
    progress.stop(snapshot());
  }
  if (committer.error !== undefined) throw committer.error;
  const complete = done.size + committed === cases.length * run.repetitions;
  const status = complete ? "completed" : "interrupted";
  const finishedAt = complete ? nowIso() : null;
  await setRunStatus(store, run.id, status, finishedAt);
  const scorecard = complete ? (await scoreRun(store, run.id)).sha256 : null;
  await tracer.emit("run_finished", {
    data: {
      run_id: run.id,
      status,
      committed,
      failures,
      judge_errors: judgeErrors,
      cost: cost.toString(),
      scorecard_sha256: scorecard,
    },
  });
  return {
    run_id: run.id,
    prompt_version_id: version.id,
    model_config_id: model.id,
    status,
    cells: cases.length * run.repetitions,
    committed,
    resumed: done.size,
    failures,
    judge_errors: judgeErrors,
    adapter_calls: caller.adapterCalls,
    cache_hits: caller.cacheHits,
    cost: cost.toString(),
    uncached_cost: uncached.toString(),
    scorecard_sha256: scorecard,
  };
}

/**
 * Runs prompt versions x models over a task's dataset, with repetitions.
 * Every model call becomes a receipt; each cell (a case x a repetition)
 * commits its receipts, its scored result and its trace events in one
 * transaction, so a killed run resumes (`resume: runId`) with nothing lost
 * and no committed call repeated. Identical calls are served from the cache.
 *
 * @param store The database (load the catalog into it first).
 * @param options What to run and how.
 * @returns One summary per run.
 * @throws {ValidationError} If the options name no task, prompt or model, or too few repetitions.
 * @throws {NotFoundError} If a task, prompt version, model config or run does not exist.
 * @throws {ConfigError} If a provider's API key is missing (before any call).
 *
 * @example Two prompt versions on the fake provider
 * ```ts
 * import { experiment, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const result = await experiment(store, {
 *   task: "resume_matching",
 *   prompts: ["v1", "v3"],
 *   models: ["fake-fast"],
 *   cases: ["rm-001", "rm-002"],
 * });
 * assert.equal(result.runs.length, 2);
 * assert.equal(result.runs[0]?.cells, 6);
 * ```
 */
export async function experiment(
  store: Store,
  options: ExperimentOptions = {},
): Promise<ExperimentResult> {
  const plans = options.resume
    ? [await planResume(store, options.resume)]
    : await planNew(store, options, newId("exp"));
  const experimentId = plans[0]!.run.experiment_id;
  const adapterFor = options.adapterFor ??
    ((config: ModelConfig) => createAdapter(config));
  const adapters = new Map<string, ModelAdapter>();
  const prices = new Map<string, PriceRow[]>();
  const limiters = new Map<string, RateLimiter>();
  // Build every adapter first: a missing key fails here, before any call.
  for (const plan of plans) {
    for (
      const config of [
        plan.model,
        plan.judgeConfig,
        ...plan.jury?.configs ?? [],
      ]
    ) {
      if (!config || adapters.has(config.id)) continue;
      adapters.set(config.id, adapterFor(config));
      const key = `${config.provider}/${config.model}`;
      if (!prices.has(key)) {
        prices.set(key, await listPrices(store, config.provider, config.model));
      }
      const limits = options.rateLimits?.[config.provider];
      if (limits && !limiters.has(config.provider)) {
        limiters.set(config.provider, new RateLimiter(limits));
      }
    }
  }
  if (adapters.size === 0) throw new ConfigError("no model to run");
  const runs: RunSummary[] = [];
  for (const plan of plans) {
    let tracer: Tracer;
    if (options.resume) {
      tracer = await Tracer.resume(store, plan.run.trace_id);
      await setRunStatus(store, plan.run.id, "running", null);
      await tracer.emit("run_resumed", { data: { run_id: plan.run.id } });
    } else {
      await insertRun(store, plan.run);
      tracer = await Tracer.start(store, plan.run.workflow as WorkflowInput, {
        traceId: plan.run.trace_id,
      });
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
    }
    runs.push(
      await executeRun(store, plan, options, tracer, {
        adapters,
        limiters,
        prices,
      }),
    );
    if (options.signal?.aborted) break;
  }
  return { experiment_id: experimentId, runs };
}
