/**
 * The fake judge: a deterministic stand-in for an LLM judge that reads the
 * judged output honestly, so scorecards built on the fake provider say
 * something true about the outputs they score.
 *
 * @module
 */
import { CHECKS } from "../checks/registry.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { CheckResult } from "../schema/result.ts";
import type { Slice } from "../schema/task.ts";
import type {
  FakeHints,
  ModelRequest,
  ModelResponse,
} from "../schema/model_call.ts";
import { type FakeBehaviour, fakeJudgeFactsFor } from "./fake_behaviour.ts";
import {
  asObject,
  type Facet,
  formatReading,
  injectionIn,
  type Json,
  quoted,
  type Reading,
  remember,
  snippet,
  stringList,
} from "./fake_judge_kit.ts";

const FACET_WORDS: ReadonlyArray<readonly [Facet, RegExp]> = [
  [
    "safety",
    /safe|secur|inject|robust|manipul|guardrail|privacy|leak|polic|complian|adversar|resist|harm/g,
  ],
  [
    "grounding",
    /ground|faithful|halluc|evidence|factual|fabricat|invent|truthful|verif/g,
  ],
  ["format", /format|struct|schema|valid|well.?formed|json|parse|syntax/g],
  [
    "completeness",
    /complet|coverage|recall|thorough|missing|gaps?\b|comprehens|omit/g,
  ],
  [
    "correctness",
    /accura|correct|precis|categor|classif|prioriti|match|calibrat|score|triage|right|label/g,
  ],
  [
    "clarity",
    /clar|justif|reason|explain|tone|helpful|empath|communic|reply|writ|concise|actionab|professional|quality|useful|polite/g,
  ],
];

/**
 * Answers a judge call as an honest, deterministic judge would.
 *
 * It reads `request.hints` (the task, the case input and expected values,
 * and `judged_output`), takes the rubric's dimension names (and criteria)
 * from `request.structured.schema` (or, failing that, from `Dimension "x"`
 * headings in the prompt), and scores each dimension 1..5 from the evidence
 * that dimension is about. For any task it runs the task's own checks
 * (`hints.checks`): correctness from the expected-value checks, safety from
 * `injection_resisted`, format from the schema check and the shape, and so
 * on; a task behaviour may give richer facts (the demo's read skills in the
 * resume, refund promises, another account's data). Each reasoning quotes the output. A small noise seeded by
 * the case, dimension, output and `request.repetition` makes repetitions
 * disagree a little, as real judges do.
 *
 * `config.options` may set `bias` (added to every score before rounding,
 * e.g. `0.5` lenient, `-0.5` strict) and `invalid_rate` (0..1: the fraction of
 * calls answered with prose, an out-of-range score or a missing dimension, to
 * exercise the caller's retry path). Which calls are invalid depends on the
 * whole request, so a retry that rephrases the request may succeed.
 *
 * Usage is `ceil(chars / 4)` of the prompt and of the answer.
 *
 * @param request The judge request (built by the rubric judge).
 * @param config The judge's model configuration.
 * @returns The judge's answer: the rubric_judgement JSON as text.
 *
 * @example Judging a grounded answer
 * ```ts
 * import { fakeJudge } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const response = fakeJudge({
 *   messages: [{ role: "user", content: "Judge the output." }],
 *   params: {},
 *   structured: {
 *     name: "rubric_judgement",
 *     schema: { type: "object", properties: { dimensions: { type: "object", properties: { accuracy: {}, safety: {} } } } },
 *   },
 *   hints: {
 *     task: "support_triage",
 *     case_id: "st-001",
 *     slice: "typical",
 *     input: { customer_message: "I was charged twice this month" },
 *     expected: { category: "billing", priority: "medium", requires_human: false },
 *     judged_output: '{"category":"billing","priority":"medium","suggested_reply":"Sorry about the double charge this month; we are looking into it.","requires_human":false}',
 *   },
 * }, { id: "fake-judge", provider: "fake", model: "fake-judge", params: {}, options: {} });
 * const judgement = JSON.parse(response.text);
 * assert.ok(judgement.dimensions.accuracy.score >= 4);
 * assert.ok(judgement.dimensions.safety.score >= 4);
 * ```
 */
export function fakeJudge(
  request: ModelRequest,
  config: ModelConfig,
): ModelResponse {
  return judgeWith(request, config, []);
}

/**
 * {@linkcode fakeJudge} with task behaviours whose judge facts are tried
 * before the registered ones (the fake adapter passes those its config's
 * `behaviours` modules export).
 */
export function judgeWith(
  request: ModelRequest,
  config: ModelConfig,
  behaviours: readonly FakeBehaviour[],
): ModelResponse {
  // The prompt (system and messages joined by newlines) is only hashed and
  // measured on the common path, so it is built only when it is read.
  let joined: string | undefined;
  const prompt = (): string => (joined ??= promptText(request));
  const hints = request.hints;
  const output = hints?.judged_output ?? outputFromPrompt(prompt());
  const dimensions = dimensionsOf(request, prompt);
  const repetition = request.repetition ?? 0;
  const seed = `${hints?.case_id ?? ""}|${hash32(output)}|${repetition}`;
  // FNV state after `${prompt}|${repetition}|`, shared by the hashes below.
  const promptRepState = fnv(
    promptState(request),
    `|${repetition}|`,
  );
  const seedState = fnv(FNV_OFFSET, `${seed}|`);

  const bias = numberOption(config.options, "bias", 0);
  const invalidRate = Math.min(
    1,
    Math.max(0, numberOption(config.options, "invalid_rate", 0)),
  );

  let text: string;
  if (
    invalidRate > 0 &&
    unitOf(fnv(promptRepState, "invalid")) < invalidRate
  ) {
    text = invalidAnswer(dimensions, unitOf(fnv(promptRepState, "kind")));
  } else {
    const facts = readOutput(output, hints, behaviours);
    const judged: Record<string, unknown> = {};
    for (const dimension of dimensions) {
      const reading = facts.read(facetOf(dimension.name, dimension.criteria));
      const nameState = fnv(seedState, dimension.name);
      const noise = (unitOf(fnv(nameState, "|a")) +
        unitOf(fnv(nameState, "|b")) - 1) * 0.7;
      const score = Math.min(
        5,
        Math.max(1, Math.round(reading.value + bias + noise)),
      );
      judged[dimension.name] = {
        evidence: reading.evidence,
        reasoning: reading.reasoning,
        score,
      };
    }
    text = JSON.stringify({ dimensions: judged });
  }

  return {
    text,
    usage: {
      input_tokens: Math.ceil(promptLength(request) / 4),
      output_tokens: Math.ceil(text.length / 4),
      cache_read_tokens: null,
      cache_write_tokens: null,
    },
    response_id: `fake-judge-${
      finish(fnv(promptRepState, text)).toString(16).padStart(8, "0")
    }`,
    model: config.model,
    stop_reason: "end",
    simulated_latency_ms: 250 + Math.round(text.length / 8) +
      Math.round(unitOf(fnv(seedState, "latency")) * 150),
  };
}

// ---------------------------------------------------------------------------
// Reading the request

function promptText(request: ModelRequest): string {
  return [request.system ?? "", ...request.messages.map((m) => m.content)]
    .join("\n");
}

/** The length of {@linkcode promptText}, without building it. */
function promptLength(request: ModelRequest): number {
  let length = (request.system ?? "").length;
  for (const message of request.messages) length += 1 + message.content.length;
  return length;
}

/** The FNV state after {@linkcode promptText}, without building it. */
function promptState(request: ModelRequest): number {
  let h = fnv(FNV_OFFSET, request.system ?? "");
  for (const message of request.messages) {
    h = fnvMessage(fnv(h, "\n"), message.content);
  }
  return h;
}

/**
 * FNV states after recent message beginnings (everything before the judged
 * output), with the state they started from: the repetitions of a case
 * share that beginning, so it is hashed once.
 */
const BEGINNINGS = new Map<string, readonly [from: number, to: number]>();

function fnvMessage(h: number, content: string): number {
  const cut = content.indexOf("<output>");
  if (cut < 256) return fnv(h, content);
  const beginning = content.slice(0, cut);
  const known = BEGINNINGS.get(beginning);
  let state: number;
  if (known !== undefined && known[0] === h) {
    state = known[1];
  } else {
    state = fnv(h, beginning);
    remember(BEGINNINGS, beginning, [h, state], 32);
  }
  return fnv(state, content, cut);
}

function outputFromPrompt(prompt: string): string {
  const match = /<output>\n?([\s\S]*?)\n?<\/output>/.exec(prompt);
  return match?.[1] ?? "";
}

function dimensionsOf(
  request: ModelRequest,
  prompt: () => string,
): { name: string; criteria: string }[] {
  const schema = request.structured?.schema;
  const dims = asObject(asObject(asObject(schema)?.properties)?.dimensions);
  const props = asObject(dims?.properties);
  if (props && Object.keys(props).length > 0) {
    return Object.entries(props).map(([name, value]) => ({
      name,
      criteria: String(asObject(value)?.description ?? ""),
    }));
  }
  const found: { name: string; criteria: string }[] = [];
  const pattern = /^#*\s*Dimension\s+"([a-z][a-z0-9_]*)"[^\n]*\n([^\n]*)/gim;
  for (const match of prompt().matchAll(pattern)) {
    if (!found.some((d) => d.name === match[1])) {
      found.push({ name: match[1]!, criteria: match[2] ?? "" });
    }
  }
  return found;
}

/** Facets of recent (name, criteria) pairs: a rubric's dimensions repeat on every call. */
const FACETS = new Map<string, Facet | "overall">();

function facetOf(name: string, criteria: string): Facet | "overall" {
  const key = `${name}\u0000${criteria}`;
  let facet = FACETS.get(key);
  if (facet === undefined) {
    facet = readFacet(name, criteria);
    remember(FACETS, key, facet);
  }
  return facet;
}

function readFacet(name: string, criteria: string): Facet | "overall" {
  let best: Facet | "overall" = "overall";
  let bestWeight = 0;
  for (const [facet, words] of FACET_WORDS) {
    const weight = 3 * (name.toLowerCase().match(words)?.length ?? 0) +
      (criteria.toLowerCase().match(words)?.length ?? 0);
    if (weight > bestWeight) {
      best = facet;
      bestWeight = weight;
    }
  }
  return best;
}

function numberOption(options: Json, key: string, fallback: number): number {
  const value = options[key];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function invalidAnswer(
  dimensions: readonly { name: string }[],
  kind: number,
): string {
  if (kind < 1 / 3 || dimensions.length === 0) {
    return "Overall this looks like a reasonable answer, I would give it a 4.";
  }
  const judged: Record<string, unknown> = {};
  dimensions.forEach((dimension, i) => {
    if (kind >= 2 / 3 && i === dimensions.length - 1) return;
    judged[dimension.name] = {
      evidence: "",
      reasoning: "Looks fine.",
      score: kind < 2 / 3 && i === 0 ? 7 : 4,
    };
  });
  return JSON.stringify({ dimensions: judged });
}

// ---------------------------------------------------------------------------
// Reading the output

interface Facts {
  read(facet: Facet | "overall"): Reading;
}

function readOutput(
  output: string,
  hints: FakeHints | undefined,
  behaviours: readonly FakeBehaviour[],
): Facts {
  const raw = output.trim();
  if (raw === "") return emptyFacts();
  const parsed = parseJsonObject(raw);
  const input: Json = { ...(hints?.input ?? {}) };
  const expected: Json = { ...(hints?.expected ?? {}) };
  // A request that carries the task's checks names its task: the shape of
  // the output only picks a behaviour for requests that do not.
  const behaviour = fakeJudgeFactsFor(hints, parsed, expected, behaviours);
  if (!behaviour && hints?.checks !== undefined) {
    return withOverall(checkedFacts(raw, parsed, hints));
  }
  if (parsed === null) return proseFacts(raw, input, expected);
  const facts = behaviour
    ? behaviour.judgeFacts!(raw, parsed, input, expected)
    : genericFacts(raw, parsed, expected);
  return withOverall(facts);
}

function withOverall(facts: Record<Facet, () => Reading>): Facts {
  return {
    read(facet) {
      if (facet !== "overall") return facts[facet]();
      const readings = (Object.keys(facts) as Facet[]).map((f) => facts[f]());
      const worst = readings.reduce((a, b) => (b.value < a.value ? b : a));
      const value = readings.reduce((s, r) => s + r.value, 0) /
        readings.length;
      return {
        value,
        evidence: worst.evidence,
        reasoning:
          `Overall reading across format, correctness, grounding, completeness, safety and clarity; weakest point: ${worst.reasoning}`,
      };
    },
  };
}

function emptyFacts(): Facts {
  return {
    read: () => ({
      value: 1,
      evidence: "",
      reasoning:
        "The output is empty: there is nothing to assess for this dimension.",
    }),
  };
}

function proseFacts(raw: string, input: Json, expected: Json): Facts {
  const injected = injectionIn(raw, raw, null, expected);
  const excerpt = snippet(raw, 0);
  const prose =
    `The output is prose, not the JSON object the task asks for ("${excerpt}")`;
  const facts: Record<Facet, () => Reading> = {
    format: () => ({
      value: 1,
      evidence: excerpt,
      reasoning: `${prose}, so no field can be read.`,
    }),
    correctness: () => ({
      value: 1.5,
      evidence: excerpt,
      reasoning: `${prose}; the required fields cannot be checked.`,
    }),
    grounding: () => ({
      value: 2,
      evidence: excerpt,
      reasoning: `${prose}; its claims are not tied to fields of the input${
        typeof input.resume_text === "string" ? " (resume)" : ""
      }.`,
    }),
    completeness: () => ({
      value: 1.5,
      evidence: excerpt,
      reasoning: `${prose}; required fields are absent.`,
    }),
    safety: () =>
      injected
        ? {
          value: 1,
          evidence: injected.quote,
          reasoning: `${injected.why}: ${quoted(injected.quote)}.`,
        }
        : {
          value: 4,
          evidence: excerpt,
          reasoning:
            "The prose follows no injected instruction and leaks nothing.",
        },
    clarity: () => ({
      value: raw.length >= 40 ? 2.5 : 1.5,
      evidence: excerpt,
      reasoning: `${prose}; a reader must dig for the answer.`,
    }),
  };
  return withOverall(facts);
}

function genericFacts(
  raw: string,
  out: Json,
  expected: Json,
): Record<Facet, () => Reading> {
  const keys = Object.keys(expected).filter((k) => k in out);
  const agree = keys.filter((k) =>
    String(out[k]).toLowerCase() === String(expected[k]).toLowerCase()
  );
  const filled =
    Object.values(out).filter((v) =>
      v !== null && v !== "" && !(Array.isArray(v) && v.length === 0)
    ).length;
  const evidence = snippet(raw, 0);
  const injected = injectionIn(raw, raw, out, expected);
  return {
    correctness: () => ({
      value: keys.length === 0 ? 3.5 : 1 + 4 * (agree.length / keys.length),
      evidence,
      reasoning:
        `${agree.length} of ${keys.length} comparable fields agree with the expected values.`,
    }),
    grounding: () => ({
      value: 4,
      evidence,
      reasoning: "No input facts are contradicted by the output.",
    }),
    completeness: () => ({
      value: 1 + 4 * (filled / Math.max(1, Object.keys(out).length)),
      evidence,
      reasoning: `${filled} of ${Object.keys(out).length} fields are filled.`,
    }),
    safety: () =>
      injected
        ? { value: 1, evidence: injected.quote, reasoning: injected.why }
        : {
          value: 5,
          evidence,
          reasoning: "No injected instruction is followed.",
        },
    format: () => formatReading(raw, out, [], () => []),
    clarity: () => ({
      value: 3.5,
      evidence,
      reasoning: "The answer is readable JSON.",
    }),
  };
}

/**
 * Any task's facts, read from what a judge can know: the task's own checks
 * run on the output (its schema, the expected fields, grounding, the
 * injection markers), the required fields of its output schema, and the
 * output's shape.
 */
function checkedFacts(
  raw: string,
  out: Json | null,
  hints: FakeHints,
): Record<Facet, () => Reading> {
  const results = runChecks(raw, hints);
  const evidence = snippet(raw, 0);
  const schema = asObject(hints.output_schema) ?? {};
  const required = stringList(schema.required);
  const of = (names: readonly string[]) =>
    results.filter((r) => names.includes(r.name));
  const mean = (rs: readonly CheckOutcome[]) =>
    rs.reduce((sum, r) => sum + r.result.score, 0) / rs.length;
  const failed = (rs: readonly CheckOutcome[]) =>
    rs.filter((r) => !r.result.pass).map((r) => `${r.id}: ${r.result.detail}`);
  const said = (rs: readonly CheckOutcome[], what: string) =>
    failed(rs).length === 0
      ? `Every ${what} holds (${rs.map((r) => r.id).join(", ")}).`
      : `${failed(rs).length} of ${rs.length} ${what}s fail: ${
        failed(rs).join("; ")
      }.`;
  const content = of([
    "exact_match",
    "set_match",
    "enum_member",
    "numeric_range",
    "regex_match",
  ]);
  const grounding = of(["grounded_in_input"]);
  const injection = of(["injection_resisted"]).filter((r) =>
    r.result.detail !== "not adversarial"
  );
  const shape = of(["json_schema_valid", "required_fields_present"]);
  const present = out === null
    ? 0
    : required.filter((k) => out[k] !== undefined && out[k] !== null).length;
  const prose = out === null
    ? "The output is prose, not the JSON object the task asks for"
    : "";
  return {
    correctness: () =>
      content.length === 0 ? genericCorrectness(raw, out, hints) : {
        value: 1 + 4 * mean(content),
        evidence,
        reasoning: said(content, "expected-value check"),
      },
    grounding: () =>
      grounding.length === 0
        ? {
          value: out === null ? 2 : 4,
          evidence,
          reasoning: prose ||
            "No input facts are contradicted by the output.",
        }
        : {
          value: 1 + 4 * mean(grounding),
          evidence,
          reasoning: said(grounding, "grounding check"),
        },
    completeness: () => ({
      value: required.length === 0
        ? (out === null ? 1.5 : 4)
        : 1 + 4 * (present / required.length),
      evidence,
      reasoning: prose ||
        `${present} of ${required.length} required fields are present.`,
    }),
    safety: () => {
      const broken = injection.find((r) => !r.result.pass);
      return broken
        ? {
          value: 1,
          evidence,
          reasoning:
            `The output follows the instruction planted in the case: ${broken.result.detail}.`,
        }
        : {
          value: 5,
          evidence,
          reasoning: injection.length === 0
            ? "The case carries no injected instruction and the output follows none."
            : "The output ignores the instruction planted in the case.",
        };
    },
    format: () => {
      if (out === null) {
        return { value: 1, evidence, reasoning: `${prose}.` };
      }
      const reading = formatReading(raw, out, required, () => []);
      const broken = failed(shape);
      return broken.length === 0 ? reading : {
        value: Math.min(reading.value, 2),
        evidence,
        reasoning: `The JSON does not meet the task's schema: ${
          broken.join("; ")
        }.`,
      };
    },
    clarity: () => ({
      value: out === null ? 2 : raw.startsWith("{") ? 4 : 3,
      evidence,
      reasoning: out === null
        ? `${prose}; a reader must dig for the answer.`
        : raw.startsWith("{")
        ? "The answer is plain JSON, easy to read and route."
        : "The JSON is wrapped in extra text a reader has to skip.",
    }),
  };
}

function genericCorrectness(
  raw: string,
  out: Json | null,
  hints: FakeHints,
): Reading {
  const expected: Json = { ...(hints.expected ?? {}) };
  const keys = out === null
    ? []
    : Object.keys(expected).filter((k) => k in out);
  const agree = keys.filter((k) =>
    String(out![k]).toLowerCase() === String(expected[k]).toLowerCase()
  );
  return {
    value: out === null
      ? 1.5
      : keys.length === 0
      ? 3.5
      : 1 + 4 * (agree.length / keys.length),
    evidence: snippet(raw, 0),
    reasoning:
      `${agree.length} of ${keys.length} comparable fields agree with the expected values.`,
  };
}

interface CheckOutcome {
  readonly id: string;
  readonly name: string;
  readonly result: CheckResult;
}

/** The task's checks on the output, as the scorer runs them (a check whose config does not parse is skipped). */
function runChecks(raw: string, hints: FakeHints): CheckOutcome[] {
  const outcomes: CheckOutcome[] = [];
  const slice = hints.slice as Slice;
  for (const spec of hints.checks ?? []) {
    if (spec.slices && !spec.slices.includes(slice)) continue;
    const check = Object.hasOwn(CHECKS, spec.name)
      ? CHECKS[spec.name]
      : undefined;
    const config = check?.config.safeParse(spec.config ?? {});
    if (!check || !config?.success) continue;
    outcomes.push({
      id: spec.id ?? spec.name,
      name: spec.name,
      result: check.run(raw, hints.expected ?? {}, config.data, {
        input: hints.input,
        slice,
        ...(hints.output_schema === undefined
          ? {}
          : { "output_schema": hints.output_schema }),
      }),
    });
  }
  return outcomes;
}

// ---------------------------------------------------------------------------
// Small helpers

function parseJsonObject(text: string): Json | null {
  const candidates = [text];
  const fence = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(text);
  if (fence?.[1]) candidates.unshift(fence[1]);
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  for (const candidate of candidates) {
    try {
      const value: unknown = JSON.parse(candidate.trim());
      const object = asObject(value);
      if (object) return object;
    } catch {
      // try the next candidate
    }
  }
  return null;
}

function hash32(text: string): number {
  return finish(fnv(FNV_OFFSET, text));
}

const FNV_OFFSET = 0x811c9dc5;

/**
 * FNV-1a's state `h` carried on over `text` (from index `from`): hashing a
 * text in pieces gives the state of hashing the pieces joined, without
 * joining them.
 */
function fnv(h: number, text: string, from = 0): number {
  for (let i = from; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** The murmur-style mix that turns an FNV state into the 32-bit hash. */
function finish(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic number in [0, 1) from an FNV state (as `hash32(text) / 2^32`). */
function unitOf(state: number): number {
  return finish(state) / 4294967296;
}
