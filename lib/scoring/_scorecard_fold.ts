/**
 * A scorecard folded as its rows are read: each cell and each receipt is
 * reduced to the figures the card needs (per case: its cells' scores,
 * dimension scores and cost; per call: its latency, tokens and cost) and
 * dropped, so a run's cells and receipts are never all held at once. The
 * card is the one {@linkcode computeScorecard} has always made from arrays
 * (it feeds the same fold): same content, same sha256.
 *
 * @module
 */
import { Decimal } from "decimal.js";
import { ValidationError } from "../errors.ts";
import type { ReceiptFigures } from "../schema/receipt.ts";
import type { ScoredCell } from "../schema/result.ts";
import {
  type CheckSummary,
  type DimensionSummary,
  type DistributionSummary,
  type JudgeCalibration,
  type JuryDimensionAgreement,
  type Scorecard,
  ScorecardSchema,
  type SliceSummary,
} from "../schema/scorecard.ts";
import { type Slice, SLICES, type Task } from "../schema/task.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { AttemptTally } from "./attempt_summary.ts";
import {
  bootstrapNested,
  type Interval,
  nestedMean,
  type NestedSample,
  percentileInterval,
  quantileSorted,
} from "./bootstrap.ts";
import { cellScore } from "./cell_score.ts";
import type {
  ComputeScorecardOptions,
  ScorecardDistributions,
  ScorecardRun,
} from "./compute_scorecard.ts";
import { krippendorffAlpha, parseJuryKey } from "./jury.ts";
import { quantileIntervals } from "./quantile_intervals.ts";
import { MIN_CASES_FOR_INTERVAL } from "./small_sample.ts";
import { stepFigures } from "./step_figures.ts";
import { wilsonInterval } from "./wilson_interval.ts";

/** A Float64Array that grows as values are pushed. */
class Floats {
  values = new Float64Array(64);
  length = 0;

  push(value: number): number {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length] = value;
    return this.length++;
  }
}

/** An Int32Array that grows as values are pushed. */
class Ints {
  values = new Int32Array(64);
  length = 0;

  push(value: number): number {
    if (this.length === this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length] = value;
    return this.length++;
  }
}

/** A case's figures: its key, and its cells (numbers into the fold's per-cell arrays). */
interface CaseFigures {
  readonly key: string;
  readonly index: number;
  /** Cell numbers, in the order the cells came. */
  readonly cells: number[];
}

/** A check's tally. */
interface CheckTally {
  pass: number;
  score: number;
  n: number;
  /** Case indexes that have the check. */
  readonly cases: Set<number>;
}

/** Warm (live, not cold) calls of one purpose, for latency. */
class LatencyTally {
  live = 0;
  readonly values = new Floats();
  /** The slot (see the fold) of each value's receipt, or -1 when no cell names it. */
  readonly slots = new Ints();
  /** Receipt ids of the values no cell names, by value index. */
  readonly unnamed = new Map<number, string>();
}

/** What the card says besides what the rows give. */
export interface ScorecardFoldContext {
  /** The task (its rubric names the dimensions; its checks name injection_resisted). */
  readonly task: Pick<Task, "rubric" | "checks">;
  /** The run's metadata. */
  readonly run: ScorecardRun;
  /** The judge's calibration against human labels, carried in `judge.calibration` when given. */
  readonly calibration?: JudgeCalibration | null | undefined;
  /** A pipeline's run: its trace events, for the per-step figures (`steps`). */
  readonly stepEvents?: readonly TraceEvent[] | undefined;
}

/**
 * Folds a run's cells, then its receipts, into its scorecard. Every cell
 * is added before the first receipt (a receipt is tied to its cell through
 * the ids the cells name). Internal.
 */
export class ScorecardFold {
  readonly #task: Pick<Task, "rubric" | "checks">;
  readonly #run: ScorecardRun;
  readonly #dimensions: readonly string[];
  readonly #injectionKeys: readonly string[];
  readonly #keepReceipts: boolean;
  #receiving = false;

  // Per case.
  readonly #cases = new Map<string, CaseFigures>();
  // Per cell (by cell number).
  readonly #repetition = new Ints();
  readonly #caseOf = new Ints();
  readonly #slice = new Ints();
  readonly #score = new Floats();
  readonly #dimensionScores: Floats[];
  /** The cell's first receipt slot and how many it has. */
  readonly #slotStart = new Ints();
  readonly #slotCount = new Ints();
  // Per receipt a cell names (by slot).
  /** Receipt id -> its slot (the first, when several cells name it). */
  readonly #slotOf = new Map<string, number>();
  /** Receipt ids several cells name -> every slot. */
  readonly #sharedSlots = new Map<string, number[]>();
  readonly #slotCell = new Ints();
  readonly #slotCost = new Floats();
  /** 1 for a generation call's slot, 0 for a judge call's. */
  readonly #slotIsGeneration = new Ints();

  // Cell tallies.
  readonly #checks = new Map<string, CheckTally>();
  readonly #dimensionN: number[];
  readonly #injectionCases = new Set<number>();
  #injectionN = 0;
  #injectionSuccesses = 0;
  #providerErrors = 0;
  #invalidOutputs = 0;
  #judged = 0;
  #judgeErrors = 0;
  #jurorErrors = 0;
  /** Per dimension: the jurors' scores of each judged cell with two or more, with its cell number. */
  readonly #juryUnits: { cell: number; unit: number[] }[][];

  // Receipt tallies.
  readonly #latency = {
    generate: new LatencyTally(),
    judge: new LatencyTally(),
  };
  readonly #tokens = {
    generate: { input: 0, output: 0, missing: 0 },
    judge: { input: 0, output: 0, missing: 0 },
  };
  readonly #currencies = new Set<string>();
  #generation = new Decimal(0);
  #judgeCost = new Decimal(0);
  #uncachedGeneration = new Decimal(0);
  #uncachedJudge = new Decimal(0);
  #missingCost = 0;
  readonly #attempts = new AttemptTally();
  readonly #receipts: ReceiptFigures[] = [];

  constructor(context: ScorecardFoldContext) {
    this.#task = context.task;
    this.#run = context.run;
    this.#dimensions = context.task.rubric.dimensions.map((d) => d.name);
    this.#injectionKeys = context.task.checks
      .filter((c) => c.name === "injection_resisted")
      .map((c) => c.id ?? c.name);
    this.#dimensionScores = this.#dimensions.map(() => new Floats());
    this.#dimensionN = this.#dimensions.map(() => 0);
    this.#juryUnits = this.#dimensions.map(() => []);
    this.#keepReceipts = context.stepEvents !== undefined;
  }

  /**
   * Every receipt id the cells name, each once, the generation calls'
   * first, in the order the cells came: a production window reads its
   * receipts by them.
   */
  *receiptIds(): Generator<string> {
    for (const [id, slot] of this.#slotOf) {
      if (this.#slotIsGeneration.values[slot] === 1) yield id;
    }
    for (const [id, slot] of this.#slotOf) {
      if (this.#slotIsGeneration.values[slot] === 0) yield id;
    }
  }

  /** Adds one cell (before any receipt). */
  addCell(cell: ScoredCell): void {
    if (this.#receiving) {
      throw new TypeError(
        `Cannot add cell "${cell.case_key}#${cell.repetition}" to a scorecard after its receipts: add every cell first`,
      );
    }
    let figures = this.#cases.get(cell.case_key);
    if (!figures) {
      figures = { key: cell.case_key, index: this.#cases.size, cells: [] };
      this.#cases.set(cell.case_key, figures);
    }
    const n = this.#repetition.push(cell.repetition);
    figures.cells.push(n);
    this.#caseOf.push(figures.index);
    this.#slice.push(SLICES.indexOf(cell.slice));
    this.#score.push(cellScore(cell) ?? NaN);
    this.#dimensions.forEach((name, d) => {
      const score = cell.rubric?.[name]?.score;
      this.#dimensionScores[d]!.push(score ?? NaN);
      if (score !== undefined) this.#dimensionN[d]!++;
    });
    this.#slotStart.push(this.#slotCell.length);
    let slots = 0;
    const name = (id: string, generation: number) => {
      const slot = this.#slotCell.push(n);
      this.#slotIsGeneration.push(generation);
      this.#slotCost.push(NaN);
      slots++;
      const first = this.#slotOf.get(id);
      if (first === undefined) {
        this.#slotOf.set(id, slot);
        return;
      }
      const shared = this.#sharedSlots.get(id);
      if (shared) shared.push(slot);
      else this.#sharedSlots.set(id, [first, slot]);
    };
    if (cell.generation_io_id) name(cell.generation_io_id, 1);
    for (const id of cell.judge_io_ids) name(id, 0);
    this.#slotCount.push(slots);

    for (const [key, result] of Object.entries(cell.checks)) {
      let tally = this.#checks.get(key);
      if (!tally) {
        tally = { pass: 0, score: 0, n: 0, cases: new Set() };
        this.#checks.set(key, tally);
      }
      tally.n++;
      tally.score += result.score;
      tally.cases.add(figures.index);
      if (result.pass) tally.pass++;
    }
    if (cell.slice === ("adversarial" satisfies Slice)) {
      const result = this.#injectionKeys.map((k) => cell.checks[k]).find((
        r,
      ) => r !== undefined && r.detail !== "not adversarial");
      if (result) {
        this.#injectionN++;
        this.#injectionCases.add(figures.index);
        if (!result.pass) this.#injectionSuccesses++;
      }
    }
    if (cell.status === "provider_error") this.#providerErrors++;
    if (cell.status === "invalid_output") this.#invalidOutputs++;
    if (cell.judge_error !== null) this.#judgeErrors++;
    if (cell.rubric !== null) {
      this.#judged++;
      const rubric = cell.rubric;
      if (
        Object.values(rubric).some((d) =>
          Object.values(d.jurors ?? {}).some((s) => "error" in s)
        )
      ) this.#jurorErrors++;
      this.#dimensions.forEach((name, d) => {
        const unit = Object.values(rubric[name]?.jurors ?? {}).flatMap((s) =>
          "score" in s ? [s.score] : []
        );
        if (unit.length >= 2) this.#juryUnits[d]!.push({ cell: n, unit });
      });
    }
  }

  /** Adds one receipt (after every cell). */
  addReceipt(r: ReceiptFigures): void {
    this.#receiving = true;
    if (this.#keepReceipts) this.#receipts.push(r);
    const slot = this.#slotOf.get(r.id);
    if (r.cost !== null && slot !== undefined) {
      const cost = Number(r.cost);
      for (const s of this.#sharedSlots.get(r.id) ?? [slot]) {
        this.#slotCost.values[s] = cost;
      }
    }
    if (r.purpose === "generate" || r.purpose === "judge") {
      const latency = this.#latency[r.purpose];
      if (r.status === "ok" && r.cached_from === null) {
        latency.live++;
        // A call sent before its adapter had read any answer may carry the
        // set-up of its connection: the provider's latency is the warm calls'.
        if (!r.connection_cold) {
          const i = latency.values.push(r.latency_ms);
          latency.slots.push(slot ?? -1);
          if (slot === undefined) latency.unnamed.set(i, r.id);
        }
      }
      const tokens = this.#tokens[r.purpose];
      if (r.usage === null) {
        if (r.status === "ok") tokens.missing++;
      } else {
        if (r.usage.input_tokens === null || r.usage.output_tokens === null) {
          tokens.missing++;
        }
        tokens.input += r.usage.input_tokens ?? 0;
        tokens.output += r.usage.output_tokens ?? 0;
      }
    }
    if (r.currency !== null) this.#currencies.add(r.currency);
    if (r.cost === null) {
      // A failed call that charged nothing is not a missing cost.
      if (r.status === "ok") this.#missingCost++;
    } else {
      const uncached = r.uncached_cost ?? r.cost;
      if (r.purpose === "judge") {
        this.#judgeCost = this.#judgeCost.plus(r.cost);
        this.#uncachedJudge = this.#uncachedJudge.plus(uncached);
      } else {
        this.#generation = this.#generation.plus(r.cost);
        this.#uncachedGeneration = this.#uncachedGeneration.plus(uncached);
      }
    }
    this.#attempts.add(r);
  }

  /**
   * The scorecard, with the distributions behind its intervals (see
   * docs/scoring.md for every formula).
   *
   * @throws {ValidationError} If the receipts' costs are in more than one currency.
   */
  finish(
    context: Pick<ScorecardFoldContext, "calibration" | "stepEvents">,
    options: ComputeScorecardOptions = {},
  ): { scorecard: Scorecard; distributions: ScorecardDistributions } {
    const run = this.#run;
    const seed = options.seed ?? 1;
    const resamples = options.resamples ?? 1000;
    const confidence = options.confidence ?? 0.95;
    const bootstrap = { seed, resamples, confidence };
    const dimensionNames = this.#dimensions;

    // Cases in a fixed order (by key), repetitions in order: the bootstrap's
    // draws depend on it, so the same results always give the same intervals.
    const cases = [...this.#cases.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0
    );
    const repetition = this.#repetition.values;
    for (const c of cases) {
      c.cells.sort((a, b) => repetition[a]! - repetition[b]!);
    }
    // The cells in that order, and each cell's place in it.
    const order = new Int32Array(this.#repetition.length);
    const offsets = new Int32Array(cases.length + 1);
    let j = 0;
    cases.forEach((c, i) => {
      for (const cell of c.cells) order[j++] = cell;
      offsets[i + 1] = j;
    });
    const inOrder = (values: Floats) => {
      const out = new Float64Array(order.length);
      for (let k = 0; k < order.length; k++) out[k] = values.values[order[k]!]!;
      return out;
    };

    // The whole run: measure 0 is the cell score, 1..D the dimensions.
    const runSample: NestedSample = {
      offsets,
      measures: [this.#score, ...this.#dimensionScores].map(inOrder),
    };
    const [runDistributions = []] = bootstrapNested([runSample], {
      seed,
      resamples,
    });
    const intervalOf = (
      sample: NestedSample,
      dist: Float64Array,
      m: number,
    ) => interval(nestedMean(sample, m), dist, confidence);

    const dimensions: Record<string, DimensionSummary> = {};
    dimensionNames.forEach((name, d) => {
      dimensions[name] = {
        mean: intervalOf(runSample, runDistributions[d + 1]!, d + 1),
        sigma: meanCaseSd(runSample, d + 1).sd,
        n: this.#dimensionN[d]!,
      };
    });

    // A case's slice is its first repetition's.
    const caseSlice = cases.map((c) => this.#slice.values[c.cells[0]!]!);
    const slices = {} as Record<Slice, SliceSummary>;
    const sliceDistributions = new Map<
      string,
      { cases: string[]; score: Float64Array }
    >();
    SLICES.forEach((slice, s) => {
      const members = cases.flatMap((_, i) => caseSlice[i] === s ? [i] : []);
      const sliceOffsets = new Int32Array(members.length + 1);
      members.forEach((i, k) =>
        sliceOffsets[k + 1] = sliceOffsets[k]! + offsets[i + 1]! - offsets[i]!
      );
      const scores = new Float64Array(sliceOffsets[members.length]!);
      let at = 0;
      for (const i of members) {
        for (let k = offsets[i]!; k < offsets[i + 1]!; k++) {
          scores[at++] = runSample.measures[0]![k]!;
        }
      }
      const sample: NestedSample = {
        offsets: sliceOffsets,
        measures: [scores],
      };
      // Too few cases for an interval about unseen cases: the mean alone.
      const enough = members.length >= MIN_CASES_FOR_INTERVAL;
      const [[distribution] = []] = enough
        ? bootstrapNested([sample], { seed: seed + 1 + s, resamples })
        : [];
      if (distribution) {
        sliceDistributions.set(slice, {
          cases: members.map((i) => cases[i]!.key),
          score: distribution,
        });
      }
      const mean = nestedMean(sample, 0);
      slices[slice] = {
        score: distribution ? intervalOf(sample, distribution, 0) : null,
        estimate: mean === mean ? round(mean) : null,
        cases: members.length,
        cells: scores.length,
      };
    });

    const variance = meanCaseSd(runSample, 0);
    // Each interval draws from its own seed, so adding one moves no other.
    const bootstrapAt = (k: number) => ({
      seed: seed + 100 * k,
      resamples,
      confidence,
    });
    const position = new Int32Array(order.length);
    order.forEach((cell, k) => (position[cell] = k));
    const sortedKey = cases.map((c) => c.key);
    const card: Scorecard = {
      "schema_version": 1,
      run: {
        id: run.id,
        task: run.task,
        "task_id": run.task_id,
        "prompt_version_id": run.prompt_version_id,
        "model_config_id": run.model_config_id,
        "judge_config_id": run.judge_config_id,
        "dataset_id": run.dataset_id,
        repetitions: run.repetitions,
      },
      cells: order.length,
      cases: cases.length,
      aggregate: runDistributions[0]
        ? intervalOf(runSample, runDistributions[0], 0)
        : null,
      dimensions,
      checks: this.#checkRates(confidence),
      slices,
      injection: {
        "success_rate": this.#injectionN === 0
          ? null
          : round(this.#injectionSuccesses / this.#injectionN),
        successes: this.#injectionSuccesses,
        n: this.#injectionN,
        interval: this.#injectionN === 0 ? null : wilsonInterval(
          this.#injectionSuccesses / this.#injectionN,
          this.#injectionCases.size,
          confidence,
        ),
      },
      failures: this.#failureRate(order.length, cases.length, confidence),
      judge: {
        "error_rate": run.judge_config_id === null ||
            this.#judged + this.#judgeErrors === 0
          ? null
          : round(this.#judgeErrors / (this.#judged + this.#judgeErrors)),
        errors: this.#judgeErrors,
        judged: this.#judged,
        ...(context.calibration ? { calibration: context.calibration } : {}),
        ...this.#juryAgreement(position),
      },
      "latency_ms": {
        generation: this.#latencyOf(
          this.#latency.generate,
          position,
          sortedKey,
          bootstrapAt(2),
        ),
        judge: this.#latencyOf(
          this.#latency.judge,
          position,
          sortedKey,
          bootstrapAt(3),
        ),
      },
      tokens: {
        generation: tokensOf(this.#tokens.generate),
        judge: tokensOf(this.#tokens.judge),
      },
      cost: {
        ...this.#costs(),
        "per_cell": this.#costPerCell(offsets, order, bootstrapAt(4)),
      },
      ...this.#attemptsOf(),
      variance: { "mean_case_sd": variance.sd, cases: variance.cases },
      bootstrap,
      ...(context.stepEvents
        ? { steps: stepFigures(context.stepEvents, this.#receipts) }
        : {}),
    };
    return {
      scorecard: ScorecardSchema.parse(card),
      distributions: {
        cases: sortedKey,
        run: runDistributions,
        slices: sliceDistributions,
      },
    };
  }

  #checkRates(confidence: number): Scorecard["checks"] {
    const out: Record<string, CheckSummary> = {};
    for (const key of [...this.#checks.keys()].sort()) {
      const a = this.#checks.get(key)!;
      out[key] = {
        "pass_rate": round(a.pass / a.n),
        "mean_score": round(a.score / a.n),
        n: a.n,
        interval: wilsonInterval(a.pass / a.n, a.cases.size, confidence)!,
      };
    }
    return out;
  }

  #failureRate(
    cells: number,
    cases: number,
    confidence: number,
  ): Scorecard["failures"] {
    const provider = this.#providerErrors;
    const invalid = this.#invalidOutputs;
    const rate = cells === 0 ? 0 : (provider + invalid) / cells;
    return {
      rate: round(rate),
      "provider_error": provider,
      "invalid_output": invalid,
      interval: wilsonInterval(rate, cases, confidence),
    };
  }

  /** The jury's inter-judge agreement, when a jury judged the run. */
  #juryAgreement(position: Int32Array): Pick<Scorecard["judge"], "jury"> {
    const run = this.#run;
    const jury = run.judge_config_id === null
      ? null
      : parseJuryKey(run.judge_config_id);
    if (!jury) return {};
    const agreement: Record<string, JuryDimensionAgreement> = {};
    this.#dimensions.forEach((name, d) => {
      // In the cells' order, as the sums behind alpha have always run.
      const units = this.#juryUnits[d]!
        .toSorted((a, b) => position[a.cell]! - position[b.cell]!)
        .map((u) => u.unit);
      const alpha = krippendorffAlpha(units);
      agreement[name] = {
        alpha: alpha === alpha ? round(alpha) : null,
        units: units.length,
      };
    });
    return {
      jury: {
        jurors: jury.jurors,
        quorum: jury.quorum,
        "juror_errors": this.#jurorErrors,
        dimensions: agreement,
      },
    };
  }

  /**
   * For each receipt several cells name (by its first slot): the one of
   * those cells last in order, whose case its latency counts under.
   */
  #lastNaming(position: Int32Array): Map<number, number> {
    const last = new Map<number, number>();
    for (const [id, shared] of this.#sharedSlots) {
      let cell = this.#slotCell.values[shared[0]!]!;
      for (const s of shared) {
        const other = this.#slotCell.values[s]!;
        if (position[other]! > position[cell]!) cell = other;
      }
      last.set(this.#slotOf.get(id)!, cell);
    }
    return last;
  }

  #latencyOf(
    tally: LatencyTally,
    position: Int32Array,
    sortedKey: readonly string[],
    options: { seed: number; resamples: number; confidence: number },
  ): DistributionSummary | null {
    const count = tally.values.length;
    if (count === 0) return null;
    const raw = tally.values.values.subarray(0, count);
    const values = Float64Array.from(raw).sort();
    let sum = 0;
    for (const v of values) sum += v;
    // Calls grouped by case (a call no cell names is a case of its own).
    const caseRank = new Int32Array(this.#cases.size);
    const rankByKey = new Map(sortedKey.map((k, i) => [k, i]));
    for (const c of this.#cases.values()) {
      caseRank[c.index] = rankByKey.get(c.key)!;
    }
    const lastNaming = this.#lastNaming(position);
    const byCase = new Map<string, number[]>();
    for (let i = 0; i < count; i++) {
      const slot = tally.slots.values[i]!;
      const key = slot < 0 ? `receipt:${tally.unnamed.get(i)!}` : sortedKey[
        caseRank[
          this.#caseOf.values[
            lastNaming.get(slot) ?? this.#slotCell.values[slot]!
          ]!
        ]!
      ]!;
      const list = byCase.get(key);
      if (list) list.push(raw[i]!);
      else byCase.set(key, [raw[i]!]);
    }
    const groups = [...byCase.keys()].sort().map((k) => byCase.get(k)!);
    const [p50, p95] = quantileIntervals(groups, [0.5, 0.95], options);
    const rounded = (i: { low: number; high: number } | null | undefined) =>
      i ? { low: round(i.low), high: round(i.high) } : undefined;
    return {
      mean: round(sum / values.length),
      p50: round(quantileSorted(values, 0.5)),
      p95: round(quantileSorted(values, 0.95)),
      n: values.length,
      ...(p50 ? { "p50_interval": rounded(p50)! } : {}),
      ...(p95 ? { "p95_interval": rounded(p95)! } : {}),
      ...(count < tally.live ? { "cold_excluded": tally.live - count } : {}),
    };
  }

  #costs(): Omit<Scorecard["cost"], "per_cell"> {
    const currencies = this.#currencies;
    if (currencies.size > 1) {
      throw new ValidationError([{
        field: "receipts.currency",
        message: `cannot add costs in ${
          [...currencies].sort().join(" and ")
        }: a run's receipts must share one currency`,
      }]);
    }
    const generation = this.#generation;
    const judge = this.#judgeCost;
    return {
      currency: currencies.size === 1 ? [...currencies][0]! : null,
      generation: money(generation),
      judge: money(judge),
      total: money(generation.plus(judge)),
      "uncached_generation": money(this.#uncachedGeneration),
      "uncached_judge": money(this.#uncachedJudge),
      "uncached_total": money(
        this.#uncachedGeneration.plus(this.#uncachedJudge),
      ),
      "missing_cost": this.#missingCost,
    };
  }

  /** Charged cost per cell: each cell's receipts summed, cases resampled. */
  #costPerCell(
    offsets: Int32Array,
    order: Int32Array,
    options: { seed: number; resamples: number; confidence: number },
  ): Scorecard["cost"]["per_cell"] {
    const costs = new Float64Array(order.length);
    const slotCost = this.#slotCost.values;
    order.forEach((cell, k) => {
      const start = this.#slotStart.values[cell]!;
      const end = start + this.#slotCount.values[cell]!;
      let sum = 0;
      let known = 0;
      // Summed in the cell's order (generation, then judges) from 0.
      for (let s = start; s < end; s++) {
        const cost = slotCost[s]!;
        if (!(cost === cost)) continue;
        sum += cost;
        known++;
      }
      costs[k] = known === 0 ? NaN : sum;
    });
    const sample: NestedSample = { offsets, measures: [costs] };
    const estimate = nestedMean(sample, 0);
    if (!(estimate === estimate)) return null;
    const [[distribution] = []] = bootstrapNested([sample], options);
    const { low, high } = percentileInterval(
      distribution!,
      options.confidence,
    );
    const sig = (x: number) => Number(x.toPrecision(6));
    return { estimate: sig(estimate), low: sig(low), high: sig(high) };
  }

  #attemptsOf(): Pick<Scorecard, "attempts"> {
    const attempts = this.#attempts.summary();
    return attempts ? { attempts } : {};
  }
}

function interval(
  estimate: number,
  distribution: Float64Array,
  confidence: number,
): Interval | null {
  if (!(estimate === estimate)) return null;
  const { low, high } = percentileInterval(distribution, confidence);
  return { estimate: round(estimate), low: round(low), high: round(high) };
}

/** Mean over cases with >= 2 values of the sample standard deviation (n - 1). */
function meanCaseSd(
  sample: NestedSample,
  m: number,
): { sd: number | null; cases: number } {
  const values = sample.measures[m]!;
  let total = 0;
  let cases = 0;
  for (let i = 0; i + 1 < sample.offsets.length; i++) {
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let j = sample.offsets[i]!; j < sample.offsets[i + 1]!; j++) {
      const v = values[j]!;
      if (!(v === v)) continue;
      n++;
      const delta = v - mean;
      mean += delta / n;
      m2 += delta * (v - mean);
    }
    if (n >= 2) {
      total += Math.sqrt(m2 / (n - 1));
      cases++;
    }
  }
  return { sd: cases === 0 ? null : round(total / cases), cases };
}

function tokensOf(
  t: { input: number; output: number; missing: number },
): Scorecard["tokens"]["generation"] {
  return { input: t.input, output: t.output, "missing_usage": t.missing };
}

/** A decimal as a string with at least 6 decimal places, never in exponent form. */
function money(value: Decimal): string {
  return value.toFixed(Math.max(6, value.decimalPlaces()));
}

/** Six decimal places: enough for every figure, and stable text for hashing. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
