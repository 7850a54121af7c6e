/**
 * Juries: several judge model configs score each output independently; the
 * jury's score per dimension is the median of the jurors' scores, and
 * Krippendorff's alpha measures how well the jurors agree (see
 * docs/calibration.md).
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import type { JurorScore, RubricScore } from "../schema/result.ts";
import type { Task } from "../schema/task.ts";
import { judge, type JudgeCall, type JudgeResult } from "./judge.ts";

export type { JurorScore };

/** A jury: its jurors' model config ids, in order, and the quorum. */
export interface Jury {
  /** The jurors' model config ids (at least 2, distinct). */
  readonly jurors: readonly string[];
  /** Jurors that must score an output for the jury to decide. */
  readonly quorum: number;
}

const PREFIX = "jury:";

/**
 * Checks a jury and fills in the quorum: by default a majority of the
 * jurors (`floor(n / 2) + 1`).
 *
 * @param jurors The jurors' model config ids.
 * @param quorum Jurors that must score; a majority when absent.
 * @returns The jury.
 * @throws {ValidationError} With fewer than 2 jurors, a juror named twice, or a quorum outside 1..jurors.
 *
 * @example Two jurors need both
 * ```ts
 * import { makeJury } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(makeJury(["fake-judge-lenient", "fake-judge-strict"]).quorum, 2);
 * assert.equal(makeJury(["a", "b", "c"]).quorum, 2);
 * assert.throws(() => makeJury(["a", "a"]));
 * ```
 */
export function makeJury(
  jurors: readonly string[],
  quorum?: number,
): Jury {
  const issues = [];
  if (jurors.length < 2) {
    issues.push({
      field: "jury",
      message:
        `a jury needs at least 2 judge configs, got ${jurors.length}; use judge for one`,
    });
  }
  const twice = jurors.filter((j, i) => jurors.indexOf(j) !== i);
  if (twice.length > 0) {
    issues.push({
      field: "jury",
      message: `juror '${
        twice[0]
      }' is named twice; name each judge config once`,
    });
  }
  const q = quorum ?? Math.floor(jurors.length / 2) + 1;
  if (!Number.isInteger(q) || q < 1 || q > jurors.length) {
    issues.push({
      field: "quorum",
      message: `quorum ${q} is not a whole number from 1 to ${jurors.length}`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { jurors: [...jurors], quorum: q };
}

/**
 * The judge id a jury's runs carry in `judge_config_id`:
 * `jury:<id>+<id>...;quorum=<q>`. Runs compare only with runs judged by
 * the same jury and quorum.
 *
 * @param jury The jury.
 * @returns The key.
 *
 * @example
 * ```ts
 * import { juryKey, parseJuryKey } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const key = juryKey({ jurors: ["a", "b"], quorum: 2 });
 * assert.equal(key, "jury:a+b;quorum=2");
 * assert.deepEqual(parseJuryKey(key), { jurors: ["a", "b"], quorum: 2 });
 * assert.equal(parseJuryKey("fake-judge"), null);
 * ```
 */
export function juryKey(jury: Jury): string {
  return `${PREFIX}${jury.jurors.join("+")};quorum=${jury.quorum}`;
}

/**
 * Reads a jury key written by {@linkcode juryKey}.
 *
 * @param key A run's `judge_config_id`.
 * @returns The jury, or `null` when the key names a single judge config.
 *
 * @example A jury key and a single judge
 * ```ts
 * import { parseJuryKey } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseJuryKey("jury:judge-a+judge-b+judge-c;quorum=2"), {
 *   jurors: ["judge-a", "judge-b", "judge-c"],
 *   quorum: 2,
 * });
 * assert.equal(parseJuryKey("fake-judge"), null);
 * ```
 */
export function parseJuryKey(key: string): Jury | null {
  const match = /^jury:([^;]+);quorum=(\d+)$/.exec(key);
  if (!match) return null;
  return { jurors: match[1]!.split("+"), quorum: Number(match[2]) };
}

/**
 * The jury's score from its jurors' scores: the median. For an even count
 * the two middle scores are averaged and a half is rounded to the even
 * integer (3 and 4 give 4, 2 and 3 give 2), so the score stays an integer
 * 1-5 and halves lean neither up nor down on average.
 *
 * @param scores The jurors' scores (at least one).
 * @returns The median, an integer.
 * @throws {RangeError} With no score.
 *
 * @example
 * ```ts
 * import { juryMedian } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(juryMedian([5, 2, 4]), 4);
 * assert.equal(juryMedian([3, 4]), 4);
 * assert.equal(juryMedian([2, 3]), 2);
 * ```
 */
export function juryMedian(scores: readonly number[]): number {
  if (scores.length === 0) {
    throw new RangeError("Cannot take the median of no score");
  }
  const sorted = [...scores].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid]!;
  const mean = (sorted[mid - 1]! + sorted[mid]!) / 2;
  const floor = Math.floor(mean);
  if (mean - floor !== 0.5) return mean;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** One juror: its model config id and how to call it. */
export interface Juror {
  /** The juror's model config id. */
  readonly id: string;
  /** Makes one judge call with this juror's model config and records its receipt. */
  readonly call: JudgeCall;
}

/**
 * Judges one output with a jury: every juror scores it independently
 * through {@linkcode judge} (its own calls, receipts and retry), at the same
 * time. Each dimension's score is the {@linkcode juryMedian} of the jurors'
 * scores; its `jurors` field keeps every juror's score and reasoning, and a
 * failed juror's error. When fewer jurors than the quorum scored, there is
 * no score and `judge_error` says the quorum was not met and why each juror
 * failed. Receipt ids are listed juror by juror, in jury order.
 *
 * @param jurors The jurors, in order.
 * @param quorum Jurors that must score for the jury to decide.
 * @param input The task, the case and the output.
 * @returns The jury's rubric scores or error, and every juror's receipts.
 *
 * @example Two jurors, one point apart
 * ```ts
 * import { judgeByJury, type Task } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const anchors = { good: "g", average: "a", bad: "b" };
 * const task = {
 *   name: "t", id: "t1", "schema_version": 1, description: "d",
 *   input_schema: { type: "object" }, "output_schema": { type: "object" },
 *   rubric: { dimensions: [{ name: "tone", criteria: "tone", anchors }] },
 *   checks: [], "slice_mix": { typical: 1, edge: 0, "known_failure": 0, adversarial: 0 },
 * } satisfies Task;
 * const juror = (id: string, score: number) => ({
 *   id,
 *   call: () => Promise.resolve({
 *     "receipt_id": `io_${id}`, error: null,
 *     text: JSON.stringify({ dimensions: { tone: { evidence: "{}", reasoning: id, score } } }),
 *   }),
 * });
 * const result = await judgeByJury([juror("a", 5), juror("b", 2), juror("c", 4)], 2, {
 *   task, testCase: { id: "c1", slice: "typical", input: {}, expected: {} }, output: "{}",
 * });
 * assert.equal(result.rubric?.tone?.score, 4);
 * assert.deepEqual(result.rubric?.tone?.jurors?.b, { score: 2, reasoning: "b", evidence: "{}" });
 * assert.deepEqual(result.receipt_ids, ["io_a", "io_b", "io_c"]);
 * ```
 */
export async function judgeByJury(
  jurors: readonly Juror[],
  quorum: number,
  input: {
    readonly task: Task;
    readonly testCase: Case;
    readonly output: string;
  },
): Promise<JudgeResult> {
  const verdicts = await Promise.all(
    jurors.map((j) => judge(j.call, input.task, input.testCase, input.output)),
  );
  const receiptIds = verdicts.flatMap((v) => v.receipt_ids);
  const scored = verdicts.filter((v) => v.rubric !== null).length;
  if (scored < quorum) {
    const failures = jurors.map((j, i) =>
      verdicts[i]!.judge_error === null
        ? null
        : `${j.id}: ${verdicts[i]!.judge_error}`
    ).filter((x) => x !== null);
    return {
      rubric: null,
      "judge_error":
        `jury quorum not met: ${scored} of ${jurors.length} jurors scored, quorum ${quorum} (${
          failures.join("; ")
        })`,
      "receipt_ids": receiptIds,
    };
  }
  const rubric: Record<string, RubricScore> = {};
  for (const dimension of input.task.rubric.dimensions.map((d) => d.name)) {
    const seats: Record<string, JurorScore> = {};
    const scores: number[] = [];
    jurors.forEach((j, i) => {
      const verdict = verdicts[i]!;
      const own = verdict.rubric?.[dimension];
      if (own) {
        seats[j.id] = own;
        scores.push(own.score);
      } else {
        seats[j.id] = { error: verdict.judge_error ?? "no score" };
      }
    });
    const score = juryMedian(scores) as RubricScore["score"];
    const closest = jurors.map((j) => seats[j.id]!)
      .filter((s) => "score" in s)
      .sort((a, b) => Math.abs(a.score - score) - Math.abs(b.score - score))[0];
    rubric[dimension] = {
      score,
      reasoning: `jury median of ${scores.length}: ${
        jurors.map((j) => {
          const s = seats[j.id]!;
          return `${j.id} ${"score" in s ? s.score : "failed"}`;
        }).join(", ")
      }`,
      ...(closest?.evidence === undefined
        ? {}
        : { evidence: closest.evidence }),
      jurors: seats,
    };
  }
  return { rubric, "judge_error": null, "receipt_ids": receiptIds };
}

/**
 * Krippendorff's alpha with the interval metric: `1 - D_o / D_e`, where
 * over the units rated by at least 2 raters (n their values),
 * `D_o = (1/n) sum_u 1/(m_u - 1) sum_{i != j in u} (v_i - v_j)^2` and
 * `D_e = 1/(n (n - 1)) sum_{i != j} (v_i - v_j)^2` over all those values.
 * A unit rated by one rater only is left out. Worked by hand in
 * docs/calibration.md.
 *
 * @param units Each unit's values, one per rater that rated it.
 * @returns alpha (1 perfect agreement, 0 what chance gives); `NaN` with no pairable unit or no variation at all.
 *
 * @example Worked by hand in docs/calibration.md
 * ```ts
 * import { krippendorffAlpha } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const alpha = krippendorffAlpha([[1, 1], [2, 3], [3, 3]]);
 * assert.ok(Math.abs(alpha - 24 / 29) < 1e-12);
 * ```
 */
export function krippendorffAlpha(
  units: readonly (readonly number[])[],
): number {
  const pairable = units.filter((u) => u.length >= 2);
  const values = pairable.flat();
  const n = values.length;
  if (n < 2) return NaN;
  let observed = 0;
  for (const unit of pairable) {
    let sum = 0;
    for (let i = 0; i < unit.length; i++) {
      for (let j = 0; j < unit.length; j++) {
        sum += (unit[i]! - unit[j]!) ** 2;
      }
    }
    observed += sum / (unit.length - 1);
  }
  observed /= n;
  // sum over ordered pairs of (v_i - v_j)^2 = 2 n sum (v - mean)^2
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const squares = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  const expected = (2 * n * squares) / (n * (n - 1));
  if (expected === 0) return NaN;
  return 1 - observed / expected;
}
