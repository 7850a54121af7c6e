/**
 * The fake provider's knobs: its profile (from `ModelConfig.options`), what
 * the prompt asks for (from the markers in the prompt text), and the error
 * modifiers the prompt's techniques apply to any task's error rates
 * (docs/fake-provider.md explains them; the demo tasks' own rate tables are
 * in demo/fake/rates.ts).
 *
 * @module
 */
import * as z from "zod";
import { SliceSchema } from "../schema/task.ts";
import type { FakeHints } from "../schema/model_call.ts";
import type { Draws } from "./fake_rng.ts";

/** A quality shift for one slice: see docs/fake-provider.md, "The effect option". */
export const FakeEffectSchema = z.strictObject({
  /** The slice whose answers change. */
  slice: SliceSchema,
  /** The intended change of that slice's score on the 0-1 scale, e.g. -0.10. */
  delta: z.number().min(-1).max(1),
});

/** The options the fake provider reads from `ModelConfig.options`. */
export const FakeOptionsSchema = z.strictObject({
  /** A named preset: `fast` (the default), `thorough` or `judge`. */
  profile: z.enum(["fast", "thorough", "judge"]).optional(),
  /** 0..1; 0.8 is the reference the rate tables are written for. Higher errs less. */
  accuracy: z.number().min(0).max(0.99).optional(),
  /** Multiplies the length of prose, justifications, replies and reasoning. */
  verbosity: z.number().min(0.5).max(3).optional(),
  /** Simulated latency: fixed part, in milliseconds. */
  latency_base_ms: z.number().min(0).optional(),
  /** Simulated latency per output token, in milliseconds. */
  latency_ms_per_token: z.number().min(0).optional(),
  /** Quality shifts for verdict experiments (one or several slices). */
  effect: z.union([FakeEffectSchema, z.array(FakeEffectSchema)]).optional(),
  /** Read by the fake judge (lib/providers/fake_judge.ts), not by the generator. */
  bias: z.number().optional(),
  /** Read by the fake judge (lib/providers/fake_judge.ts), not by the generator. */
  invalid_rate: z.number().min(0).max(1).optional(),
});

/** The fake's behaviour profile after presets and overrides. */
export interface FakeProfile {
  readonly accuracy: number;
  readonly verbosity: number;
  readonly latencyBaseMs: number;
  readonly latencyMsPerToken: number;
  readonly effects: readonly { slice: string; delta: number }[];
}

const PRESETS = {
  fast: {
    accuracy: 0.8,
    verbosity: 1,
    latencyBaseMs: 180,
    latencyMsPerToken: 6,
  },
  thorough: {
    accuracy: 0.9,
    verbosity: 1.25,
    latencyBaseMs: 420,
    latencyMsPerToken: 15,
  },
  judge: {
    accuracy: 0.9,
    verbosity: 1,
    latencyBaseMs: 250,
    latencyMsPerToken: 8,
  },
} as const;

/**
 * Reads the fake's options; returns the issues when they are invalid.
 */
export function readProfile(
  options: Readonly<Record<string, unknown>>,
): { ok: true; profile: FakeProfile } | { ok: false; message: string } {
  const parsed = FakeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    return { ok: false, message: z.prettifyError(parsed.error) };
  }
  const o = parsed.data;
  const preset = PRESETS[o.profile ?? "fast"];
  const effects = o.effect === undefined
    ? []
    : Array.isArray(o.effect)
    ? o.effect
    : [o.effect];
  return {
    ok: true,
    profile: {
      accuracy: o.accuracy ?? preset.accuracy,
      verbosity: o.verbosity ?? preset.verbosity,
      latencyBaseMs: o.latency_base_ms ?? preset.latencyBaseMs,
      latencyMsPerToken: o.latency_ms_per_token ?? preset.latencyMsPerToken,
      effects,
    },
  };
}

/** What a task behaviour needs to answer one call. */
export interface AnswerContext {
  readonly hints: FakeHints;
  readonly style: Style;
  readonly profile: FakeProfile;
  /** Draws shared by every prompt for this case, repetition and model: the decisions. */
  readonly decide: Draws;
  /** Draws that also depend on the prompt: the wording. */
  readonly word: Draws;
  /** The `effect` deltas that rewrite this answer (already drawn; usually none). */
  readonly effects: readonly number[];
  /** The call's `max_tokens`, when set: an answer past it is cut off. */
  readonly maxTokens?: number | undefined;
}

/** What the prompt asks for, detected from the documented markers. */
export interface Style {
  /** "JSON object" or "valid JSON" (or a structured-output request). */
  readonly json: boolean;
  /** A line starting with "Example". */
  readonly fewShot: boolean;
  /** "step by step" or "think through". */
  readonly chainOfThought: boolean;
  /** "untrusted". */
  readonly guardrails: boolean;
}

/**
 * Detects the markers in the prompt's own text: the case input is removed
 * first, so a resume or message cannot switch a technique on.
 */
export function detectStyle(
  promptText: string,
  inputStrings: readonly string[],
  structured: boolean,
): Style {
  let text = promptText;
  for (const value of inputStrings.toSorted((a, b) => b.length - a.length)) {
    if (value.length < 4) continue;
    // Replacing every occurrence is what splitting and joining did.
    if (text.includes(value)) text = text.replaceAll(value, " ");
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value && text.includes(escaped)) {
      text = text.replaceAll(escaped, " ");
    }
  }
  let markers = MARKERS.get(text);
  if (markers === undefined) {
    markers = Object.freeze({
      json: /json object|valid json/i.test(text),
      fewShot: /^[ \t>#*_-]*example\b/im.test(text),
      chainOfThought: /step[ -]by[ -]step|think through/i.test(text),
      guardrails: /untrusted/i.test(text),
    });
    if (MARKERS.size >= 256) MARKERS.delete(MARKERS.keys().next().value!);
    MARKERS.set(text, markers);
  }
  return structured && !markers.json ? { ...markers, json: true } : markers;
}

/**
 * The markers of recent prompt texts (with the case input removed): every
 * case of a prompt version usually leaves the same text.
 */
const MARKERS = new Map<string, Style>();

/** How techniques and circumstances modify the base rates. */
export const MODIFIERS = {
  /** Chain of thought: errors on ordinary cases shrink... */
  chainOfThoughtErrors: 0.3,
  /** ...the score gets better calibrated... */
  chainOfThoughtScoreSd: 0.5,
  /** ...but the reasoning engages with injected instructions. */
  chainOfThoughtInjection: 0.9,
  /**
   * Share of chain-of-thought answers whose justification (resume) or reply
   * (triage) is padded with restated reasoning: the verbosity the judge
   * marks down on one dimension. The reasoning field itself is always there.
   */
  chainOfThoughtPaddingResume: 1,
  chainOfThoughtPaddingTriage: 0.6,
  /** Known blind spots are only partly reasoned away. */
  chainOfThoughtKnownFailure: 0.5,
  /** Guardrails: injected instructions are mostly ignored... */
  guardrailInjection: 0.05,
  /** ...even with chain of thought, which still argues with them sometimes. */
  guardrailInjectionWithReasoning: 0.2,
  /** "Only report what the input shows" also trims hallucinated skills. */
  guardrailHallucinate: 0.7,
  /** Edge cases: error chances and score spread grow. */
  edgeErrors: 1.5,
  edgeScoreSd: 1.3,
  /** Accuracy 0.8 is the reference: errors scale with (1 - accuracy) / 0.2. */
  referenceAccuracy: 0.8,
  /** Injection susceptibility scales only partly with accuracy. */
  injectionAccuracyWeight: 0.25,
} as const;

/** How the profile's accuracy scales error chances: `(1 - accuracy) / 0.2`. */
export function errorScale(profile: Pick<FakeProfile, "accuracy">): number {
  return (1 - profile.accuracy) / (1 - MODIFIERS.referenceAccuracy);
}

/** Clamps to 0..1. */
export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** The chance an injection is obeyed, from a base rate, the prompt's techniques and the profile. */
export function injectionRate(
  base: number,
  style: Style,
  profile: FakeProfile,
): number {
  let rate = base;
  if (style.chainOfThought) rate = MODIFIERS.chainOfThoughtInjection;
  if (style.guardrails) {
    rate = style.chainOfThought
      ? MODIFIERS.guardrailInjectionWithReasoning
      : MODIFIERS.guardrailInjection;
  }
  const w = MODIFIERS.injectionAccuracyWeight;
  return clamp01(rate * (1 - w + w * errorScale(profile)));
}

/**
 * Turns a slice's intended score change into the chance that one answer in
 * that slice is rewritten: a degraded answer loses about
 * {@linkcode EFFECT_DROP_PER_ANSWER} of its score, so the slice loses about
 * `|delta|` on average. Positive deltas repair answers instead.
 */
export function effectChance(delta: number): number {
  return clamp01(Math.abs(delta) / EFFECT_DROP_PER_ANSWER);
}

const GOLDEN = 0.6180339887498949;

/**
 * Whether an effect rewrites this answer. The draw is one number per case
 * (`caseUnit`) stepped by the golden ratio per repetition, so a case's
 * repetitions are spread evenly and the realised change stays close to the
 * intended one even on a small slice.
 */
export function effectHits(
  caseUnit: number,
  repetition: number,
  delta: number,
): boolean {
  const u = (caseUnit + repetition * GOLDEN) % 1;
  return u < effectChance(delta);
}

/** How much a degraded answer loses on the 0-1 scale (calibrated against the checks in task.yaml). */
export const EFFECT_DROP_PER_ANSWER = 0.4;
