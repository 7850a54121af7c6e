/**
 * Queries for judge calibration: human labels, and the judged cells they
 * are matched against.
 *
 * @module
 */
import * as z from "zod";
import { canonicalize } from "../content/canonicalize.ts";
import { ValidationError } from "../errors.ts";
import type { Label } from "../schema/label.ts";
import type { RubricScore } from "../schema/result.ts";
import type { Store } from "./open.ts";

/**
 * Stores labels; a label whose id is already stored is skipped (ids are
 * content hashes, so importing the same file twice stores nothing new).
 *
 * @param store The open store.
 * @param labels The labels.
 * @returns How many were new.
 */
export async function insertLabels(
  store: Store,
  labels: readonly Label[],
): Promise<number> {
  if (labels.length === 0) return 0;
  let inserted = 0;
  await store.db.transaction().execute(async (trx) => {
    for (const label of labels) {
      const result = await trx.insertInto("labels").values({
        id: label.id,
        task: label.task,
        "case_key": label.case_id,
        repetition: label.repetition ?? null,
        "output_sha256": label.output_sha256,
        labeller: label.labeller,
        scores: canonicalize(label.scores),
        note: label.note ?? null,
        "created_at": label.created_at,
      }).onConflict((oc) => oc.column("id").doNothing()).executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
  });
  return inserted;
}

const ScoresColumn = z.record(z.string(), z.int().min(1).max(5));

/**
 * A task's labels, oldest first.
 *
 * @param store The open store.
 * @param task The task name.
 * @returns The labels.
 * @throws {ValidationError} If a stored row holds unreadable scores.
 */
export async function listLabels(
  store: Store,
  task: string,
): Promise<Label[]> {
  const rows = await store.db.selectFrom("labels").selectAll()
    .where("task", "=", task).orderBy("created_at").orderBy("id").execute();
  return rows.map((row) => {
    const scores = ScoresColumn.safeParse(JSON.parse(row.scores));
    if (!scores.success) {
      throw new ValidationError([{
        field: "labels.scores",
        message: `label '${row.id}' holds invalid scores: ${
          z.prettifyError(scores.error)
        }`,
      }]);
    }
    return {
      id: row.id,
      task: row.task,
      "case_id": row.case_key,
      ...(row.repetition === null ? {} : { repetition: row.repetition }),
      "output_sha256": row.output_sha256,
      labeller: row.labeller,
      scores: scores.data,
      ...(row.note === null ? {} : { note: row.note }),
      "created_at": row.created_at,
    };
  });
}

/** A cell of a judged run, as calibration reads it. */
export interface JudgedCell {
  /** The run. */
  readonly "run_id": string;
  /** When the run was created. */
  readonly "run_created_at": string;
  /** The judge config that judged the run. */
  readonly "judge_config_id": string;
  /** The result id. */
  readonly "result_id": string;
  /** The case id. */
  readonly "case_key": string;
  /** The repetition. */
  readonly repetition: number;
  /** The output text (`null` when the generation failed). */
  readonly output: string | null;
  /** The judge's scores; `null` when not judged. */
  readonly rubric: Readonly<Record<string, RubricScore>> | null;
}

const RubricColumn = z.record(
  z.string(),
  z.object({
    score: z.int().min(1).max(5),
    reasoning: z.string(),
    evidence: z.string().optional(),
  }),
).nullable();

/**
 * The cells of a task's runs judged by any of the given judge configs, for
 * the given cases, newest run first.
 *
 * @param store The open store.
 * @param options The task, the judge config ids and the case ids.
 * @returns The cells.
 * @throws {ValidationError} If a stored rubric is unreadable.
 */
export async function listJudgedCells(
  store: Store,
  options: {
    task: string;
    judges: readonly string[];
    caseKeys: readonly string[];
  },
): Promise<JudgedCell[]> {
  if (options.caseKeys.length === 0 || options.judges.length === 0) return [];
  const rows = await store.db.selectFrom("results")
    .innerJoin("runs", "runs.id", "results.run_id")
    .select([
      "results.id as result_id",
      "results.run_id",
      "runs.created_at as run_created_at",
      "runs.judge_config_id",
      "results.case_key",
      "results.repetition",
      "results.output",
      "results.rubric",
    ])
    .where("runs.task", "=", options.task)
    .where("runs.judge_config_id", "in", [...options.judges])
    .where("results.case_key", "in", [...new Set(options.caseKeys)])
    .orderBy("runs.created_at", "desc").orderBy("runs.id", "desc")
    .orderBy("results.case_key").orderBy("results.repetition")
    .execute();
  return rows.map((row) => {
    const rubric = RubricColumn.safeParse(
      row.rubric === null ? null : JSON.parse(row.rubric),
    );
    if (!rubric.success) {
      throw new ValidationError([{
        field: "results.rubric",
        message: `result '${row.result_id}' holds an invalid rubric`,
      }]);
    }
    return {
      "run_id": row.run_id,
      "run_created_at": row.run_created_at,
      "judge_config_id": row.judge_config_id!,
      "result_id": row.result_id,
      "case_key": row.case_key,
      repetition: row.repetition,
      output: row.output,
      rubric: rubric.data as JudgedCell["rubric"],
    };
  });
}

/**
 * One cell's output, for labelling it.
 *
 * @param store The open store.
 * @param runId The run id.
 * @param caseKey The case id.
 * @param repetition The repetition.
 * @returns The cell's output (`null` when the generation failed), or `undefined` when the run has no such cell.
 */
export async function getCellOutput(
  store: Store,
  runId: string,
  caseKey: string,
  repetition: number,
): Promise<{ output: string | null } | undefined> {
  return await store.db.selectFrom("results").select("output")
    .where("run_id", "=", runId).where("case_key", "=", caseKey)
    .where("repetition", "=", repetition).executeTakeFirst();
}
