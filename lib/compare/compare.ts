import { Decimal } from "decimal.js";
import { newId, nowIso } from "../content/ids.ts";
import { contentHash } from "../content/sha256.ts";
import { type Issue, ValidationError } from "../errors.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import { pipelineStepEvents, runCalibration } from "../scoring/score_run.ts";
import { getTask } from "../store/catalog.ts";
import { insertComparison } from "../store/comparisons.ts";
import type { Store } from "../store/open.ts";
import { getRun, type RunRecord } from "../store/runs.ts";
import { extendRun } from "../experiment/extend_run.ts";
import type { RunnerOptions } from "../experiment/options.ts";
import {
  countResults,
  listReceiptFigures,
  listResults,
  localPath,
  saveScorecard,
} from "../store/scores.ts";
import { Tracer } from "../trace/tracer.ts";
import { ALPHA, openLimits, verdictAtLook } from "./_decide.ts";
import { decisionInterval } from "./_judge.ts";
import type { RunFigures } from "./_figures.ts";
import { moneyPerCell } from "../scoring/money_per_cell.ts";
import { judgeWarnings } from "./_judge_warnings.ts";
import type { LookCounts } from "./_looks.ts";
import { measureDeltas, type Measurement } from "./_measure.ts";
import { lookCritical, MAX_LOOKS } from "./_sequential.ts";
import { planSettle } from "./_settle_plan.ts";
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
  type SettleLook,
  type SettleRecord,
} from "./verdict.ts";

/**
 * The mode a verdict uses unless told otherwise: `confident`. It rejects
 * only a limit decided breached and answers INCONCLUSIVE for one left
 * undecided (or settles it, see {@linkcode CompareOptions.settle}); the
 * simulation in docs/verdict.md measures how often each answer comes out.
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

/**
 * What settling may spend on added repetitions, both runs together:
 * adapter calls, or money in the runs' currency (a decimal string).
 */
export type SettleBudget = { readonly calls: number } | {
  readonly usd: string;
};

/**
 * The default settling budget, as a multiple of the calls the two runs
 * made: settling may spend one and a half times the runs again.
 *
 * @example A budget for two runs of 180 calls each
 * ```ts
 * import { DEFAULT_SETTLE_SHARE } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_SETTLE_SHARE * (180 + 180), 540);
 * ```
 */
export const DEFAULT_SETTLE_SHARE = 1.5;

/** How the verdict settles undecided limits. */
export interface SettleOptions {
  /** What settling may spend. @default {{ calls: DEFAULT_SETTLE_SHARE x the two runs' calls }} */
  readonly budget?: SettleBudget | undefined;
  /** Options for the runner that adds the repetitions (adapters, concurrency, retries...). */
  readonly runner?: SettleRunnerOptions | undefined;
}

/** Options passed to the runner when it adds repetitions (see {@linkcode extendRun}). */
export type SettleRunnerOptions = RunnerOptions;

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
  /**
   * Settle undecided limits: repeat the cases that decide them, in both
   * runs, over at most 5 looks, until every limit is decided or the budget
   * is spent (`true` for the default budget). The added repetitions belong
   * to the runs; the verdict records each look. Not in `point` mode.
   * @default {false}
   */
  settle?: boolean | SettleOptions | undefined;
  /** Compare runs judged by different judges (or juries); the verdict records both. @default {false} */
  allowJudgeChange?: boolean | undefined;
  /** The bootstrap seed of the case-resampled intervals: the same runs and seed give the same verdict. @default {1} */
  seed?: number | undefined;
  /** Bootstrap resamples. @default {1000} */
  resamples?: number | undefined;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/** What {@linkcode compare} returns: the stored comparison. */
export type CompareResult = Comparison;

/** Coverage of the case-resampled intervals. */
const CONFIDENCE = 0.95;

function sameRuns(
  baseline: RunRecord,
  candidate: RunRecord,
  allowJudgeChange: boolean,
): Issue[] {
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
  if (!allowJudgeChange) {
    differs(
      "judge_config_id",
      "the judge",
      "judge both runs with the same judge config or jury, or allow the change (allowJudgeChange, wb compare --allow-judge-change), which the verdict records",
    );
  }
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

/** The figures the verdict reads from a scored side. */
function figuresOf(run: RunRecord, scores: SideScores): RunFigures {
  const card = scores.scorecard;
  return {
    run_id: run.id,
    repetitions: run.repetitions,
    cells: scores.cells,
    latency_p95_ms: card.latency_ms.generation?.p95 ?? null,
    judged: run.judge_config_id !== null,
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

/** The judge both runs used, its calibration, and warnings on weakly agreeing dimensions. */
function judgeBlock(
  baseline: RunRecord,
  candidate: RunRecord,
  scorecard: Scorecard,
  checks: readonly DeltaCheck[],
): Pick<ComparisonBody, "judge" | "judge_warnings" | "judge_change"> {
  const change = baseline.judge_config_id !== candidate.judge_config_id
    ? {
      judge_change: {
        baseline: baseline.judge_config_id,
        candidate: candidate.judge_config_id,
      },
    }
    : {};
  if (candidate.judge_config_id === null) return change;
  const calibration = scorecard.judge.calibration;
  const warnings = judgeWarnings(checks, calibration);
  return {
    ...change,
    judge: {
      config_id: candidate.judge_config_id,
      ...(calibration ? { calibration } : {}),
    },
    ...(warnings.length ? { judge_warnings: warnings } : {}),
  };
}

/**
 * Brings named cases of a completed run to the given repetitions and
 * reports the adapter calls and the money it took (the runner's
 * {@linkcode extendRun}). Internal: tests may count calls through it.
 */
export type RunExtender = (
  store: Store,
  runId: string,
  cells: readonly { readonly case_key: string; readonly repetitions: number }[],
  runner: SettleRunnerOptions,
) => Promise<{ readonly calls: number; readonly cost: string }>;

/** The runner's extendRun, as settling calls it. */
const runnerExtender: RunExtender = async (store, runId, cells, runner) => {
  const summary = await extendRun(store, runId, { ...runner, cells });
  return { calls: summary.adapter_calls, cost: summary.cost };
};

/** Budget units per added cell of a run: its calls, or its money, per cell so far. */
function perCell(scores: SideScores, budget: SettleBudget): number {
  const cells = Math.max(1, scores.scorecard.cells);
  if ("calls" in budget) return scores.receipts / cells;
  return new Decimal(scores.scorecard.cost.uncached_total).div(cells)
    .toNumber();
}

/**
 * Compares a candidate run against a baseline run of the same task and
 * dataset version, and stores the verdict.
 *
 * The verdict is a conjunction: every rubric dimension, every slice and the
 * cost per cell must stay within its limit (and latency p95, failure rate
 * and injection success rate when limits are set for them). Any one
 * breached rejects the candidate, whatever the aggregate did. Each limit
 * is two one-sided tests at 5% on the delta's interval over repetitions,
 * conditional on the suite's cases (what a re-run would change): breached
 * when the whole interval is past the limit, within when it is clear of it,
 * undecided otherwise. `point` reads means only, `strict` rejects an
 * undecided limit, `confident` (the default) answers `INCONCLUSIVE`, or,
 * with `settle`, repeats the cases that decide the undecided limits in
 * both runs (at most 5 looks, alpha spent across them) until each is
 * decided or the budget is spent. A dimension or slice that more than 5%
 * of a run's cells left unjudged cannot pass (`INCONCLUSIVE`; `REJECTED`
 * in `strict`). Beside each interval, a 95% case-resampled interval speaks
 * of unseen cases (at least 5 cases); it does not decide. Both runs are
 * scored afresh (`scoreRun`), and the verdict is stored with the limits,
 * the mode, every look and the two scorecards' hashes, and recorded as a
 * `comparison_made` trace event. The body names the judge and, when human
 * labels exist, carries its calibration figures and a warning for every
 * dimension the verdict rejects on (or calls inconclusive) whose
 * Spearman's rho with people is below 0.5 (see docs/calibration.md).
 *
 * @param store The database.
 * @param options The two runs, limits, mode, settling and bootstrap seed.
 * @returns The stored comparison.
 * @throws {NotFoundError} If a run or its task version is not stored.
 * @throws {ValidationError} If the runs differ in task, dataset version, task definition or judge (without `allowJudgeChange`), a run is not completed, or a limit, mode or budget is invalid.
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
 * scored on a worker thread, and the runner that settling extends runs
 * with (for tests). Internal: not exported from mod.ts.
 */
export async function compareRuns(
  store: Store,
  options: CompareOptions & {
    readonly threadMinCells?: number;
    readonly extend?: RunExtender;
  },
): Promise<CompareResult> {
  const mode = options.mode ?? DEFAULT_COMPARE_MODE;
  if (!COMPARE_MODES.includes(mode)) {
    throw new ValidationError([{
      field: "mode",
      message: `unknown mode '${mode}': use ${COMPARE_MODES.join(", ")}`,
    }]);
  }
  const settle = options.settle === true
    ? {}
    : options.settle === false || options.settle === undefined
    ? null
    : options.settle;
  if (settle && mode === "point") {
    throw new ValidationError([{
      field: "settle",
      message:
        "point mode reads means only and has nothing to settle; settle in confident or strict mode",
    }]);
  }
  checkBudget(settle?.budget);
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 1000;
  let baselineRun = await getRun(store, options.baseline);
  let candidateRun = await getRun(store, options.candidate);
  const issues = sameRuns(
    baselineRun,
    candidateRun,
    options.allowJudgeChange ?? false,
  );
  if (issues.length) throw new ValidationError(issues);
  const task = await getTask(store, baselineRun.task, {
    id: baselineRun.task_id,
  });
  const limits = resolveLimits(task.limits, options.limits);
  const scoring = { seed, resamples, confidence: CONFIDENCE };
  const dimensions = task.rubric.dimensions.map((d) => d.name);
  const settled = settle !== null;

  const history: LookCounts[] = [];
  const looks: SettleLook[] = [];
  let spentCalls = 0;
  let spentCost = new Decimal(0);
  let budget: SettleBudget = { calls: 0 };
  let baseCalls = 0;
  for (;;) {
    // Each run is read once per look, for its scorecard and for the
    // verdict's figures, and both at once when the runs are large.
    const [baseScores, candScores] = await scoreSides(store, {
      run: baselineRun,
      task,
      calibration: await runCalibration(store, baselineRun),
      scoring,
      stepEvents: await pipelineStepEvents(store, baselineRun),
    }, {
      run: candidateRun,
      task,
      calibration: await runCalibration(store, candidateRun),
      scoring,
      stepEvents: await pipelineStepEvents(store, candidateRun),
    }, options.threadMinCells ?? SIDE_THREAD_MIN_CELLS);
    const measurement = measureDeltas({
      baseline: figuresOf(baselineRun, baseScores),
      candidate: figuresOf(candidateRun, candScores),
      dimensions,
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
    history.push(measurement.counts);
    const look = verdictAtLook(measurement, limits, mode, history, settled);
    const finishing = {
      baselineRun,
      candidateRun,
      baseScores,
      candScores,
      measurement,
      judgement: look.judgement,
      mode,
      limits,
      scoring,
      look: history.length,
      settled,
      now: options.now ?? nowIso,
    };
    if (!settle) return await finish(store, { ...finishing, settle: null });
    if (history.length === 1) {
      baseCalls = baseScores.receipts + candScores.receipts;
      budget = settle.budget ??
        { calls: Math.round(DEFAULT_SETTLE_SHARE * baseCalls) };
    }
    // Budget units a repetition of a case costs in both runs, and what is left.
    const unit = perCell(baseScores, budget) + perCell(candScores, budget);
    const left = "calls" in budget
      ? budget.calls - spentCalls
      : new Decimal(budget.usd).minus(spentCost).toNumber();
    const open = openLimits(measurement, look);
    const lastLook = history.length >= MAX_LOOKS;
    const plan = open.limits.length && !lastLook
      ? planSettle(open.limits, {
        anyOne: open.anyOne,
        cost: () => unit,
        budget: left,
        repetitions: (key) => {
          const c = measurement.counts.get(key);
          return c ? Math.min(c.nb, c.nc) : 0;
        },
      })
      : new Map<string, number>();
    const record: SettleLook = {
      look: history.length,
      verdict: look.judgement.verdict,
      undecided: look.judgement.checks.filter((c) =>
        c.status === "possibly_breached" && c.outcome !== "pass"
      ).map((c) => `${c.kind}:${c.name}`),
      added: [...plan].map(([case_key, repetitions]) => ({
        case_key,
        repetitions,
      })),
      calls: 0,
      cost: "0",
    };
    if (plan.size === 0) {
      looks.push(record);
      return await finish(store, {
        ...finishing,
        settle: {
          budget,
          base_calls: baseCalls,
          looks,
          calls: spentCalls,
          cost: money(spentCost),
          stopped: open.limits.length === 0
            ? "decided"
            : lastLook
            ? "looks"
            : left < unit
            ? "budget"
            : "no plan",
        },
      });
    }
    const extend = options.extend ?? runnerExtender;
    const runner = settle.runner ?? {};
    const totals = (side: "nb" | "nc") =>
      record.added.map(({ case_key, repetitions }) => ({
        case_key,
        repetitions: measurement.counts.get(case_key)![side] + repetitions,
      }));
    const a = await extend(store, baselineRun.id, totals("nb"), runner);
    const b = await extend(store, candidateRun.id, totals("nc"), runner);
    const calls = a.calls + b.calls;
    const cost = new Decimal(a.cost).plus(b.cost);
    spentCalls += calls;
    spentCost = spentCost.plus(cost);
    looks.push({ ...record, calls, cost: money(cost) });
    baselineRun = await getRun(store, baselineRun.id);
    candidateRun = await getRun(store, candidateRun.id);
  }
}

/** An exact amount with at least 6 decimal places. */
function money(x: Decimal): string {
  return x.toFixed(Math.max(6, x.decimalPlaces()));
}

/** Refuses a settling budget that is not a positive whole number of calls or a positive decimal amount. */
function checkBudget(budget: SettleBudget | undefined): void {
  if (budget === undefined) return;
  const ok = "calls" in budget
    ? Number.isInteger(budget.calls) && budget.calls > 0
    : /^\d+(\.\d+)?$/.test(budget.usd) && new Decimal(budget.usd).gt(0);
  if (!ok) {
    throw new ValidationError([{
      field: "settle.budget",
      message:
        `a settling budget is a positive whole number of calls or a positive amount of money, not '${
          "calls" in budget ? budget.calls : budget.usd
        }'`,
    }]);
  }
}

interface Finish {
  readonly baselineRun: RunRecord;
  readonly candidateRun: RunRecord;
  readonly baseScores: SideScores;
  readonly candScores: SideScores;
  readonly measurement: Measurement;
  readonly judgement: ReturnType<typeof verdictAtLook>["judgement"];
  readonly mode: CompareMode;
  readonly limits: ReturnType<typeof resolveLimits>;
  readonly scoring: { seed: number; resamples: number; confidence: number };
  readonly look: number;
  readonly settled: boolean;
  readonly settle: SettleRecord | null;
  readonly now: () => string;
}

/** Stores both scorecards and the verdict, and traces it. */
async function finish(store: Store, f: Finish): Promise<CompareResult> {
  const { baselineRun, candidateRun, judgement, mode, limits } = f;
  const baseline = side(
    baselineRun,
    f.baseScores.scorecard,
    await saveScorecard(store, baselineRun.id, f.baseScores.scorecard),
  );
  const candidate = side(
    candidateRun,
    f.candScores.scorecard,
    await saveScorecard(store, candidateRun.id, f.candScores.scorecard),
  );
  const aggregate = f.measurement.aggregate;
  const body: ComparisonBody = {
    schema_version: 2,
    task: baselineRun.task,
    task_id: baselineRun.task_id,
    dataset_id: baselineRun.dataset_id,
    baseline,
    candidate,
    mode,
    limits,
    inference: {
      basis: "repetitions, conditional on the cases",
      alpha: ALPHA,
      spending: f.settled ? "pocock-type over 5 looks" : "one look",
      look: f.look,
    },
    bootstrap: {
      resamples: f.scoring.resamples,
      seed: f.scoring.seed,
      confidence: f.scoring.confidence,
    },
    paired_cases: f.measurement.paired_cases,
    ...judgement,
    ...judgeBlock(
      baselineRun,
      candidateRun,
      f.candScores.scorecard,
      judgement.checks,
    ),
    ...(f.settle ? { settle: f.settle } : {}),
    aggregate: {
      delta: aggregate.delta,
      interval: decisionInterval(
        aggregate,
        lookCritical([1], ALPHA, false),
      ),
      case_interval: aggregate.case_interval,
    },
  };
  const sha256 = contentHash(body);
  const id = newId("cmp");
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "compare",
    steps: [{
      id: "compare",
      description: "a verdict on a candidate run against a baseline run",
      uses: { baseline: baselineRun.id, candidate: candidateRun.id },
    }],
    meta: { comparison_id: id, task: baselineRun.task },
  }, { now: f.now });
  const createdAt = f.now();
  const events = [
    ...(f.settle?.looks ?? []).filter((l) => l.added.length > 0).map((l) =>
      tracer.next("verdict_settled_look", {
        step: "compare",
        data: {
          look: l.look,
          verdict: l.verdict,
          undecided: l.undecided,
          added: l.added,
          calls: l.calls,
          cost: l.cost,
        },
      })
    ),
    tracer.next("comparison_made", {
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
        ...(f.settle
          ? { looks: f.settle.looks.length, settle_calls: f.settle.calls }
          : {}),
      },
    }),
  ];
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
  }, events);
  return {
    ...body,
    id,
    sha256,
    trace_id: tracer.traceId,
    created_at: createdAt,
  };
}
