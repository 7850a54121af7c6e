import { newId, nowIso } from "../content/ids.ts";
import { contentHash } from "../content/sha256.ts";
import { type Issue, ValidationError } from "../errors.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import { runCalibration } from "../scoring/score_run.ts";
import { getTask } from "../store/catalog.ts";
import { insertComparison } from "../store/comparisons.ts";
import type { Store } from "../store/open.ts";
import { getRun, type RunRecord } from "../store/runs.ts";
import {
  countResults,
  listReceiptFigures,
  listResults,
  localPath,
  saveScorecard,
} from "../store/scores.ts";
import { Tracer } from "../trace/tracer.ts";
import { moneyPerCell, type RunFigures } from "./_figures.ts";
import { judgeDeltas } from "./_judge.ts";
import { judgeWarnings } from "./_judge_warnings.ts";
import { measureDeltas } from "./_measure.ts";
import {
  scoreSideRows,
  type SideJob,
  type SideScores,
  startSideThread,
} from "./_side.ts";
import { resolveLimits } from "./limits.ts";
import {
  COMPARE_MODES,
  type ComparedRun,
  type CompareLimits,
  type CompareMode,
  type Comparison,
  type ComparisonBody,
  type DeltaCheck,
} from "./verdict.ts";

/**
 * The mode a verdict uses unless told otherwise: `confident`. Chosen from
 * the simulation in docs/verdict.md: it rejects an unchanged candidate
 * rarely even at 3 repetitions (0.5% in the simulation), and a real
 * regression is rarely approved (it is rejected or, when the interval
 * straddles the limit, sent back as inconclusive with the repetitions
 * likely to settle it; 2.5-4% of -0.10 slice regressions got through at
 * 3-5 repetitions).
 *
 * @example The default is one of the modes
 * ```ts
 * import { COMPARE_MODES, DEFAULT_COMPARE_MODE } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_COMPARE_MODE, "confident");
 * assert.ok(COMPARE_MODES.includes(DEFAULT_COMPARE_MODE));
 * ```
 */
export const DEFAULT_COMPARE_MODE: CompareMode = "confident";

/** Options for {@linkcode compare}. */
export interface CompareOptions {
  /** The baseline run id (or a unique prefix of at least 8 characters). */
  baseline: string;
  /** The candidate run id (or a unique prefix of at least 8 characters). */
  candidate: string;
  /** Limits for this call; they win over the task's `limits`, which win over the defaults. */
  limits?: CompareLimits | undefined;
  /** How noise is read. @default {"confident"} */
  mode?: CompareMode | undefined;
  /** The bootstrap seed: the same runs and seed give the same verdict. @default {1} */
  seed?: number | undefined;
  /** Bootstrap resamples. @default {1000} */
  resamples?: number | undefined;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/** What {@linkcode compare} returns: the stored comparison. */
export type CompareResult = Comparison;

const CONFIDENCE = 0.95;

function sameRuns(baseline: RunRecord, candidate: RunRecord): Issue[] {
  const issues: Issue[] = [];
  if (baseline.id === candidate.id) {
    issues.push({
      field: "candidate",
      message:
        `the baseline and the candidate are the same run '${baseline.id}'; compare the candidate prompt version's run with the baseline's (wb runs lists them)`,
    });
  }
  const differs = (field: keyof RunRecord, what: string, fix: string) => {
    if (baseline[field] !== candidate[field]) {
      issues.push({
        field,
        message: `${what} differs: baseline run '${baseline.id}' has '${
          String(baseline[field])
        }', candidate run '${candidate.id}' has '${
          String(candidate[field])
        }'; ${fix}`,
      });
    }
  };
  differs("task", "the task", "compare two runs of the same task");
  differs(
    "dataset_id",
    "the dataset version",
    "run both on the same dataset version",
  );
  if (!issues.length) {
    differs(
      "task_id",
      "the task definition (checks, rubric or limits)",
      "run both after the same `wb load`",
    );
  }
  differs(
    "judge_config_id",
    "the judge",
    "judge both runs with the same judge config",
  );
  for (const run of [baseline, candidate]) {
    if (run.status !== "completed") {
      issues.push({
        field: "status",
        message:
          `run '${run.id}' is ${run.status}, not completed; finish it with \`wb experiment --resume ${run.id}\``,
      });
    }
  }
  return issues;
}

function side(
  run: RunRecord,
  scorecard: Scorecard,
  sha256: string,
): ComparedRun {
  const cells = scorecard.cells;
  const missing = scorecard.cost.missing_cost > 0;
  return {
    run_id: run.id,
    prompt_version_id: run.prompt_version_id,
    model_config_id: run.model_config_id,
    repetitions: run.repetitions,
    cells,
    scorecard_sha256: sha256,
    aggregate: scorecard.aggregate?.estimate ?? null,
    cost_per_cell: cells === 0 || missing
      ? null
      : moneyPerCell(scorecard.cost.uncached_generation, cells),
    currency: scorecard.cost.currency,
    latency_p95_ms: scorecard.latency_ms.generation?.p95 ?? null,
  };
}

/**
 * Cells in the candidate run from which its side is read and scored on a
 * worker thread while this thread does the baseline (local database files
 * only): below it, starting the thread costs more than it saves.
 */
export const SIDE_THREAD_MIN_CELLS = 2000;

/** Scores both sides, the candidate on a worker thread when it pays. */
async function scoreSides(
  store: Store,
  base: SideJob,
  cand: SideJob,
  threadMinCells: number,
): Promise<[SideScores, SideScores]> {
  const here = async (job: SideJob) =>
    scoreSideRows(
      job,
      await listResults(store, job.run.id),
      await listReceiptFigures(store, job.run.id),
    );
  const path = localPath(store);
  const thread = path !== null &&
      await countResults(store, cand.run.id) >= threadMinCells
    ? startSideThread({ ...cand, path })
    : null;
  try {
    const baseScores = await here(base);
    // A failed thread is retried here, which throws the typed error.
    const candScores = thread
      ? await thread.scores.catch(() => here(cand))
      : await here(cand);
    return [baseScores, candScores];
  } finally {
    thread?.close();
  }
}

/** Stores a side's scorecard (as `scoreRun` does) and returns its side of the comparison with the figures the verdict reads. */
async function storeSide(
  store: Store,
  run: RunRecord,
  scores: SideScores,
): Promise<{ side: ComparedRun; figures: RunFigures; scorecard: Scorecard }> {
  const sha256 = await saveScorecard(store, run.id, scores.scorecard);
  const compared = side(run, scores.scorecard, sha256);
  return {
    side: compared,
    figures: {
      run_id: run.id,
      repetitions: run.repetitions,
      cells: scores.cells,
      cost_per_cell: compared.cost_per_cell,
      latency_p95_ms: compared.latency_p95_ms,
    },
    scorecard: scores.scorecard,
  };
}

/** The judge both runs used, its calibration, and warnings on weakly agreeing dimensions. */
function judgeBlock(
  run: RunRecord,
  scorecard: Scorecard,
  checks: readonly DeltaCheck[],
): Pick<ComparisonBody, "judge" | "judge_warnings"> {
  if (run.judge_config_id === null) return {};
  const calibration = scorecard.judge.calibration;
  const warnings = judgeWarnings(checks, calibration);
  return {
    judge: {
      config_id: run.judge_config_id,
      ...(calibration ? { calibration } : {}),
    },
    ...(warnings.length ? { judge_warnings: warnings } : {}),
  };
}

/**
 * Compares a candidate run against a baseline run of the same task and
 * dataset version, and stores the verdict.
 *
 * The verdict is a conjunction: every rubric dimension, every slice and the
 * cost per cell must stay within its limit (and latency p95, failure rate
 * and injection success rate when limits are set for them). Any one
 * failing rejects the candidate, whatever the aggregate did. Every delta
 * carries a 95% paired bootstrap interval (cases paired across the runs,
 * repetitions nested), which the mode reads: `point` uses means only,
 * `strict` rejects a possible breach, `confident` (the default) rejects
 * only a certain breach and calls a possible one `INCONCLUSIVE`, saying how
 * many repetitions would likely settle it. Both runs are scored afresh
 * (`scoreRun`), and the verdict is stored with the limits, the mode and the
 * two scorecards' hashes, and recorded as a `comparison_made` trace event.
 * The body names the judge and, when human labels exist, carries its
 * calibration figures and a warning for every dimension the verdict
 * rejects on (or calls inconclusive) whose Spearman's rho with people is
 * below 0.5 (see docs/calibration.md).
 *
 * @param store The database.
 * @param options The two runs, limits, mode and bootstrap seed.
 * @returns The stored comparison.
 * @throws {NotFoundError} If a run or its task version is not stored.
 * @throws {ValidationError} If the runs differ in task, dataset version, task definition or judge, a run is not completed, or a limit or mode is invalid.
 *
 * @example Compare two prompt versions on the fake provider
 * ```ts
 * import { compare, experiment, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await experiment(store, {
 *   task: "support_triage",
 *   prompts: ["v4", "v5"],
 *   models: ["fake-fast"],
 * });
 * const result = await compare(store, {
 *   baseline: runs[0]!.run_id,
 *   candidate: runs[1]!.run_id,
 * });
 * assert.equal(result.paired_cases, 30);
 * assert.equal(result.verdict === "REJECTED", result.reasons.length > 0);
 * ```
 */
export async function compare(
  store: Store,
  options: CompareOptions,
): Promise<CompareResult> {
  return await compareRuns(store, options);
}

/**
 * {@linkcode compare}, with the candidate's cell count from which it is
 * scored on a worker thread (for tests). Internal: not exported from mod.ts.
 */
export async function compareRuns(
  store: Store,
  options: CompareOptions & { readonly threadMinCells?: number },
): Promise<CompareResult> {
  const mode = options.mode ?? DEFAULT_COMPARE_MODE;
  if (!COMPARE_MODES.includes(mode)) {
    throw new ValidationError([{
      field: "mode",
      message: `unknown mode '${mode}': use ${COMPARE_MODES.join(", ")}`,
    }]);
  }
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 1000;
  const baselineRun = await getRun(store, options.baseline);
  const candidateRun = await getRun(store, options.candidate);
  const issues = sameRuns(baselineRun, candidateRun);
  if (issues.length) throw new ValidationError(issues);
  const task = await getTask(store, baselineRun.task, {
    id: baselineRun.task_id,
  });
  const limits = resolveLimits(task.limits, options.limits);

  const scoring = { seed, resamples, confidence: CONFIDENCE };
  // Each run is read once, for its scorecard and for the verdict's figures,
  // and both at once when the runs are large.
  const [baseScores, candScores] = await scoreSides(store, {
    run: baselineRun,
    task,
    calibration: await runCalibration(store, baselineRun),
    scoring,
  }, {
    run: candidateRun,
    task,
    calibration: await runCalibration(store, candidateRun),
    scoring,
  }, options.threadMinCells ?? SIDE_THREAD_MIN_CELLS);
  const base = await storeSide(store, baselineRun, baseScores);
  const cand = await storeSide(store, candidateRun, candScores);
  const baseline = base.side;
  const candidate = cand.side;
  const measurement = measureDeltas({
    baseline: base.figures,
    candidate: cand.figures,
    dimensions: task.rubric.dimensions.map((d) => d.name),
    reuse: {
      baseline: baseScores.distributions,
      candidate: candScores.distributions,
    },
  }, scoring);
  if (measurement.paired_cases === 0) {
    throw new ValidationError([{
      field: "cases",
      message:
        `runs '${baselineRun.id}' and '${candidateRun.id}' share no case with a result: nothing to compare`,
    }]);
  }
  const judgement = judgeDeltas(
    measurement.measured,
    limits,
    mode,
    Math.min(baselineRun.repetitions, candidateRun.repetitions),
  );
  const body: ComparisonBody = {
    schema_version: 1,
    task: baselineRun.task,
    task_id: baselineRun.task_id,
    dataset_id: baselineRun.dataset_id,
    baseline,
    candidate,
    mode,
    limits,
    bootstrap: { resamples, seed, confidence: CONFIDENCE },
    paired_cases: measurement.paired_cases,
    ...judgement,
    ...judgeBlock(baselineRun, cand.scorecard, judgement.checks),
    aggregate: {
      delta: measurement.aggregate.delta,
      interval: measurement.aggregate.interval,
    },
  };
  const sha256 = contentHash(body);
  const id = newId("cmp");
  const now = options.now ?? nowIso;
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "compare",
    steps: [{
      id: "compare",
      description: "a verdict on a candidate run against a baseline run",
      uses: { baseline: baselineRun.id, candidate: candidateRun.id },
    }],
    meta: { comparison_id: id, task: baselineRun.task },
  }, { now });
  const createdAt = now();
  const event = tracer.next("comparison_made", {
    step: "compare",
    data: {
      comparison_id: id,
      sha256,
      verdict: body.verdict,
      mode,
      limits,
      baseline_run_id: baselineRun.id,
      candidate_run_id: candidateRun.id,
      baseline_scorecard_sha256: baseline.scorecard_sha256,
      candidate_scorecard_sha256: candidate.scorecard_sha256,
      reasons: body.reasons,
    },
  });
  await insertComparison(store, {
    id,
    task: body.task,
    baseline_run_id: baselineRun.id,
    candidate_run_id: candidateRun.id,
    mode,
    limits,
    verdict: body.verdict,
    body,
    baseline_scorecard_sha256: baseline.scorecard_sha256,
    candidate_scorecard_sha256: candidate.scorecard_sha256,
    sha256,
    trace_id: tracer.traceId,
    created_at: createdAt,
  }, [event]);
  return {
    ...body,
    id,
    sha256,
    trace_id: tracer.traceId,
    created_at: createdAt,
  };
}
