import { sha256Hex } from "../content/sha256.ts";
import type { Label } from "../schema/label.ts";
import { getTask } from "../store/catalog.ts";
import {
  type JudgedCell,
  listJudgedCells,
  listLabels,
} from "../store/labels.ts";
import type { Store } from "../store/open.ts";
import {
  agreement,
  type AgreementOptions,
  type AgreementSummary,
} from "./agreement.ts";

/** Options for {@linkcode calibrate}. */
export interface CalibrateOptions extends AgreementOptions {
  /** The task whose labels are read. */
  task: string;
  /** The judge's model config id: only runs judged by it are read. */
  judge: string;
  /** Largest disagreements listed per dimension. @default {3} */
  top?: number;
}

/** One of the largest disagreements between the judge and a person. */
export interface Disagreement {
  /** The case id. */
  readonly "case_id": string;
  /** The repetition of the cell the judge scored. */
  readonly repetition: number;
  /** The run whose judgement was read. */
  readonly "run_id": string;
  /** sha256 of the output both scored. */
  readonly "output_sha256": string;
  /** Who labelled it. */
  readonly labeller: string;
  /** The person's score. */
  readonly human: number;
  /** The judge's score. */
  readonly judge: number;
  /** The judge's reasoning. */
  readonly "judge_reasoning": string;
  /** The words of the output the judge quoted, when it did. */
  readonly "judge_evidence": string | null;
  /** The person's note, when there is one. */
  readonly "human_note": string | null;
}

/** Why a label could not be matched to a judged output. */
export type UnmatchedReason =
  | "no_cell"
  | "output_changed"
  | "not_judged";

/** A label left out of the figures, and why. */
export interface UnmatchedLabel {
  /** The label id. */
  readonly "label_id": string;
  /** The case it names. */
  readonly "case_id": string;
  /** The repetition it names, if any. */
  readonly repetition: number | null;
  /** The output hash it is bound to. */
  readonly "output_sha256": string;
  /**
   * `no_cell`: no run judged by this judge has that case (and repetition);
   * `output_changed`: such cells exist but none holds the labelled output
   * (the output no longer exists in those runs);
   * `not_judged`: the output exists but the judge could not score it.
   */
  readonly reason: UnmatchedReason;
  /** One line for a person. */
  readonly detail: string;
}

/** How well a judge agrees with people on one task: the result of {@linkcode calibrate}. */
export interface Calibration {
  /** The task. */
  readonly task: string;
  /** The judge's model config id. */
  readonly judge: string;
  /** Labels read (after keeping each labeller's latest label per output). */
  readonly labels: number;
  /** Labels matched to a judged output. */
  readonly matched: number;
  /** Rubric dimension -> agreement of the judge (rater) with people (reference). */
  readonly dimensions: Readonly<Record<string, AgreementSummary>>;
  /** Rubric dimension -> the largest disagreements, largest first. */
  readonly disagreements: Readonly<Record<string, readonly Disagreement[]>>;
  /** Labels left out, with the reason. */
  readonly unmatched: readonly UnmatchedLabel[];
  /** Label dimensions the task's rubric does not have (ignored). */
  readonly "unknown_dimensions": readonly string[];
  /** The bootstrap behind the intervals. */
  readonly bootstrap: {
    /** The seed. */
    readonly seed: number;
    /** Resamples drawn. */
    readonly resamples: number;
    /** The coverage. */
    readonly confidence: number;
  };
}

/**
 * Calibrates a judge against human labels. Each label is matched to a cell
 * of a run of the task judged by `judge` with the same case, the same
 * repetition (when the label names one) and an output whose sha256 is the
 * label's; when several runs hold that output, the newest run's judgement
 * is read. Labels that match no output are reported in `unmatched`, never
 * matched loosely. Per rubric dimension it gives Spearman's rho and
 * Kendall's tau-b with seeded 95% bootstrap intervals, quadratic-weighted
 * kappa, the mean bias (judge minus person: lenient above 0, strict below),
 * the 5x5 confusion table and the largest disagreements with both
 * reasonings (see docs/calibration.md).
 *
 * @param store The open store.
 * @param options The task, the judge, bootstrap settings and how many disagreements to list.
 * @returns The calibration.
 * @throws {NotFoundError} If the task is not stored.
 *
 * @example No labels yet
 * ```ts
 * import { calibrate, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const result = await calibrate(store, { task: "support_triage", judge: "fake-judge" });
 * assert.equal(result.matched, 0);
 * assert.equal(result.dimensions.tone?.n, 0);
 * ```
 */
export async function calibrate(
  store: Store,
  options: CalibrateOptions,
): Promise<Calibration> {
  const task = await getTask(store, options.task);
  const dimensions = task.rubric.dimensions.map((d) => d.name);
  const labels = latestPerLabeller(await listLabels(store, options.task));
  const cells = await listJudgedCells(store, {
    task: options.task,
    judges: [options.judge],
    caseKeys: labels.map((l) => l.case_id),
  });
  const hashes = new Map<JudgedCell, string>();
  const hashOf = (cell: JudgedCell) => {
    let h = hashes.get(cell);
    if (h === undefined) {
      h = cell.output === null ? "" : sha256Hex(cell.output);
      hashes.set(cell, h);
    }
    return h;
  };

  const pairs: { label: Label; cell: JudgedCell }[] = [];
  const unmatched: UnmatchedLabel[] = [];
  for (const label of labels) {
    const candidates = cells.filter((c) =>
      c.case_key === label.case_id &&
      (label.repetition === undefined || c.repetition === label.repetition)
    );
    const where = `${label.case_id}${
      label.repetition === undefined ? "" : ` #${label.repetition}`
    }`;
    const base = {
      "label_id": label.id,
      "case_id": label.case_id,
      repetition: label.repetition ?? null,
      "output_sha256": label.output_sha256,
    };
    if (candidates.length === 0) {
      unmatched.push({
        ...base,
        reason: "no_cell",
        detail: `no run judged by ${options.judge} has ${where}`,
      });
      continue;
    }
    const same = candidates.filter((c) => hashOf(c) === label.output_sha256);
    if (same.length === 0) {
      unmatched.push({
        ...base,
        reason: "output_changed",
        detail: `the labelled output ${
          label.output_sha256.slice(0, 12)
        } is in none of the ${candidates.length} cells of ${where} judged by ${options.judge}`,
      });
      continue;
    }
    const judged = same.find((c) => c.rubric !== null);
    if (!judged) {
      unmatched.push({
        ...base,
        reason: "not_judged",
        detail: `the judge could not score the labelled output of ${where}`,
      });
      continue;
    }
    pairs.push({ label, cell: judged });
  }

  const known = new Set(dimensions);
  const unknown = [
    ...new Set(
      labels.flatMap((l) => Object.keys(l.scores)).filter((d) => !known.has(d)),
    ),
  ].sort();
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const top = options.top ?? 3;
  const summaries: Record<string, AgreementSummary> = {};
  const disagreements: Record<string, Disagreement[]> = {};
  for (const dimension of dimensions) {
    const scored = pairs.filter(({ label, cell }) =>
      label.scores[dimension] !== undefined &&
      cell.rubric?.[dimension] !== undefined
    );
    const human = scored.map(({ label }) => label.scores[dimension]!);
    const judge = scored.map(({ cell }) => cell.rubric![dimension]!.score);
    summaries[dimension] = agreement(judge, human, {
      seed,
      resamples,
      confidence,
    });
    disagreements[dimension] = scored
      .map(({ label, cell }, k) => ({
        label,
        cell,
        gap: judge[k]! - human[k]!,
      }))
      .filter((d) => d.gap !== 0)
      .sort((a, b) =>
        Math.abs(b.gap) - Math.abs(a.gap) ||
        (a.label.case_id < b.label.case_id
          ? -1
          : a.label.case_id > b.label.case_id
          ? 1
          : a.cell.repetition - b.cell.repetition)
      )
      .slice(0, top)
      .map(({ label, cell }) => {
        const judged = cell.rubric![dimension]!;
        return {
          "case_id": label.case_id,
          repetition: cell.repetition,
          "run_id": cell.run_id,
          "output_sha256": label.output_sha256,
          labeller: label.labeller,
          human: label.scores[dimension]!,
          judge: judged.score,
          "judge_reasoning": judged.reasoning,
          "judge_evidence": judged.evidence ?? null,
          "human_note": label.note ?? null,
        };
      });
  }
  return {
    task: options.task,
    judge: options.judge,
    labels: labels.length,
    matched: pairs.length,
    dimensions: summaries,
    disagreements,
    unmatched,
    "unknown_dimensions": unknown,
    bootstrap: { seed, resamples, confidence },
  };
}

/** Each labeller's latest label per case, repetition and output. */
function latestPerLabeller(labels: readonly Label[]): Label[] {
  const latest = new Map<string, Label>();
  for (const label of labels) {
    latest.set(
      JSON.stringify([
        label.labeller,
        label.case_id,
        label.repetition ?? null,
        label.output_sha256,
      ]),
      label,
    );
  }
  return [...latest.values()];
}
