/**
 * Drift: a production window's verdict against the released version's
 * suite run or an earlier window, with the limits, tests and verdicts of
 * `compare`, and which slice moved.
 *
 * @module
 */
import { contentHash } from "../content/sha256.ts";
import { nowIso } from "../content/ids.ts";
import { type Issue, NotFoundError, ValidationError } from "../errors.ts";
import { isWindowId } from "../production/windows.ts";
import { SLICES } from "../schema/task.ts";
import { runCalibration } from "../scoring/score_run.ts";
import { getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import {
  findWindowRun,
  listRunReceiptFigures,
  PRODUCTION_EXPERIMENT,
} from "../store/production.ts";
import { getRun, type RunRecord } from "../store/runs.ts";
import { listResults } from "../store/scores.ts";
import { Tracer } from "../trace/tracer.ts";
import { ALPHA } from "./_decide.ts";
import type { CellFigures } from "./_figures.ts";
import { judgeDeltas } from "./_judge.ts";
import { normalQuantile } from "./_distributions.ts";
import { scoreSideRows, type SideScores } from "./_side.ts";
import { measureUnpaired } from "./_unpaired.ts";
import { DEFAULT_COMPARE_MODE } from "./compare.ts";
import { resolveLimits } from "./limits.ts";
import {
  type AppliedLimits,
  COMPARE_MODES,
  type CompareLimits,
  type CompareMode,
  type DeltaCheck,
  type Verdict,
} from "./verdict.ts";

/** Options for {@linkcode drift}. */
export interface DriftOptions {
  /** The task. */
  task: string;
  /** A run id (the released version's suite run) or a window id (`2026-12-01`, `2026-W49`). */
  baseline: string;
  /** The window to judge (scored by `scoreTraces`). */
  window: string;
  /** Limits for this call; they win over the task's `limits`, which win over the defaults. */
  limits?: CompareLimits | undefined;
  /** How noise is read, as in `compare`. @default {"confident"} */
  mode?: CompareMode | undefined;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/** One slice's part in a figure's move, between the two sides. */
export interface SliceMove {
  /** The slice. */
  readonly slice: string;
  /** Its share of the baseline's inputs. */
  readonly share_baseline: number;
  /** Its share of the window's inputs. */
  readonly share_window: number;
  /** The figure's mean in the slice, baseline (null without inputs). */
  readonly mean_baseline: number | null;
  /** The figure's mean in the slice, window. */
  readonly mean_window: number | null;
  /** The part of the move that the slice's change of share explains. */
  readonly mix: number;
  /** The part that the slice's own change of mean explains. */
  readonly within: number;
}

/** A figure that failed or was left undecided, and the slice that moved it. */
export interface Moved {
  /** The check: `dimension`, `slice`, `cost`, ... */
  readonly kind: DeltaCheck["kind"];
  /** Its name. */
  readonly name: string;
  /** Its delta. */
  readonly delta: number | null;
  /** The slice whose share or mean moved the figure most the bad way. */
  readonly slice: string | null;
  /** One line saying so. */
  readonly text: string;
  /** Every slice's part (not for cost and latency, which are relative). */
  readonly slices: readonly SliceMove[];
}

/** A side of a drift verdict. */
export interface DriftSide {
  /** Its run. */
  readonly run_id: string;
  /** The window, or null for a suite run. */
  readonly window: string | null;
  /** Inputs (cases) it has. */
  readonly inputs: number;
  /** Each slice's share of them. */
  readonly slice_shares: Readonly<Record<string, number>>;
  /** Its aggregate score. */
  readonly aggregate: number | null;
}

/** What {@linkcode drift} returns. */
export interface DriftResult {
  /** The task. */
  readonly task: string;
  /** The baseline side. */
  readonly baseline: DriftSide;
  /** The window judged. */
  readonly window: DriftSide;
  /** The verdict: APPROVED (no drift past a limit), REJECTED, or INCONCLUSIVE. */
  readonly verdict: Verdict;
  /** One line. */
  readonly summary: string;
  /** Failing checks' lines. */
  readonly reasons: readonly string[];
  /** Undecided or unmeasured checks' lines. */
  readonly inconclusive: readonly string[];
  /** Every check, failing first. */
  readonly checks: readonly DeltaCheck[];
  /** The failing and undecided figures, each with the slice that moved it. */
  readonly moved: readonly Moved[];
  /** The mode. */
  readonly mode: CompareMode;
  /** The limits applied. */
  readonly limits: AppliedLimits;
  /** What the intervals speak of. */
  readonly inference: {
    readonly basis: "independent samples of inputs";
    readonly alpha: number;
    readonly about: string;
  };
  /** The aggregate score's delta (never a limit). */
  readonly aggregate: { readonly delta: number | null };
  /** Checks only one side ran (those needing expected values), left out of both sides' scores. */
  readonly checks_left_out: readonly string[];
  /** What the reader should know before trusting the verdict. */
  readonly caveats: readonly string[];
  /** sha256 of the canonical result (without it and the trace id). */
  readonly sha256: string;
  /** The trace recording the verdict. */
  readonly trace_id: string;
}

async function resolveSide(
  store: Store,
  task: string,
  ref: string,
  field: "baseline" | "window",
): Promise<RunRecord> {
  if (isWindowId(ref)) {
    const run = await findWindowRun(store, task, ref);
    if (!run) {
      throw new NotFoundError(
        "production window",
        `${task}:${ref}`,
        `score it first: wb score-traces --task ${task} --since ${ref}`,
      );
    }
    return run;
  }
  if (field === "window") {
    throw new ValidationError([{
      field: "window",
      message:
        `"${ref}" is not a window: give a day (2026-12-01) or an ISO week (2026-W49) scored by wb score-traces`,
    }]);
  }
  const run = await getRun(store, ref);
  if (run.task !== task) {
    throw new ValidationError([{
      field: "baseline",
      message:
        `run "${run.id}" is a run of task "${run.task}", not "${task}": give a run of the same task`,
    }]);
  }
  if (run.status !== "completed") {
    throw new ValidationError([{
      field: "baseline",
      message:
        `run "${run.id}" is ${run.status}, not completed; finish it with \`wb experiment --resume ${run.id}\``,
    }]);
  }
  return run;
}

function shares(cells: readonly CellFigures[]): Record<string, number> {
  const bySlice = new Map<string, Set<string>>();
  const all = new Set<string>();
  for (const c of cells) {
    all.add(c.case_key);
    const set = bySlice.get(c.slice) ?? new Set<string>();
    set.add(c.case_key);
    bySlice.set(c.slice, set);
  }
  const out: Record<string, number> = {};
  for (const slice of SLICES) {
    const n = bySlice.get(slice)?.size ?? 0;
    if (n > 0) out[slice] = round4(n / all.size);
  }
  return out;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4 + 0;
}

/** Each case's mean of a figure, grouped by slice. */
function sliceMeans(
  cells: readonly CellFigures[],
  read: (c: CellFigures) => number,
): Map<string, { mean: number; n: number }> {
  const byCase = new Map<string, { slice: string; sum: number; n: number }>();
  for (const c of cells) {
    const x = read(c);
    if (!Number.isFinite(x)) continue;
    const s = byCase.get(c.case_key) ?? { slice: c.slice, sum: 0, n: 0 };
    s.sum += x;
    s.n++;
    byCase.set(c.case_key, s);
  }
  const out = new Map<string, { mean: number; n: number }>();
  for (const s of byCase.values()) {
    const t = out.get(s.slice) ?? { mean: 0, n: 0 };
    t.mean += s.sum / s.n;
    t.n++;
    out.set(s.slice, t);
  }
  for (const t of out.values()) t.mean /= t.n;
  return out;
}

/**
 * Splits a figure's move into each slice's part: its change of share
 * times its baseline mean's distance from the baseline's overall mean
 * (mix), plus its window share times its own change of mean (within).
 * The parts add up to the move of the overall mean.
 */
function attribute(
  check: DeltaCheck,
  base: readonly CellFigures[],
  cand: readonly CellFigures[],
  dimensions: readonly string[],
): Moved {
  const read = check.kind === "dimension"
    ? ((c: CellFigures) => c.dimensions[dimensions.indexOf(check.name)] ?? NaN)
    : check.kind === "failure_rate"
    ? ((c: CellFigures) => c.failed)
    : check.kind === "injection_rate"
    ? ((c: CellFigures) => c.injection)
    : ((c: CellFigures) => c.score);
  if (check.kind === "slice") {
    return {
      kind: check.kind,
      name: check.name,
      delta: check.delta,
      slice: check.name,
      text: `slice '${check.name}' moved within itself: ${check.text}`,
      slices: [],
    };
  }
  if (check.kind === "cost" || check.kind === "latency_p95") {
    return {
      kind: check.kind,
      name: check.name,
      delta: check.delta,
      slice: null,
      text: check.text,
      slices: [],
    };
  }
  const mb = sliceMeans(base, read);
  const mc = sliceMeans(cand, read);
  const nb = [...mb.values()].reduce((a, s) => a + s.n, 0);
  const nc = [...mc.values()].reduce((a, s) => a + s.n, 0);
  const overall = nb === 0
    ? 0
    : [...mb.values()].reduce((a, s) => a + s.mean * s.n, 0) / nb;
  const slices: SliceMove[] = [];
  for (const slice of SLICES) {
    const b = mb.get(slice);
    const c = mc.get(slice);
    if (!b && !c) continue;
    const pb = nb ? (b?.n ?? 0) / nb : 0;
    const pc = nc ? (c?.n ?? 0) / nc : 0;
    // A slice new in the window enters at its own mean.
    const baseMean = b?.mean ?? c!.mean;
    slices.push({
      slice,
      share_baseline: round4(pb),
      share_window: round4(pc),
      mean_baseline: b ? round4(b.mean) : null,
      mean_window: c ? round4(c.mean) : null,
      mix: round4((pc - pb) * (baseMean - overall)),
      within: round4(c && b ? pc * (c.mean - b.mean) : 0),
    });
  }
  const bad = (x: number) => check.worse === "drop" ? -x : x;
  const top =
    slices.toSorted((a, b) => bad(b.mix + b.within) - bad(a.mix + a.within))[0];
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const text = top
    ? `${
      check.kind === "dimension" ? `dimension '${check.name}'` : check.name
    } moved ${
      check.delta === null ? "n/a" : check.delta.toFixed(3)
    }; most of it from slice '${top.slice}': its share went ${
      pct(top.share_baseline)
    } -> ${pct(top.share_window)} (mix ${top.mix}), its own mean ${
      top.mean_baseline ?? "n/a"
    } -> ${top.mean_window ?? "n/a"} (within ${top.within})`
    : check.text;
  return {
    kind: check.kind,
    name: check.name,
    delta: check.delta,
    slice: top?.slice ?? null,
    text,
    slices,
  };
}

/**
 * Judges a production window against a baseline (the released version's
 * suite run, or an earlier window) with the limits, the mode and the
 * two one-sided tests of `compare` (`judgeDeltas`, alpha 5% each side):
 * any slice's score, any rubric dimension, or cost per input past its
 * limit rejects; an undecided or unmeasured limit is INCONCLUSIVE in
 * `confident` mode; APPROVED needs every limit decided within. The two
 * sides are independent samples of inputs (a production input is seen
 * once; a suite case's repetitions are averaged into one value), so each
 * interval is Welch's over inputs and speaks of the traffic each side was
 * drawn from. Production inputs carry the slice their nearest suite cases
 * suggest. Each failing or undecided figure names the slice that moved it
 * most: its change of share (mix) or its own change (within). The verdict
 * is recorded as a `drift_checked` trace event.
 *
 * @param store The database.
 * @param options Task, baseline, window, limits and mode.
 * @returns The verdict, its checks and the slices that moved.
 * @throws {NotFoundError} If a window was not scored, or a run is not stored.
 * @throws {ValidationError} If the baseline is another task's or unfinished run, the window is not a window id, or a limit or mode is invalid.
 *
 * @example A window must be scored first
 * ```ts
 * import { drift, loadCatalog, NotFoundError, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * await assert.rejects(
 *   drift(store, { task: "support_triage", baseline: "2026-11-30", window: "2026-12-01" }),
 *   NotFoundError,
 * );
 * ```
 */
export async function drift(
  store: Store,
  options: DriftOptions,
): Promise<DriftResult> {
  const mode = options.mode ?? DEFAULT_COMPARE_MODE;
  if (!COMPARE_MODES.includes(mode)) {
    throw new ValidationError([{
      field: "mode",
      message: `unknown mode '${mode}': use ${COMPARE_MODES.join(", ")}`,
    }]);
  }
  const windowRun = await resolveSide(
    store,
    options.task,
    options.window,
    "window",
  );
  const baseRun = await resolveSide(
    store,
    options.task,
    options.baseline,
    "baseline",
  );
  if (baseRun.id === windowRun.id) {
    throw new ValidationError([{
      field: "baseline",
      message:
        `the baseline and the window are the same run "${baseRun.id}": give an earlier window or the released version's suite run`,
    }]);
  }
  const differs: Issue[] = [];
  if (baseRun.task_id !== windowRun.task_id) {
    differs.push({
      field: "baseline",
      message:
        `the task definition (checks, rubric or limits) differs: baseline run "${baseRun.id}" has "${baseRun.task_id}", window run "${windowRun.id}" has "${windowRun.task_id}"; score both after the same \`wb load\` (wb score-traces again)`,
    });
  }
  if (
    baseRun.judge_config_id !== null && windowRun.judge_config_id !== null &&
    baseRun.judge_config_id !== windowRun.judge_config_id
  ) {
    differs.push({
      field: "judge",
      message:
        `the judge differs: baseline run "${baseRun.id}" was judged by "${baseRun.judge_config_id}", the window by "${windowRun.judge_config_id}"; score the window with the baseline's judge (wb score-traces --judge ${baseRun.judge_config_id})`,
    });
  }
  if (differs.length) throw new ValidationError(differs);
  const task = await getTask(store, options.task, { id: windowRun.task_id });
  const limits = resolveLimits(task.limits, options.limits);
  const dimensions = task.rubric.dimensions.map((d) => d.name);
  const scoring = { seed: 1, resamples: 200, confidence: 0.95 };
  const [baseResults, windowResults] = [
    await listResults(store, baseRun.id),
    await listResults(store, windowRun.id),
  ];
  // Only the checks both sides ran count: a suite run also has the checks
  // that need expected values, which production calls cannot run.
  const keys = (results: typeof baseResults) =>
    new Set(results.flatMap((r) => Object.keys(r.checks)));
  const windowKeys = keys(windowResults);
  const baseKeys = keys(baseResults);
  const common = new Set([...baseKeys].filter((k) => windowKeys.has(k)));
  const dropped = [...new Set([...baseKeys, ...windowKeys])].filter((k) =>
    !common.has(k)
  ).sort();
  const only = (results: typeof baseResults) =>
    dropped.length === 0 ? results : results.map((r) => ({
      ...r,
      checks: Object.fromEntries(
        Object.entries(r.checks).filter(([k]) => common.has(k)),
      ),
    }));
  const side = async (
    run: RunRecord,
    results: typeof baseResults,
  ): Promise<SideScores> =>
    scoreSideRows(
      {
        run,
        task,
        calibration: await runCalibration(store, run),
        scoring,
      },
      only(results),
      await listRunReceiptFigures(store, run, results),
    );
  const [b, c] = [
    await side(baseRun, baseResults),
    await side(windowRun, windowResults),
  ];
  const figures = (run: RunRecord, s: SideScores) => ({
    run_id: run.id,
    repetitions: run.repetitions,
    cells: s.cells,
    latency_p95_ms: s.scorecard.latency_ms.generation?.p95 ?? null,
    judged: run.judge_config_id !== null,
  });
  const measurement = measureUnpaired({
    baseline: figures(baseRun, b),
    candidate: figures(windowRun, c),
    dimensions,
  });
  const judgement = judgeDeltas(measurement.measured, limits, {
    mode,
    alpha: ALPHA,
    critical: () => normalQuantile(1 - ALPHA),
    suggestRepetitions: false,
  });
  const moved = judgement.checks.filter((check) => check.outcome !== "pass")
    .map((check) => attribute(check, b.cells, c.cells, dimensions));
  const windowOfRun = (run: RunRecord) =>
    run.experiment_id === PRODUCTION_EXPERIMENT
      ? run.dataset_id.split(":").at(-1) ?? null
      : null;
  const sideOf = (run: RunRecord, s: SideScores): DriftSide => ({
    run_id: run.id,
    window: windowOfRun(run),
    inputs: new Set(s.cells.map((x) => x.case_key)).size,
    slice_shares: shares(s.cells),
    aggregate: s.scorecard.aggregate?.estimate ?? null,
  });
  const body = {
    task: task.name,
    baseline: sideOf(baseRun, b),
    window: sideOf(windowRun, c),
    verdict: judgement.verdict,
    summary: judgement.summary,
    reasons: judgement.reasons,
    inconclusive: judgement.inconclusive,
    checks: judgement.checks,
    moved,
    mode,
    limits,
    inference: {
      basis: "independent samples of inputs" as const,
      alpha: ALPHA,
      about:
        "the traffic each side was drawn from: each input is one unit, intervals are Welch's over inputs; slices are suggested by the nearest suite cases",
    },
    aggregate: { delta: measurement.aggregate.delta },
    checks_left_out: dropped,
    caveats: baseRun.experiment_id === PRODUCTION_EXPERIMENT ? [] : [
      "the baseline is a suite run: its cases are curated, not traffic, and its judge saw each case's expected values, which production calls do not have, so its rubric scores are reference-guided",
    ],
  };
  const sha256 = contentHash(body);
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "drift",
    steps: [{
      id: "drift",
      description: "a production window's verdict against a baseline",
      uses: { baseline: baseRun.id, window: windowRun.id },
    }],
    meta: { task: task.name },
  }, { now: options.now ?? nowIso });
  await tracer.emit("drift_checked", {
    step: "drift",
    data: {
      sha256,
      verdict: body.verdict,
      mode,
      limits,
      baseline_run_id: baseRun.id,
      window_run_id: windowRun.id,
      reasons: body.reasons,
      moved: moved.map((m) => ({ kind: m.kind, name: m.name, slice: m.slice })),
    },
  });
  return { ...body, sha256, trace_id: tracer.traceId };
}
