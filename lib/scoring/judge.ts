import type { ModelRequest } from "../schema/model_call.ts";
import type { Case } from "../schema/dataset.ts";
import type { RubricScore } from "../schema/result.ts";
import type { Task } from "../schema/task.ts";
import {
  buildJudgeRequest,
  type BuildJudgeRequestOptions,
} from "./build_judge_request.ts";
import { parseJudgement } from "./parse_judgement.ts";

/**
 * Calls the judge model once and records the call (the runner's receipt
 * writer): resolves to the receipt id, the answer text (`null` on failure)
 * and the error (`null` on success).
 */
export type JudgeCall = (request: ModelRequest) => Promise<{
  "receipt_id": string;
  text: string | null;
  error: string | null;
}>;

/** Options for {@linkcode judge}. */
export type JudgeOptions = Omit<BuildJudgeRequestOptions, "previous">;

/** What {@linkcode judge} returns: scores or an error, and every receipt. */
export interface JudgeResult {
  /** Dimension -> score and reasoning; `null` when the judge failed. */
  readonly rubric: Record<string, RubricScore> | null;
  /** Why there is no score; `null` when judged. */
  readonly "judge_error": string | null;
  /** The receipts of every judge call made (one, or two after a retry). */
  readonly "receipt_ids": string[];
}

/**
 * Judges one output against the task's rubric. A call that fails or returns
 * an answer that does not validate (not JSON, a dimension missing, a score
 * outside 1-5) is retried once with a request that quotes the failed answer
 * and says what was wrong; when the retry fails too, the result is a
 * `judge_error` and no score. There is never a default score.
 *
 * @param call Makes one judge call and records its receipt.
 * @param task The task whose rubric is applied.
 * @param testCase The case the output answers.
 * @param output The model output to judge.
 * @param options Judge parameters and the repetition.
 * @returns The rubric scores or the judge error, with the receipt ids.
 *
 * @example A judge that answers badly, then well
 * ```ts
 * import { judge, type Task } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const names = ["accuracy", "grounding", "safety", "clarity"];
 * const anchors = { good: "g", average: "a", bad: "b" };
 * const task = {
 *   name: "t", id: "t1", "schema_version": 1, description: "d",
 *   input_schema: { type: "object" }, "output_schema": { type: "object" },
 *   rubric: { dimensions: names.map((name) => ({ name, criteria: name, anchors })) },
 *   checks: [], "slice_mix": { typical: 1, edge: 0, "known_failure": 0, adversarial: 0 },
 * } satisfies Task;
 * const answers = [
 *   "I would say 4.",
 *   JSON.stringify({ dimensions: Object.fromEntries(names.map((n) => [n, { evidence: "{}", reasoning: "ok", score: 4 }])) }),
 * ];
 * let n = 0;
 * const result = await judge(
 *   () => Promise.resolve({ "receipt_id": `io_${n}`, text: answers[n++]!, error: null }),
 *   task,
 *   { id: "c1", slice: "typical", input: {}, expected: {} },
 *   "{}",
 * );
 * assert.equal(result.rubric?.safety?.score, 4);
 * assert.deepEqual(result.receipt_ids, ["io_0", "io_1"]);
 * ```
 */
export async function judge(
  call: JudgeCall,
  task: Task,
  testCase: Case,
  output: string,
  options: JudgeOptions = {},
): Promise<JudgeResult> {
  const receiptIds: string[] = [];
  let previous: BuildJudgeRequestOptions["previous"];
  let error = "";
  for (let attempt = 0; attempt < 2; attempt++) {
    const request = buildJudgeRequest(task, testCase, output, {
      ...options,
      ...(previous ? { previous } : {}),
    });
    const answer = await call(request);
    receiptIds.push(answer.receipt_id);
    if (answer.error !== null || answer.text === null) {
      error = `the judge call failed: ${answer.error ?? "no answer"}`;
      previous = undefined;
      continue;
    }
    const parsed = parseJudgement(answer.text, task.rubric);
    if (parsed.ok) {
      return {
        rubric: parsed.scores,
        "judge_error": null,
        "receipt_ids": receiptIds,
      };
    }
    error = parsed.error;
    previous = { text: answer.text, error: parsed.error };
  }
  return {
    rubric: null,
    "judge_error": `${error} (after ${receiptIds.length} attempts)`,
    "receipt_ids": receiptIds,
  };
}
