import { experiment } from "../experiment/experiment.ts";
import { open, type Store } from "../store/open.ts";
import { latestScorecard } from "../store/scores.ts";
import { importBundle } from "./import_bundle.ts";
import { loadBundle } from "./_load.ts";
import { diffFigures, type FigureChange } from "./replay_bundle.ts";
import type { BundleSource } from "./verify_bundle.ts";

/** Options for {@linkcode rerunBundle}. */
export interface RerunBundleOptions {
  /**
   * The database to import the bundle into and run in (a model config
   * named by `model` must be stored there).
   * @default {a new in-memory database}
   */
  store?: Store;
  /** Run with this model config instead of each run's own. */
  model?: string;
  /** Stops new model calls when aborted. */
  signal?: AbortSignal;
}

/** One run of the bundle, executed again. */
export interface RerunRun {
  /** The run in the bundle. */
  readonly originalRunId: string;
  /** The new run. */
  readonly rerunRunId: string;
  /** The model config the new run used. */
  readonly model: string;
  /** The bundle's latest scorecard of the original run, if any. */
  readonly originalScorecardSha256: string | null;
  /** The new run's scorecard. */
  readonly rerunScorecardSha256: string | null;
  /** Scorecard figures that differ (the `run` block left out), empty when there is nothing to compare. */
  readonly figures: readonly FigureChange[];
}

/** What {@linkcode rerunBundle} did. */
export interface RerunResult {
  /** The bundle's payload sha256. */
  readonly sha256: string;
  /** One entry per run in the bundle. */
  readonly runs: readonly RerunRun[];
}

/**
 * Executes a bundle's runs again: imports the bundle (verified) into a
 * database, then runs each run's snapshot (the same task version, prompt
 * version, dataset version, repetitions and judge) with a model (the run's
 * own config, or `options.model`), with the response cache off so every
 * call is made again, and compares the new scorecards with the bundle's.
 * Unlike {@linkcode replayBundle}, this calls models: keys come from the
 * environment as for any experiment; the `fake` provider needs none.
 *
 * @param source The bundle's text, bytes or byte stream.
 * @param options Where to run, and which model.
 * @returns Per run: the new run id and the figures that moved.
 * @throws {ValidationError} If the bundle does not verify.
 * @throws {NotFoundError} If the override model config is not stored.
 *
 * @example A bundle without runs reruns nothing
 * ```ts
 * import { bundle, open, rerunBundle, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "w", steps: [{ id: "a" }] });
 * const { text } = await bundle(store, { trace: tracer.traceId });
 * assert.deepEqual((await rerunBundle(text!)).runs, []);
 * ```
 */
export async function rerunBundle(
  source: BundleSource,
  options: RerunBundleOptions = {},
): Promise<RerunResult> {
  const text = typeof source === "string" || source instanceof Uint8Array
    ? source
    : new Uint8Array(await new Response(source).arrayBuffer());
  const own = options.store === undefined ? await open(":memory:") : null;
  const store = options.store ?? own!;
  try {
    const imported = await importBundle(store, text);
    const { sections } = await loadBundle(text);
    const runs: RerunRun[] = [];
    for (const run of sections.runs) {
      const model = options.model ?? (run.model_config_id as string);
      // The same cases as the original (a run may cover a subset).
      const cases = [
        ...new Set(
          sections.results.filter((r) => r.run_id === run.id).map((r) =>
            r.case_key as string
          ),
        ),
      ].sort();
      const result = await experiment(store, {
        task: run.task as string,
        prompts: [run.prompt_version_id as string],
        models: [model],
        dataset: run.dataset_id as string,
        repetitions: run.repetitions as number,
        allowFewerRepetitions: true,
        cache: "off",
        ...(cases.length > 0 ? { cases } : {}),
        ...(run.judge_config_id
          ? { judge: run.judge_config_id as string }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const rerun = result.runs[0]!;
      const original = sections.scorecards.filter((s) => s.run_id === run.id)
        .sort((a, b) =>
          String(b.created_at).localeCompare(String(a.created_at))
        )[
          0
        ];
      const fresh = await latestScorecard(store, rerun.run_id);
      const strip = (body: unknown) => {
        const { run: _run, ...rest } = body as Record<string, unknown>;
        return rest;
      };
      runs.push({
        originalRunId: run.id as string,
        rerunRunId: rerun.run_id,
        model,
        originalScorecardSha256: original ? original.sha256 as string : null,
        rerunScorecardSha256: fresh?.sha256 ?? null,
        figures: original && fresh
          ? diffFigures(strip(original.body), strip(fresh.scorecard))
          : [],
      });
    }
    return { sha256: imported.sha256, runs };
  } finally {
    await own?.close();
  }
}
