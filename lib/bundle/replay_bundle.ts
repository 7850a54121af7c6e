import { canonicalize } from "../content/canonicalize.ts";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { CellResult, CellStatus } from "../schema/result.ts";
import * as z from "zod";
import { type Task, TaskFileSchema } from "../schema/task.ts";
import { computeScorecard } from "../scoring/compute_scorecard.ts";
import { scoreCell } from "../scoring/score_cell.ts";
import { PIPELINE_RUN_FLAG } from "../scoring/step_figures.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { BundleRecord } from "../store/bundle.ts";
import { withAttemptFailures } from "../store/scores.ts";
import { loadBundle } from "./_load.ts";
import { type BundleSource, describe } from "./verify_bundle.ts";

/** One figure that differs between a bundle's scorecard and the replayed one. */
export interface FigureChange {
  /** Where in the scorecard, e.g. `checks.exact_match.pass_rate`. */
  readonly path: string;
  /** The value in the bundle's scorecard. */
  readonly stored: unknown;
  /** The value after replay. */
  readonly replayed: unknown;
}

/** What replaying one run found. */
export interface ReplayedRun {
  /** The run. */
  readonly runId: string;
  /** Cells re-checked. */
  readonly cells: number;
  /** Cells whose check results differ from the bundle's. */
  readonly changedCells: number;
  /** The sha256 of the bundle's latest scorecard for the run (null when it has none). */
  readonly storedSha256: string | null;
  /** The sha256 of the replayed scorecard. */
  readonly replayedSha256: string;
  /** Figures that differ (empty when the scorecards are equal, or when there is none to compare). */
  readonly figures: readonly FigureChange[];
  /** True when some of the run's cases are redacted in the bundle (input-reading checks then differ). */
  readonly redacted: boolean;
}

/** What {@linkcode replayBundle} found. */
export interface ReplayResult {
  /** The bundle's payload sha256. */
  readonly sha256: string;
  /** One entry per run in the bundle. */
  readonly runs: readonly ReplayedRun[];
  /** True when every replayed scorecard equals the bundle's. */
  readonly identical: boolean;
}

/** Options for {@linkcode replayBundle}. */
export interface ReplayBundleOptions {
  /** Replay a bundle that does not verify (its figures prove nothing). @default {false} */
  force?: boolean;
}

/**
 * Re-scores a bundle's runs with the current checks, calling no model: each
 * cell's output is read from its generation receipt, the task's checks (as
 * the bundle recorded the task) run again, the scorecard is recomputed with
 * the bootstrap settings of the bundle's scorecard, and the figures are
 * compared with the bundle's. Rubric scores are kept as judged.
 *
 * @param source The bundle's text, bytes or byte stream.
 * @param options Whether to replay a bundle that does not verify.
 * @returns Per run: cells changed, both scorecard hashes, differing figures.
 * @throws {ValidationError} If the bundle does not verify (unless `force`), or a run's task or cases are missing.
 *
 * @example A bundle without runs replays to nothing
 * ```ts
 * import { bundle, open, replayBundle, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "w", steps: [{ id: "a" }] });
 * const { text } = await bundle(store, { trace: tracer.traceId });
 * const replay = await replayBundle(text!);
 * assert.deepEqual(replay.runs, []);
 * assert.equal(replay.identical, true);
 * ```
 */
export async function replayBundle(
  source: BundleSource,
  options: ReplayBundleOptions = {},
): Promise<ReplayResult> {
  const loaded = await loadBundle(source);
  const { verification, sections } = loaded;
  if (!verification.ok && !options.force) {
    throw new ValidationError(
      verification.problems.map((p) => ({ message: describe(p) })),
    );
  }
  const receipts = new Map(
    sections.receipts.map((r) => [r.id as string, r as unknown as Receipt]),
  );
  const runs: ReplayedRun[] = [];
  for (const run of sections.runs) {
    const runId = run.id as string;
    const taskRow = sections.tasks.find((t) => t.id === run.task_id);
    if (!taskRow) {
      throw new ValidationError([{
        field: `runs.${runId}`,
        message:
          `the bundle has no task '${run.task_id}' to replay run '${runId}' with`,
      }]);
    }
    const definition = TaskFileSchema.safeParse(taskRow.definition);
    if (!definition.success) {
      throw new ValidationError([{
        field: `tasks.${taskRow.id}`,
        message:
          `the bundle's task '${taskRow.name}' is not a valid task definition: ${
            z.prettifyError(definition.error)
          }`,
      }]);
    }
    const task: Task = {
      ...definition.data,
      name: taskRow.name as string,
      id: taskRow.id as string,
    };
    const cases = new Map<string, { testCase: Case; redacted: boolean }>();
    for (const row of sections.test_cases) {
      if (row.dataset_id !== run.dataset_id) continue;
      cases.set(row.case_key as string, {
        testCase: {
          id: row.case_key as string,
          slice: row.slice as Case["slice"],
          input: row.input as Case["input"],
          expected: row.expected as Case["expected"],
          ...(row.note === null ? {} : { note: row.note as string }),
        },
        redacted: canonicalize(row.input).includes('{"redacted":"sha256:') ||
          canonicalize(row.expected).includes('{"redacted":"sha256:'),
      });
    }
    const results = sections.results.filter((r) => r.run_id === runId)
      .map((r) => r as unknown as CellResult);
    const flags = run.flags as unknown;
    const pipeline = Array.isArray(flags) && flags.includes(PIPELINE_RUN_FLAG);
    let changedCells = 0;
    let redacted = false;
    const replayed = results.map((result) => {
      const found = cases.get(result.case_key);
      if (!found) {
        throw new ValidationError([{
          field: `results.${result.id}`,
          message:
            `the bundle has no case '${result.case_key}' of dataset '${run.dataset_id}'`,
        }]);
      }
      if (found.redacted) redacted = true;
      // A pipeline's output is what its function returned, not one call's text.
      const generation = result.generation_io_id === null || pipeline
        ? undefined
        : receipts.get(result.generation_io_id);
      const output = generation ? generation.text : result.output;
      const generated = generation
        ? generation.status === "ok"
        : result.status !== "provider_error";
      const checks = scoreCell(
        task,
        found.testCase,
        output,
        generated ? "ok" : "provider_error",
      );
      let status: CellStatus = generated ? "ok" : "provider_error";
      if (
        status === "ok" && checks.json_schema_valid &&
        !checks.json_schema_valid.pass
      ) status = "invalid_output";
      if (
        canonicalize(checks) !== canonicalize(result.checks) ||
        status !== result.status
      ) changedCells++;
      return { ...result, checks, status };
    });
    const stored = latest(
      sections.scorecards.filter((s) => s.run_id === runId),
    );
    const storedCard = stored?.body as
      | { bootstrap?: { seed: number; resamples: number; confidence: number } }
      | undefined;
    const runReceipts = withAttemptFailures(
      sections.receipts.filter((r) => r.run_id === runId)
        .map((r) => r as unknown as Receipt),
      sections.trace_events.filter((e) => e.trace_id === run.trace_id)
        .map((e) => e.data as Record<string, unknown>),
    );
    const card = computeScorecard(
      {
        task,
        results: replayed,
        receipts: runReceipts,
        run: run as unknown as Parameters<typeof computeScorecard>[0]["run"],
        ...(pipeline
          ? {
            stepEvents: sections.trace_events.filter((e) =>
              e.trace_id === run.trace_id
            ) as unknown as TraceEvent[],
          }
          : {}),
      },
      storedCard?.bootstrap ?? {},
    );
    runs.push({
      runId,
      cells: results.length,
      changedCells,
      storedSha256: stored ? stored.sha256 as string : null,
      replayedSha256: contentHash(card),
      figures: stored ? diffFigures(stored.body, card) : [],
      redacted,
    });
  }
  return {
    sha256: verification.sha256 ?? "",
    runs,
    identical: runs.every((r) =>
      r.storedSha256 === null || r.storedSha256 === r.replayedSha256
    ),
  };
}

function latest(records: BundleRecord[]): BundleRecord | undefined {
  return [...records].sort((a, b) =>
    String(b.created_at).localeCompare(String(a.created_at))
  )[0];
}

/** Leaf-by-leaf differences between two JSON values, by dotted path. */
export function diffFigures(
  stored: unknown,
  replayed: unknown,
): FigureChange[] {
  const out: FigureChange[] = [];
  const walk = (path: string, a: unknown, b: unknown) => {
    const isObj = (v: unknown) => typeof v === "object" && v !== null;
    if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([
        ...Object.keys(a as object),
        ...Object.keys(b as object),
      ]);
      for (const key of [...keys].sort()) {
        walk(
          path ? `${path}.${key}` : key,
          (a as Record<string, unknown>)[key],
          (b as Record<string, unknown>)[key],
        );
      }
      return;
    }
    if (canonicalize(a ?? null) !== canonicalize(b ?? null)) {
      out.push({ path, stored: a ?? null, replayed: b ?? null });
    }
  };
  walk("", stored, replayed);
  return out;
}
