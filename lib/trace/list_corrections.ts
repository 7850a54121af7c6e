import type { Store } from "../store/open.ts";
import { getRun } from "../store/runs.ts";
import { listTraceEventsOfType } from "../store/trace.ts";
import type { TraceEvent } from "../schema/trace_event.ts";

/** One recorded correction of a run's output, as its trace event has it. */
export interface CorrectionRecord {
  /** The corrected cell's result id. */
  readonly result_id: string;
  /** The cell's case. */
  readonly case_key: string;
  /** The cell's repetition. */
  readonly repetition: number;
  /** The generation receipt the corrected output came from. */
  readonly receipt_id: string;
  /** The artifact version holding the correction. */
  readonly artifact_id: string;
  /** Its version number (2 for a first correction). */
  readonly version: number;
  /** Who corrected it. */
  readonly editor: string;
  /** Why. */
  readonly reason: string;
  /** When. */
  readonly at: string;
  /** The unified patch from the version before. */
  readonly patch: string;
}

/**
 * The corrections a run's events hold (`artifact_edited` events bound to a
 * result id), in the order they were made. Reads events as a bundle
 * carries them too ({@linkcode correctionsOf}).
 *
 * @param store The database.
 * @param runId The run (id or unique prefix of 8+ characters).
 * @returns The corrections, oldest first.
 * @throws {NotFoundError} If the run does not exist.
 *
 * @example A run nobody corrected
 * ```ts
 * import { experiment, listCorrections, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await experiment(store, {
 *   task: "resume_matching", prompts: ["v3"], models: ["fake-fast"], cases: ["rm-001"],
 *   repetitions: 1, allowFewerRepetitions: true,
 * });
 * assert.deepEqual(await listCorrections(store, runs[0]!.run_id), []);
 * ```
 */
export async function listCorrections(
  store: Store,
  runId: string,
): Promise<CorrectionRecord[]> {
  const run = await getRun(store, runId);
  return correctionsOf(
    await listTraceEventsOfType(store, run.trace_id, "artifact_edited"),
  );
}

/**
 * The corrections among trace events (any order in, event order out).
 *
 * @param events Trace events, e.g. a run trace's from a bundle.
 * @returns The corrections, in event order.
 *
 * @example An edit bound to a result
 * ```ts
 * import { correctionsOf } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const [c] = correctionsOf([{
 *   trace_id: "t", index: 9, type: "artifact_edited", step: null, at: "2026-01-01T00:00:00.000Z",
 *   data: { result_id: "res_1", receipt_id: "io_1", case: "rm-001", repetition: 0, artifact_id: "art_2",
 *     version: 2, editor: "dana", reason: "wrong score", patch: "-a\n+b\n" },
 *   prev_hash: "0".repeat(64), hash: "1".repeat(64),
 * }]);
 * assert.equal(c?.editor, "dana");
 * ```
 */
export function correctionsOf(
  events: readonly TraceEvent[],
): CorrectionRecord[] {
  const text = (v: unknown) => typeof v === "string" ? v : "";
  return events
    .filter((e) =>
      e.type === "artifact_edited" && typeof e.data.result_id === "string"
    )
    .toSorted((a, b) =>
      a.trace_id < b.trace_id
        ? -1
        : a.trace_id > b.trace_id
        ? 1
        : a.index - b.index
    )
    .map((e) => ({
      result_id: text(e.data.result_id),
      case_key: text(e.data.case),
      repetition: typeof e.data.repetition === "number" ? e.data.repetition : 0,
      receipt_id: text(e.data.receipt_id),
      artifact_id: text(e.data.artifact_id),
      version: typeof e.data.version === "number" ? e.data.version : 0,
      editor: text(e.data.editor),
      reason: text(e.data.reason),
      at: e.at,
      patch: text(e.data.patch),
    }));
}
