/**
 * Scores what production did: the calls users' code recorded for a task,
 * with the task's checks (and, when the task opts in, its judge), into one
 * stored run per time window.
 *
 * @module
 */
import { validateTaskInput } from "../catalog/validate_input.ts";
import { contentHash, sha256Hex } from "../content/sha256.ts";
import { newId, nowIso } from "../content/ids.ts";
import { type Issue, ValidationError } from "../errors.ts";
import { callModel } from "../experiment/call_model.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { Case } from "../schema/dataset.ts";
import type { CellResult, CellStatus, CheckResult } from "../schema/result.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { Task } from "../schema/task.ts";
import { judge as judgeOutput } from "../scoring/judge.ts";
import { scoreCell } from "../scoring/score_cell.ts";
import { scoreLoadedRun } from "../scoring/score_run.ts";
import { getLatestDataset, getModelConfig, getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import {
  listRunReceiptFigures,
  listTaskCalls,
  PRODUCTION_EXPERIMENT,
  productionDatasetId,
} from "../store/production.ts";
import { commitCells, getRun, insertRun, setRunStatus } from "../store/runs.ts";
import { listResults } from "../store/scores.ts";
import { recordCall } from "../trace/record_call.ts";
import { parseRedactPaths, Redactor } from "../trace/redact.ts";
import { Tracer } from "../trace/tracer.ts";
import { type ProductionCall, readOtelCalls } from "./read_otel.ts";
import { SliceIndex } from "./slice_index.ts";
import { type TimeWindow, type WindowKind, windowOf } from "./windows.ts";

/** Options for {@linkcode scoreTraces}. */
export interface ScoreTracesOptions {
  /** The catalog task the calls serve. */
  task: string;
  /** Calls made at or after this instant (ISO 8601). */
  since: string;
  /** Calls made before this instant. @default {no bound} */
  until?: string | undefined;
  /** How calls are grouped into windows. @default {"day"} */
  window?: WindowKind | undefined;
  /**
   * Score a sample of each window: a whole number N scores N calls, a
   * rate between 0 and 1 scores about that share. The choice is by each
   * receipt's sha256, so the same traces give the same sample.
   * @default {every call}
   */
  sample?: number | undefined;
  /**
   * The judge's model config id. Sends production inputs and outputs to
   * that model, so the task must opt in (`production.judge: true` in its
   * task.yaml).
   * @default {no judge: checks only}
   */
  judge?: string | undefined;
  /**
   * Read the calls from an OTLP/JSON file of GenAI spans, as
   * `wb export-otel --content` writes it (its text), instead of the store.
   */
  otlp?: string | undefined;
  /** Adapter factory, for tests. @default {createAdapter} */
  adapter?: ((config: ModelConfig) => ModelAdapter) | undefined;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/** A call whose input does not validate against the task's input schema. */
export interface InvalidInput {
  /** The call's receipt id. */
  readonly receipt_id: string;
  /** The window it fell in. */
  readonly window: string;
  /** What is wrong with its input. */
  readonly issues: readonly Issue[];
}

/** A scored window. */
export interface ScoredWindow {
  /** The window. */
  readonly window: TimeWindow;
  /** The run holding its results and scorecard. */
  readonly run_id: string;
  /** The stored scorecard's sha256. */
  readonly scorecard_sha256: string;
  /** Calls in the window. */
  readonly calls: number;
  /** Calls scored (valid input, in the sample). */
  readonly scored: number;
  /** Calls left out by sampling. */
  readonly sampled_out: number;
  /** Calls whose input failed the task's input schema (not scored). */
  readonly invalid: readonly InvalidInput[];
  /** Calls the judge scored. */
  readonly judged: number;
  /** The aggregate score, or null. */
  readonly aggregate: number | null;
  /** Cells per suggested slice. */
  readonly slices: Readonly<Record<string, number>>;
}

/** What {@linkcode scoreTraces} did. */
export interface ScoreTracesResult {
  /** The task. */
  readonly task: string;
  /** Where the calls came from. */
  readonly source: "store" | "otlp";
  /** Each window, oldest first. */
  readonly windows: readonly ScoredWindow[];
  /**
   * What left the store: the fields of the judged calls sent to the judge
   * model (`input.<field>`, `output`); empty without a judge.
   */
  readonly sent_to_judge: readonly string[];
  /** Input fields replaced by their sha256 before they were sent (task.yaml `production.redact`). */
  readonly redacted: readonly string[];
}

/** A check whose result needs a reference production calls do not have. */
function applicable(result: CheckResult): boolean {
  return !/^not (applicable|adversarial)\b/.test(result.detail);
}

/** A number in [0, 1) from a receipt's sha256: the sample is reproducible. */
function unit(sha256: string): number {
  return parseInt(sha256.slice(0, 12), 16) / 2 ** 48;
}

function checkSample(sample: number | undefined): void {
  if (sample === undefined) return;
  const ok = sample > 0 && (Number.isInteger(sample) || sample < 1);
  if (!ok) {
    throw new ValidationError([{
      field: "sample",
      message:
        `a sample is a whole number of calls per window (e.g. 200) or a rate between 0 and 1 (e.g. 0.1), not "${sample}"`,
    }]);
  }
}

/** The calls of a window that are scored, and how many sampling left out. */
function sampled(
  calls: readonly ProductionCall[],
  sample: number | undefined,
): ProductionCall[] {
  if (sample === undefined) return [...calls];
  if (sample < 1) return calls.filter((c) => unit(c.receipt_sha256) < sample);
  return calls.toSorted((a, b) =>
    unit(a.receipt_sha256) - unit(b.receipt_sha256)
  ).slice(0, sample);
}

/**
 * Scores the production calls of a task (recorded with `recordCall` or a
 * client wrapper given the task and its input, or read from an OTLP/JSON
 * file) into one stored run per day or week: each call's input is checked
 * against the task's `input_schema` (the ones that fail are counted and
 * listed, not scored), given a suggested slice by its nearest labelled
 * suite cases, scored with the task's checks that need no reference
 * (production calls have no expected values), and with the judge when the
 * task opts in. Each result points at its call's receipt
 * (`generation_io_id`); the run's scorecard is computed and stored as any
 * run's is, so `drift` and the report read it the same way.
 *
 * @param store The database.
 * @param options Task, time range, window, sample, judge, source.
 * @returns The scored windows.
 * @throws {NotFoundError} If the task, its dataset or the judge config is not stored.
 * @throws {ValidationError} If the sample is invalid, or a judge is asked for and the task has not opted in.
 *
 * @example Score recorded calls of a task
 * ```ts
 * import { loadCatalog, open, recordCall, scoreTraces, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "triage", steps: [{ id: "answer" }] });
 * await recordCall(tracer, {
 *   provider: "fake", model: "fake-fast", task: "support_triage",
 *   input: { customer_message: "Where is my parcel?", account_context: { account_id: "A1", customer_name: "Ana", plan: "Free" } },
 *   request: { messages: [{ role: "user", content: "Where is my parcel?" }] },
 *   response: { text: '{"category":"shipping","priority":"low","suggested_reply":"Hi Ana","requires_human":false}' },
 *   latencyMs: 10, step: "answer",
 * });
 * const result = await scoreTraces(store, { task: "support_triage", since: "2000-01-01" });
 * assert.equal(result.windows.length, 1);
 * assert.equal(result.windows[0]!.scored, 1);
 * ```
 */
export async function scoreTraces(
  store: Store,
  options: ScoreTracesOptions,
): Promise<ScoreTracesResult> {
  checkSample(options.sample);
  const kind = options.window ?? "day";
  if (kind !== "day" && kind !== "week") {
    throw new ValidationError([{
      field: "window",
      message: `a window is "day" or "week", not "${kind}"`,
    }]);
  }
  for (const field of ["since", "until"] as const) {
    const value = options[field];
    if (value !== undefined && !Number.isFinite(Date.parse(value))) {
      throw new ValidationError([{
        field,
        message:
          `"${value}" is not a date: give an ISO 8601 date or time, e.g. 2026-12-01`,
      }]);
    }
  }
  const since = new Date(options.since).toISOString();
  const until = options.until === undefined
    ? undefined
    : new Date(options.until).toISOString();
  const task = await getTask(store, options.task);
  if (options.judge !== undefined && task.production?.judge !== true) {
    throw new ValidationError([{
      field: "production.judge",
      message:
        `task "${task.name}" has not opted in to sending production data to a judge: add "production: { judge: true }" to prompts/${task.name}/task.yaml and run \`wb load\`, or score with checks only (no --judge)`,
    }]);
  }
  const judgeConfig = options.judge === undefined
    ? null
    : await getModelConfig(store, options.judge);
  const dataset = await getLatestDataset(store, task.name);
  const index = new SliceIndex(dataset.cases);
  const now = options.now ?? nowIso;

  const calls = options.otlp === undefined
    ? (await listTaskCalls(store, { task: task.name, since, until })).map(
      (c): ProductionCall => ({
        receipt_id: c.receipt.id,
        receipt_sha256: c.receipt.sha256,
        created_at: c.receipt.created_at,
        input: c.input,
        output: c.receipt.text,
        ok: c.receipt.status === "ok",
      }),
    )
    : readOtelCalls(options.otlp, { task: task.name, since, until });

  const byWindow = new Map<
    string,
    { window: TimeWindow; calls: ProductionCall[] }
  >();
  for (const call of calls) {
    const window = windowOf(call.created_at, kind);
    const group = byWindow.get(window.id) ?? { window, calls: [] };
    group.calls.push(call);
    byWindow.set(window.id, group);
  }
  const adapter = judgeConfig
    ? (options.adapter ?? ((c: ModelConfig) => createAdapter(c)))(judgeConfig)
    : null;
  const windows: ScoredWindow[] = [];
  const sent = new Set<string>();
  for (const id of [...byWindow.keys()].sort()) {
    const { window, calls: inWindow } = byWindow.get(id)!;
    const scored = await scoreWindow(store, {
      task,
      window,
      calls: inWindow,
      sample: options.sample,
      index,
      judge: judgeConfig && adapter ? { config: judgeConfig, adapter } : null,
      source: options.otlp === undefined ? "store" : "otlp",
      now,
      sent,
      redact: parseRedactPaths(task.production?.redact ?? []),
    });
    windows.push(scored);
  }
  return {
    task: task.name,
    source: options.otlp === undefined ? "store" : "otlp",
    windows,
    sent_to_judge: [...sent].sort(),
    redacted: judgeConfig ? [...(task.production?.redact ?? [])].sort() : [],
  };
}

interface WindowJob {
  readonly task: Task;
  readonly window: TimeWindow;
  readonly calls: readonly ProductionCall[];
  readonly sample: number | undefined;
  readonly index: SliceIndex;
  readonly judge: { config: ModelConfig; adapter: ModelAdapter } | null;
  readonly source: "store" | "otlp";
  readonly now: () => string;
  readonly sent: Set<string>;
  readonly redact: string[][];
}

async function scoreWindow(
  store: Store,
  job: WindowJob,
): Promise<ScoredWindow> {
  const { task, window, judge, now } = job;
  const invalid: InvalidInput[] = [];
  const valid: { call: ProductionCall; input: Record<string, unknown> }[] = [];
  for (const call of job.calls) {
    const issues: Issue[] = call.input === undefined
      ? [{
        field: "input",
        message:
          "no task input was recorded with the call: pass `input` to recordCall (or `inputOf` to the client wrapper)",
      }]
      : validateTaskInput(task, call.input);
    if (issues.length) {
      invalid.push({ receipt_id: call.receipt_id, window: window.id, issues });
    } else {
      valid.push({ call, input: call.input as Record<string, unknown> });
    }
  }
  const chosen = new Set(
    sampled(valid.map((v) => v.call), job.sample).map((c) => c.receipt_id),
  );
  const scoredCalls = valid.filter((v) => chosen.has(v.call.receipt_id));
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: `production ${task.name} ${window.id}`,
    steps: [
      { id: "score", description: "checks on each production call" },
      ...(judge
        ? [{
          id: "judge",
          after: ["score"],
          description: "the rubric judge on each production call",
          uses: { judge: judge.config.id },
        }]
        : []),
    ],
    meta: {
      kind: "production_window",
      task: task.name,
      window: window.id,
      start: window.start,
      end: window.end,
      source: job.source,
    },
  }, { now });
  const runId = newId("run");
  const createdAt = now();
  await insertRun(store, {
    id: runId,
    experiment_id: PRODUCTION_EXPERIMENT,
    task: task.name,
    task_id: task.id,
    prompt_version_id: `${task.name}@production`,
    model_config_id: PRODUCTION_EXPERIMENT,
    // A window has no model config of its own: this hashes the receipts
    // it scored (their sha256s), so a window's calls are identified.
    model_config_sha256: contentHash(
      scoredCalls.map((v) => v.call.receipt_sha256),
    ),
    judge_config_id: judge?.config.id ?? null,
    dataset_id: productionDatasetId(task.name, window.id),
    repetitions: 1,
    status: "running",
    flags: [
      "production_window",
      ...(job.sample === undefined ? [] : ["sampled"]),
    ],
    workflow: tracer.workflow,
    trace_id: tracer.traceId,
    created_at: createdAt,
    finished_at: null,
  });

  const results: CellResult[] = [];
  const slices: Record<string, number> = {};
  const reasons: Record<string, string> = {};
  let judged = 0;
  for (const { call, input } of scoredCalls) {
    const suggestion = job.index.suggest(input);
    reasons[call.receipt_id] = suggestion.reason;
    const testCase: Case = {
      // The case is its input: the same input is the same case to the
      // judge (the fake judge seeds its noise with it).
      id: `input-${contentHash(input).slice(0, 16)}`,
      slice: suggestion.slice,
      input,
      expected: {},
    };
    let status: CellStatus = call.ok ? "ok" : "provider_error";
    const checks = Object.fromEntries(
      Object.entries(scoreCell(task, testCase, call.output, status)).filter((
        [, r],
      ) => applicable(r)),
    );
    // As the runner does: an output that fails the output schema is
    // invalid and is not judged.
    if (status === "ok" && checks["json_schema_valid"]?.pass === false) {
      status = "invalid_output";
    }
    let rubric: CellResult["rubric"] = null;
    let judgeError: string | null = null;
    let judgeIds: string[] = [];
    if (judge && call.output !== null && status === "ok") {
      // Redaction first: the judge sees the redacted input and output.
      const redactor = new Redactor(job.redact, tracer.secrets);
      redactor.learn({ input, expected: {} });
      const redactedInput = redactor.apply("test_cases", {
        input,
        expected: {},
      }).record["input"] as Record<string, unknown>;
      const redactedOutput = redactor.apply("results", {
        output: call.output,
      }).record["output"] as string;
      for (const field of Object.keys(input)) job.sent.add(`input.${field}`);
      job.sent.add("output");
      const verdict = await judgeOutput(
        async (request) => {
          const outcome = await callModel(judge.adapter, {
            ...request,
            params: { ...judge.config.params, ...request.params },
          });
          const recorded = await recordCall(tracer, {
            provider: judge.config.provider,
            model: judge.config.model,
            modelConfigId: judge.config.id,
            purpose: "judge",
            step: "judge",
            request: {
              ...(request.system === undefined
                ? {}
                : { system: request.system }),
              messages: request.messages,
              params: { ...judge.config.params, ...request.params },
            },
            response: outcome.response
              ? {
                text: outcome.response.text,
                usage: outcome.response.usage,
                responseId: outcome.response.response_id ?? null,
                model: outcome.response.model ?? null,
              }
              : null,
            error: outcome.error
              ? { kind: outcome.error.kind, message: outcome.error.message }
              : null,
            latencyMs: outcome.latencyMs,
            attempts: Math.max(1, outcome.attempts),
          });
          return {
            receipt_id: recorded.id,
            text: outcome.response?.text ?? null,
            error: outcome.error?.message ?? null,
          };
        },
        task,
        { ...testCase, input: redactedInput },
        redactedOutput,
      );
      rubric = verdict.rubric;
      judgeError = verdict.judge_error;
      judgeIds = verdict.receipt_ids;
      if (rubric) judged++;
    }
    slices[suggestion.slice] = (slices[suggestion.slice] ?? 0) + 1;
    const at = now();
    results.push({
      id: newId("res"),
      run_id: runId,
      case_key: call.receipt_id,
      repetition: 0,
      slice: suggestion.slice,
      generation_io_id: call.receipt_id,
      judge_io_ids: judgeIds,
      output: call.output,
      status,
      checks,
      rubric,
      judge_error: judgeError,
      created_at: at,
      scored_at: at,
    });
  }
  await commitCells(
    store,
    results.map((result) => ({ receipts: [], result, events: [] })),
  );
  await tracer.emit("production_window_scored", {
    step: "score",
    data: {
      run_id: runId,
      window: window.id,
      calls: job.calls.length,
      scored: results.length,
      sampled_out: valid.length - scoredCalls.length,
      invalid: invalid.map((i) => i.receipt_id),
      judged,
      ...(judge
        ? {
          sent_to_judge: [...job.sent].sort(),
          redacted: (task.production?.redact ?? []).toSorted(),
        }
        : {}),
      // Binds every score to its receipt: the ids and sha256s scored.
      receipts_sha256: sha256Hex(
        scoredCalls.map((v) => `${v.call.receipt_id}:${v.call.receipt_sha256}`)
          .join("\n"),
      ),
      slice_reasons: reasons,
    },
  });
  await setRunStatus(store, runId, "completed", now());
  const run = await getRun(store, runId);
  const stored = await listResults(store, runId);
  const receipts = await listRunReceiptFigures(store, run, stored);
  const { scorecard, sha256 } = await scoreLoadedRun(store, {
    run,
    task,
    results: stored,
    receipts,
  });
  return {
    window,
    run_id: runId,
    scorecard_sha256: sha256,
    calls: job.calls.length,
    scored: results.length,
    sampled_out: valid.length - scoredCalls.length,
    invalid,
    judged,
    aggregate: scorecard.aggregate?.estimate ?? null,
    slices,
  };
}
