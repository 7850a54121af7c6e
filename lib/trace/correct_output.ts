import { createTwoFilesPatch } from "diff";
import { ConflictError } from "../errors.ts";
import { getRun } from "../store/runs.ts";
import type { Store } from "../store/open.ts";
import { getResult } from "../store/scores.ts";
import { type Artifact, editArtifact, writeArtifact } from "./artifacts.ts";
import { latestArtifact } from "../store/artifacts.ts";
import { Tracer } from "./tracer.ts";

/** A person's correction of one cell's output. */
export interface CorrectOutputInput {
  /** The corrected output, in full. */
  body: string;
  /** Who made the correction (a person). */
  editor: string;
  /** Why: what was wrong with the model's output. */
  reason: string;
}

/** What {@linkcode correctOutput} recorded. */
export interface Correction {
  /** The corrected cell's result id. */
  readonly result_id: string;
  /** Its run. */
  readonly run_id: string;
  /** Its case and repetition. */
  readonly case_key: string;
  /** The repetition. */
  readonly repetition: number;
  /** The generation receipt the output came from. */
  readonly receipt_id: string;
  /** The artifact version holding the correction (key `result/<result id>`). */
  readonly artifact: Artifact;
  /** The unified patch from the version before. */
  readonly patch: string;
}

/**
 * Records a person's correction of an experiment output without touching
 * it: the cell's output becomes artifact `result/<result id>` (version 1,
 * by the run's model, bound to the result and its generation receipt) the
 * first time, and the correction a new version by the editor, with the
 * reason and the patch in an `artifact_edited` event of the run's trace
 * (also bound to the result, the receipt and the receipt's sha256). The
 * stored output, its checks and rubric scores, and the scorecard stay as
 * they were; a bundle of the run carries the correction, and a verifier
 * checks the receipt it names.
 *
 * @param store The database.
 * @param resultId The cell's result id.
 * @param input The corrected output, the editor and the reason.
 * @returns The correction (the latest one when the body equals it already).
 * @throws {NotFoundError} If the result does not exist.
 * @throws {ConflictError} If the cell has no output to correct, or its run is still running.
 * @throws {RangeError} If the editor or the reason is empty.
 *
 * @example Correct a cell's output
 * ```ts
 * import { correctOutput, experiment, listResults, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await experiment(store, {
 *   task: "resume_matching", prompts: ["v3"], models: ["fake-fast"], cases: ["rm-001"],
 *   repetitions: 1, allowFewerRepetitions: true,
 * });
 * const [cell] = await listResults(store, runs[0]!.run_id);
 * const fixed = await correctOutput(store, cell!.id, {
 *   body: '{"match_score": 40}', editor: "dana", reason: "the score ignored the missing Kubernetes",
 * });
 * assert.equal(fixed.artifact.version, 2);
 * const [again] = await listResults(store, runs[0]!.run_id);
 * assert.equal(again!.output, cell!.output);
 * ```
 */
export async function correctOutput(
  store: Store,
  resultId: string,
  input: CorrectOutputInput,
): Promise<Correction> {
  if (input.editor.trim() === "") {
    throw new RangeError(
      "Cannot record a correction without an editor: name the person",
    );
  }
  if (input.reason.trim() === "") {
    throw new RangeError(
      "Cannot record a correction without a reason: say what was wrong",
    );
  }
  const { result, receiptSha256 } = await getResult(store, resultId);
  if (result.output === null || result.generation_io_id === null) {
    throw new ConflictError(
      `Cannot correct result "${result.id}": its generation failed, so there is no output to correct`,
    );
  }
  const run = await getRun(store, result.run_id);
  if (run.status === "running") {
    throw new ConflictError(
      `Cannot correct result "${result.id}" while run "${run.id}" is running: wait for it to finish or interrupt it`,
    );
  }
  const key = `result/${result.id}`;
  const binds = {
    result_id: result.id,
    receipt_id: result.generation_io_id,
    ...(receiptSha256 === null ? {} : { receipt_sha256: receiptSha256 }),
    case: result.case_key,
    repetition: result.repetition,
  };
  const tracer = await Tracer.resume(store, run.trace_id);
  const before = await latestArtifact(store, key) ??
    await writeArtifact(tracer, {
      key,
      body: result.output,
      mediaType: "application/json",
      ...(tracer.workflow.steps.some((s) => s.id === "generate")
        ? { step: "generate" }
        : {}),
      createdBy: run.model_config_id,
      binds,
    });
  const artifact = await editArtifact(tracer, {
    key,
    body: input.body,
    editor: input.editor,
    reason: input.reason,
    binds,
  });
  return {
    result_id: result.id,
    run_id: run.id,
    case_key: result.case_key,
    repetition: result.repetition,
    receipt_id: result.generation_io_id,
    artifact,
    patch: artifact.id === before.id ? "" : createTwoFilesPatch(
      `${key}@v${before.version}`,
      `${key}@v${artifact.version}`,
      before.body,
      artifact.body,
    ),
  };
}
