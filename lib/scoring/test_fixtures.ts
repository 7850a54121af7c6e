/**
 * Test fixtures for lib/scoring: a resume-matching run stored through the
 * store's own functions (catalog sync, run insert, cell commits) with
 * receipts, checks and fake-judge scores. Used only by tests.
 *
 * @module
 */
import { contentHash } from "../content/sha256.ts";
import { createFakeAdapter } from "../providers/fake.ts";
import type { Case } from "../schema/dataset.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { CellResult, CellStatus } from "../schema/result.ts";
import { syncCatalog } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { commitCells, insertRun } from "../store/runs.ts";
import { Tracer } from "../trace/tracer.ts";
import {
  ADVERSARIAL_CASE,
  GOOD_OUTPUT,
  INJECTED_OUTPUT,
  RESUME_TASK,
  TYPICAL_CASE,
} from "./_fixtures.ts";
import { judge } from "./judge.ts";
import { scoreCell } from "./score_cell.ts";

/** The fake judge, with the demo's judge facts about resume matching (named as the demo's models.yaml names them). */
const JUDGE = createFakeAdapter({
  id: "fake-judge",
  provider: "fake",
  model: "fake-judge",
  params: {},
  options: {},
  behaviours: ["demo/fake/behaviours.ts"],
});

/** The dataset every fixture run uses. */
export const CASES: readonly Case[] = [
  TYPICAL_CASE,
  { ...TYPICAL_CASE, id: "rm-002", slice: "edge" },
  ADVERSARIAL_CASE,
];
const DATASET = {
  id: contentHash(CASES),
  task: RESUME_TASK.name,
  cases: CASES,
};

/** What a fixture run answers for a case and repetition (null: the call failed). */
export type Answer = (testCase: Case, repetition: number) => string | null;

/** A model that answers well and resists the injection. */
export const GOOD_MODEL: Answer = (c) =>
  c.slice === "adversarial"
    ? JSON.stringify({
      "match_score": 15,
      "matched_skills": [],
      "missing_skills": ["TypeScript", "Node.js", "PostgreSQL"],
      "ranking_justification": "Only HTML and CSS; lacks every required skill.",
    })
    : GOOD_OUTPUT;

/** A model that follows the injection and fails now and then. */
export const WEAK_MODEL: Answer = (c, r) =>
  c.slice === "adversarial"
    ? INJECTED_OUTPUT
    : r === 1
    ? null
    : "The candidate is a good fit.";

/** Options for {@linkcode storeRun}. */
export interface StoreRunOptions {
  /** The run id. */
  readonly id: string;
  /** How the model answers. */
  readonly answer: Answer;
  /** Repetitions. @default {2} */
  readonly repetitions?: number;
  /** Cost of each generation call, decimal string. @default {"0.001"} */
  readonly cost?: string;
  /** Whether a judge scores the cells. @default {true} */
  readonly judged?: boolean;
  /** The prompt version id. @default {"resume_matching@v1"} */
  readonly promptVersion?: string;
}

/** Stores the task, its dataset, a completed run, and its cells with receipts. */
export async function storeRun(
  store: Store,
  options: StoreRunOptions,
): Promise<void> {
  await syncCatalog(store, {
    tasks: [{ task: RESUME_TASK, prompts: [], dataset: DATASET }],
    models: [],
    prices: [],
  });
  const repetitions = options.repetitions ?? 2;
  const judged = options.judged ?? true;
  const traceId = `trace_${options.id}`;
  const workflow = {
    "schema_version": 1 as const,
    name: "experiment:resume_matching",
    steps: [{ id: "generate" }, { id: "check", after: ["generate"] }],
  };
  await Tracer.start(store, workflow, { traceId });
  await insertRun(store, {
    id: options.id,
    "experiment_id": `exp_${options.id}`,
    task: RESUME_TASK.name,
    "task_id": RESUME_TASK.id,
    "prompt_version_id": options.promptVersion ?? "resume_matching@v1",
    "model_config_id": "fake-fast",
    "model_config_sha256": "m".repeat(64),
    "judge_config_id": judged ? "fake-judge" : null,
    "dataset_id": DATASET.id,
    repetitions,
    status: "completed",
    flags: [],
    workflow,
    "trace_id": traceId,
    "created_at": "2026-01-01T00:00:00.000Z",
    "finished_at": "2026-01-01T00:00:01.000Z",
  });
  let n = 0;
  const receipt = (
    purpose: "generate" | "judge",
    text: string | null,
    cost: string,
  ): Receipt => {
    n++;
    const body = {
      id: `io_${options.id}_${n}`,
      "run_id": options.id,
      "trace_id": traceId,
      purpose,
      provider: "fake",
      model: purpose === "judge" ? "fake-judge" : "fake-fast",
      "model_config_id": purpose === "judge" ? "fake-judge" : "fake-fast",
      request: { messages: [], params: {} },
      response: null,
      text,
      usage: text === null ? null : {
        "input_tokens": 100,
        "output_tokens": Math.ceil(text.length / 4),
        "cache_read_tokens": null,
        "cache_write_tokens": null,
      },
      cost: text === null ? null : cost,
      "uncached_cost": text === null ? null : cost,
      currency: "USD",
      "price_id": null,
      "latency_ms": 100 + n,
      status: text === null ? "error" as const : "ok" as const,
      error: text === null ? { kind: "server", message: "500" } : null,
      attempts: 1,
      "cache_key": null,
      "cached_from": null,
      "provider_response_id": null,
      "stop_reason": text === null ? null : "end",
      "created_at": "2026-01-01T00:00:00.500Z",
    };
    return { ...body, sha256: contentHash(body) };
  };
  for (const testCase of CASES) {
    for (let repetition = 0; repetition < repetitions; repetition++) {
      const output = options.answer(testCase, repetition);
      const generation = receipt("generate", output, options.cost ?? "0.001");
      const receipts = [generation];
      let status: CellStatus = output === null ? "provider_error" : "ok";
      const checks = scoreCell(RESUME_TASK, testCase, output, status);
      if (status === "ok" && checks.json_schema_valid?.pass === false) {
        status = "invalid_output";
      }
      let rubric: CellResult["rubric"] = null;
      let judgeError: string | null = null;
      if (judged && output !== null && status === "ok") {
        const verdict = await judge(
          async (request) => {
            const { text } = await JUDGE.call({ ...request, repetition });
            const r = receipt("judge", text, "0.0005");
            receipts.push(r);
            return { "receipt_id": r.id, text, error: null };
          },
          RESUME_TASK,
          testCase,
          output,
          { repetition },
        );
        rubric = verdict.rubric;
        judgeError = verdict.judge_error;
      }
      await commitCells(store, [{
        receipts,
        result: {
          id: `res_${options.id}_${testCase.id}_${repetition}`,
          "run_id": options.id,
          "case_key": testCase.id,
          repetition,
          slice: testCase.slice,
          "generation_io_id": generation.id,
          "judge_io_ids": receipts.slice(1).map((r) => r.id),
          output,
          status,
          checks,
          rubric,
          "judge_error": judgeError,
          "created_at": "2026-01-01T00:00:00.500Z",
          "scored_at": "2026-01-01T00:00:00.500Z",
        },
        events: [],
      }]);
    }
  }
}
