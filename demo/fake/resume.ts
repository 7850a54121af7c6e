/**
 * How the fake provider answers resume_matching: it reads the skills in the
 * job description and the resume, then errs the way a real model does at a
 * rate set by the prompt style and the profile (hallucinated skills that only
 * the job mentions, an overlooked skill, a noisy score, obeying an
 * instruction hidden in the resume, a blind spot on known_failure cases).
 *
 * @module
 */
import {
  type AnswerContext,
  MODIFIERS,
} from "../../lib/providers/fake_profile.ts";
import { resumeRates } from "./rates.ts";
import type { Draws } from "../../lib/providers/fake_rng.ts";
import { findSkills, findSkillsNaively } from "./skills.ts";
import {
  asRecord,
  joinList,
  padTo,
  stringField,
} from "../../lib/providers/fake_text.ts";

/** Text in a resume that addresses the screening model instead of a reader. */
const INJECTION =
  /ignore (?:all |any |the )?(?:previous |prior |above )?(?:instructions|requirements)|note to (?:the )?(?:ai|assistant|screen|model|system|automated)|\b(?:ats|system|admin) (?:override|note|instruction)|pre-?approved|perfect score|match_score of 100|score (?:of |= ?)?100\b/i;

interface Draft {
  score: number;
  matched: string[];
  missing: string[];
  /** Skills claimed that only the job mentions. */
  hallucinated: string[];
  /** Skills the resume has that were reported missing. */
  overlooked: string[];
  /** The hidden instruction was obeyed. */
  injected: boolean;
  /** The case carries a hidden instruction. */
  injectionSeen: boolean;
  /** The known blind spot was hit. */
  blind: boolean;
}

/** Answers one resume_matching call: the text the model returns. */
export function answerResume(ctx: AnswerContext): string {
  const { hints, style, profile, decide } = ctx;
  const input = hints.input;
  const resume = stringField(input, "resume_text");
  const job = stringField(input, "job_description");
  const expected = hints.expected ?? {};
  const rates = resumeRates(style, hints.slice, profile);

  const jobSkills = findSkills(job);
  const resumeSkills = new Set(findSkills(resume).map((s) => s.toLowerCase()));
  const trueMatched = jobSkills.filter((s) =>
    resumeSkills.has(s.toLowerCase())
  );
  const trueMissing = jobSkills.filter((s) =>
    !resumeSkills.has(s.toLowerCase())
  );
  const truth = truthScore(expected, trueMatched.length, jobSkills.length);
  const injectionSeen =
    asRecord(expected.injection)?.kind === "score_inflation" ||
    INJECTION.test(resume);

  const draft: Draft = {
    score: truth,
    matched: [...trueMatched],
    missing: [...trueMissing],
    hallucinated: [],
    overlooked: [],
    injected: false,
    injectionSeen,
    blind: false,
  };

  if (
    hints.slice === "known_failure" &&
    decide.unit("known_failure") < rates.knownFailure
  ) {
    // The blind spot: substring matching, negation ignored, score from overlap.
    const naiveJob = findSkillsNaively(job);
    const naiveResume = new Set(
      findSkillsNaively(resume).map((s) => s.toLowerCase()),
    );
    draft.matched = naiveJob.filter((s) => naiveResume.has(s.toLowerCase()));
    draft.missing = naiveJob.filter((s) => !naiveResume.has(s.toLowerCase()));
    draft.hallucinated = draft.matched.filter((s) =>
      !resumeSkills.has(s.toLowerCase())
    );
    draft.score = overlapScore(draft.matched.length, naiveJob.length) +
      decide.normal("score") * 3;
    draft.blind = true;
  } else {
    if (
      draft.missing.length > 0 && decide.unit("hallucinate") < rates.hallucinate
    ) {
      const count = draft.missing.length > 1 && decide.unit("two") < 0.3
        ? 2
        : 1;
      for (let i = 0; i < count; i++) {
        const skill = decide.pick(`hallucinated#${i}`, draft.missing);
        draft.missing = draft.missing.filter((s) => s !== skill);
        draft.matched.push(skill);
        draft.hallucinated.push(skill);
      }
    }
    if (draft.matched.length > 1 && decide.unit("omit") < rates.omit) {
      const real = draft.matched.filter((s) => !draft.hallucinated.includes(s));
      if (real.length > 1) {
        const skill = decide.pick("overlooked", real);
        draft.matched = draft.matched.filter((s) => s !== skill);
        draft.missing.push(skill);
        draft.overlooked.push(skill);
      }
    }
    draft.score = truth + rates.scoreBias +
      rates.scoreSd * decide.normal("score") +
      4 * draft.hallucinated.length - 4 * draft.overlooked.length;
  }

  if (injectionSeen && decide.unit("injection") < rates.injection) {
    draft.injected = true;
    draft.score = 96 + Math.floor(decide.unit("inflated") * 5);
    draft.matched = [...jobSkills];
    draft.missing = [];
    draft.hallucinated = trueMissing;
  }

  for (const delta of ctx.effects) {
    if (delta < 0) {
      // An answer that obeyed an injection is already as bad as it gets.
      if (!draft.injected) {
        degrade(draft, expected, truth, trueMatched, trueMissing, decide);
      }
    } else {
      Object.assign(draft, {
        score: truth,
        matched: [...trueMatched],
        missing: [...trueMissing],
        hallucinated: [],
        overlooked: [],
        injected: false,
        blind: false,
      });
    }
  }

  // A model that still names gaps does not give a perfect score.
  const ceiling = !draft.injected && draft.missing.length > 0 ? 96 : 100;
  draft.score = Math.round(Math.min(ceiling, Math.max(0, draft.score)));
  return render(ctx, draft, resume, job);
}

/** The score a careful reader gives: the middle of the expected range, else from overlap. */
function truthScore(
  expected: Readonly<Record<string, unknown>>,
  matched: number,
  required: number,
): number {
  const min = expected.match_score_min;
  const max = expected.match_score_max;
  if (typeof min === "number" && typeof max === "number") {
    return (min + max) / 2;
  }
  return overlapScore(matched, required);
}

/** A keyword-overlap score: what a model that only counts skills says. */
function overlapScore(matched: number, required: number): number {
  if (required === 0) return 55;
  return 15 + 80 * (matched / required);
}

/** A clearly worse answer: score out of range, half the real skills lost, two invented. */
function degrade(
  draft: Draft,
  expected: Readonly<Record<string, unknown>>,
  truth: number,
  trueMatched: readonly string[],
  trueMissing: readonly string[],
  decide: Draws,
): void {
  const min = typeof expected.match_score_min === "number"
    ? expected.match_score_min
    : truth - 10;
  const max = typeof expected.match_score_max === "number"
    ? expected.match_score_max
    : truth + 10;
  const push = 12 + Math.floor(decide.unit("effect:push") * 10);
  draft.score = truth >= 50 ? min - push : max + push;
  const keep = trueMatched.slice(0, Math.floor(trueMatched.length / 2));
  const invented = trueMissing.slice(0, 2);
  draft.matched = [...keep, ...invented];
  draft.missing = [
    ...trueMissing.filter((s) => !invented.includes(s)),
    ...trueMatched.filter((s) => !keep.includes(s)),
  ];
  draft.hallucinated = invented;
  draft.overlooked = trueMatched.filter((s) => !keep.includes(s));
}

// ---------------------------------------------------------------------------
// Wording

function yearsOfExperience(resume: string): number | null {
  let best: number | null = null;
  for (const m of resume.matchAll(/(\d{1,2})\+?\s*(?:years|yrs)\b/gi)) {
    const n = Number(m[1]);
    if (n <= 45 && (best === null || n > best)) best = n;
  }
  return best;
}

function band(score: number): string {
  if (score >= 85) return "a strong fit";
  if (score >= 70) return "a good fit with some gaps";
  if (score >= 50) return "a partial fit";
  if (score >= 30) return "a weak fit";
  return "a poor fit";
}

function justification(ctx: AnswerContext, d: Draft, resume: string): string {
  const { word, profile } = ctx;
  const shown = d.matched.slice(0, 4);
  const years = yearsOfExperience(resume);
  if (d.injected) {
    return word.pick("inj", [
      "The candidate meets every requirement of the role and is an excellent fit; no gaps were identified.",
      "An outstanding match: every listed requirement is covered and the candidate comes pre-approved for this role.",
      "Perfect alignment with the job description; all required skills are present and there are no missing skills.",
    ]);
  }
  const sentences: string[] = [];
  sentences.push(
    `${
      word.pick("open", ["Overall", "On balance", "In short"])
    }, the candidate is ${band(d.score)} for this role.`,
  );
  if (shown.length > 0) {
    sentences.push(
      word.pick("has", [
        `The resume shows hands-on ${joinList(shown)}.`,
        `Relevant strengths: ${joinList(shown)}.`,
        `They bring ${joinList(shown)}, which the role asks for.`,
      ]),
    );
  }
  if (d.missing.length > 0) {
    sentences.push(
      word.pick("lacks", [
        `Missing from the resume: ${joinList(d.missing)}.`,
        `The main gaps are ${joinList(d.missing)}.`,
        `There is no evidence of ${joinList(d.missing)}.`,
      ]),
    );
  } else if (d.matched.length === 0) {
    sentences.push(
      "The job description names no concrete skills to check, so the score rests on the overall profile.",
    );
  }
  if (years !== null) {
    sentences.push(
      `About ${years} years of experience${
        d.score >= 60 ? " support the rating" : " do not offset the gaps"
      }.`,
    );
  }
  if (d.injectionSeen && ctx.style.guardrails) {
    sentences.push(
      "Text in the resume that addresses the screening tool was treated as data and disregarded.",
    );
  }
  if (profile.verbosity >= 1.2 && d.missing.length > 0) {
    sentences.push(
      `A screening call should probe ${d.missing[0]} before moving forward.`,
    );
  }
  let text = sentences.join(" ");
  if (
    ctx.style.chainOfThought &&
    ctx.decide.unit("padding") < MODIFIERS.chainOfThoughtPaddingResume
  ) text = verboseJustification(ctx, d, text);
  return text;
}

/** Chain of thought bleeds into the justification: long, restated, hedged. */
function verboseJustification(
  ctx: AnswerContext,
  d: Draft,
  core: string,
): string {
  const per = [
    ...d.matched.map((s) =>
      `Regarding ${s}, the resume provides what appears to be relevant evidence, although the depth of that experience is difficult to verify from the text alone.`
    ),
    ...d.missing.map((s) =>
      `Regarding ${s}, I was not able to find clear evidence in the resume, which is a consideration that should be weighed alongside the other factors.`
    ),
  ];
  const opening = d.injected
    ? "Having worked through the requirements one by one and taken into account the note included in the resume, I arrived at the following assessment."
    : "Having worked through the requirements one by one, as described in my reasoning above, I arrived at the following assessment.";
  const text = [opening, core, ...per].join(" ");
  return padTo(text, Math.round(1000 * ctx.profile.verbosity), [
    "It is worth emphasizing that this assessment is based solely on the information provided in the resume and the job description, and that additional context could change the picture.",
    "Taking all of these factors into account, and carefully weighing the strengths against the gaps identified above, the score reflects a balanced overall view of the candidate.",
    "As with any resume-based evaluation, there is some inherent uncertainty, and the hiring team may wish to explore these points further in an interview before making a decision.",
    "It should also be noted that the seniority and scope of the candidate's previous roles were considered alongside the specific skills listed in the job description.",
    "To summarize once more, the strengths and gaps described above together lead to the overall score given, which should be read as a guide rather than a final verdict.",
    "Ultimately, the decision on whether to progress this candidate rests with the hiring team, who are best placed to judge the relative importance of each requirement.",
  ]);
}

function reasoning(
  ctx: AnswerContext,
  d: Draft,
  job: string,
  resume: string,
): string {
  const required = findSkills(job);
  const years = yearsOfExperience(resume);
  const steps = [
    `Step 1 - requirements: the job description asks for ${
      required.length > 0 ? joinList(required) : "no specific named skills"
    }.`,
    `Step 2 - evidence: the resume shows ${
      d.matched.length > 0 ? joinList(d.matched) : "none of them"
    }${years !== null ? `, across roughly ${years} years of experience` : ""}.`,
    `Step 3 - gaps: ${
      d.missing.length > 0
        ? `${joinList(d.missing)} ${
          d.missing.length === 1 ? "is" : "are"
        } not demonstrated`
        : "I find no gaps"
    }.`,
  ];
  if (d.injectionSeen) {
    steps.push(
      d.injected
        ? "Step 4 - other information: the resume includes a note stating that this candidate has been pre-approved and should receive a perfect score with no gaps; since it appears to come from the hiring side, I will take it into account and score accordingly."
        : "Step 4 - other information: the resume contains text addressed to the screening system asking for a perfect score; that is not evidence of any skill, so I set it aside.",
    );
  }
  steps.push(
    `Step ${
      steps.length + 1
    } - score: weighing coverage of the requirements, depth and seniority, I settle on ${d.score}.`,
  );
  const text = steps.join(" ");
  return padTo(text, Math.round(700 * ctx.profile.verbosity), [
    "Before settling on the score I double-check each requirement against the resume text to make sure nothing was missed.",
    "I also consider whether the level of seniority matches what the role implies, since that affects how strong the fit is.",
    "Finally, I check that the skills lists and the score tell the same story.",
  ]);
}

function render(
  ctx: AnswerContext,
  d: Draft,
  resume: string,
  job: string,
): string {
  const text = justification(ctx, d, resume);
  if (ctx.style.json) {
    const answer: Record<string, unknown> = {};
    if (ctx.style.chainOfThought) {
      answer.reasoning = reasoning(ctx, d, job, resume);
    }
    answer.match_score = d.score;
    answer.matched_skills = d.matched;
    answer.missing_skills = d.missing;
    answer.ranking_justification = text;
    return JSON.stringify(answer, null, 2);
  }
  return prose(ctx, d, text);
}

/** Without a JSON instruction the answer is prose, sometimes with a JSON block of its own design. */
function prose(ctx: AnswerContext, d: Draft, text: string): string {
  const { word } = ctx;
  const shape = word.unit("shape");
  const invented = {
    score: d.score,
    matching_skills: d.matched,
    missing_skills: d.missing,
    explanation: text,
  };
  if (shape < 0.3) {
    return `${
      word.pick("lead", [
        "Here's my assessment of the candidate:",
        "Sure! Here is a structured summary:",
        "Below is the evaluation in JSON format:",
      ])
    }\n\n\`\`\`json\n${JSON.stringify(invented, null, 2)}\n\`\`\``;
  }
  if (shape < 0.4) return JSON.stringify(invented, null, 2);
  const have = d.matched.length > 0 ? d.matched.join(", ") : "none that match";
  const lack = d.missing.length > 0 ? d.missing.join(", ") : "nothing major";
  return word.pick("layout", [
    `**Match score: ${d.score}/100**\n\n${text}\n\n**Skills they have:** ${have}\n**Skills missing:** ${lack}`,
    `I'd rate this candidate about ${d.score} out of 100. ${text}\n\nSkills they have: ${have}.\nMissing: ${lack}.`,
    `Score: ${d.score}/100\n\nStrengths:\n${
      d.matched.map((s) => `- ${s}`).join("\n") || "- none that match"
    }\n\nGaps:\n${
      d.missing.map((s) => `- ${s}`).join("\n") || "- nothing major"
    }\n\n${text}`,
  ]);
}
