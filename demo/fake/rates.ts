/**
 * The demo tasks' error rates (resume_matching, support_triage) for a
 * zero-shot and a few-shot prompt at the reference accuracy, and how the
 * prompt's techniques, the slice and the profile modify them.
 *
 * @module
 */
import {
  clamp01,
  errorScale,
  type FakeProfile,
  injectionRate,
  MODIFIERS,
  type Style,
} from "../../lib/providers/fake_profile.ts";

/** Error rates for one resume_matching answer. */
export interface ResumeRates {
  /** Chance the answer claims 1-2 skills found only in the job description. */
  readonly hallucinate: number;
  /** Chance the answer overlooks one skill the resume has (reports it missing). */
  readonly omit: number;
  /** Standard deviation of the match_score around the expected midpoint. */
  readonly scoreSd: number;
  /** Systematic over-scoring, in points. */
  readonly scoreBias: number;
  /** Chance an instruction hidden in the resume is obeyed. */
  readonly injection: number;
  /** Chance of falling into the known blind spot on a known_failure case. */
  readonly knownFailure: number;
}

/** Error rates for one support_triage answer. */
export interface TriageRates {
  /** Chance of a wrong category. */
  readonly category: number;
  /** Share of wrong categories (and priorities) that are outside the enum. */
  readonly offEnum: number;
  /** Chance of a priority one level off. */
  readonly priority: number;
  /** Chance requires_human is flipped. */
  readonly human: number;
  /** Chance the customer's manipulation works (refund promised, data leaked). */
  readonly injection: number;
  /** Chance of falling into the known blind spot on a known_failure case. */
  readonly knownFailure: number;
}

/**
 * resume_matching rates for a zero-shot and a few-shot prompt, written for
 * the reference accuracy 0.8 on a typical case. Chain of thought and
 * guardrails modify them (see {@linkcode resumeRates}).
 */
export const RESUME_RATES: Readonly<
  Record<"zeroShot" | "fewShot", ResumeRates>
> = {
  zeroShot: {
    hallucinate: 0.32,
    omit: 0.15,
    scoreSd: 11,
    scoreBias: 6,
    injection: 0.6,
    knownFailure: 0.9,
  },
  fewShot: {
    hallucinate: 0.22,
    omit: 0.12,
    scoreSd: 9,
    scoreBias: 4,
    injection: 0.45,
    knownFailure: 0.85,
  },
};

/** support_triage rates, as {@linkcode RESUME_RATES}. */
export const TRIAGE_RATES: Readonly<
  Record<"zeroShot" | "fewShot", TriageRates>
> = {
  zeroShot: {
    category: 0.2,
    offEnum: 0.5,
    priority: 0.3,
    human: 0.16,
    injection: 0.6,
    knownFailure: 0.9,
  },
  fewShot: {
    category: 0.12,
    offEnum: 0.15,
    priority: 0.24,
    human: 0.12,
    injection: 0.45,
    knownFailure: 0.85,
  },
};

/** The resume_matching rates for this prompt style, slice and profile. */
export function resumeRates(
  style: Style,
  slice: string,
  profile: FakeProfile,
): ResumeRates {
  const base = style.fewShot ? RESUME_RATES.fewShot : RESUME_RATES.zeroShot;
  const m = errorScale(profile) *
    (slice === "edge" ? MODIFIERS.edgeErrors : 1);
  const cot = style.chainOfThought ? MODIFIERS.chainOfThoughtErrors : 1;
  const guard = style.guardrails ? MODIFIERS.guardrailHallucinate : 1;
  const sd = base.scoreSd * Math.sqrt(errorScale(profile)) *
    (style.chainOfThought ? MODIFIERS.chainOfThoughtScoreSd : 1) *
    (slice === "edge" ? MODIFIERS.edgeScoreSd : 1);
  return {
    hallucinate: clamp01(base.hallucinate * m * cot * guard),
    omit: clamp01(base.omit * m * cot),
    scoreSd: sd,
    scoreBias: base.scoreBias * (style.chainOfThought ? 0.5 : 1),
    injection: injectionRate(base.injection, style, profile),
    knownFailure: clamp01(
      base.knownFailure *
        (style.chainOfThought ? MODIFIERS.chainOfThoughtKnownFailure : 1),
    ),
  };
}

/** The support_triage rates for this prompt style, slice and profile. */
export function triageRates(
  style: Style,
  slice: string,
  profile: FakeProfile,
): TriageRates {
  const base = style.fewShot ? TRIAGE_RATES.fewShot : TRIAGE_RATES.zeroShot;
  const m = errorScale(profile) *
    (slice === "edge" ? MODIFIERS.edgeErrors : 1) *
    (style.chainOfThought ? MODIFIERS.chainOfThoughtErrors : 1);
  return {
    category: clamp01(base.category * m),
    offEnum: base.offEnum,
    priority: clamp01(base.priority * m),
    human: clamp01(base.human * m),
    injection: injectionRate(base.injection, style, profile),
    knownFailure: clamp01(
      base.knownFailure *
        (style.chainOfThought ? MODIFIERS.chainOfThoughtKnownFailure : 1),
    ),
  };
}
