/**
 * How the fake provider answers a task it has no behaviour for: from the
 * task's own files. The output schema gives the answer's shape, the case's
 * expected values the right answer, the slice and the task's fake profile
 * (task.yaml `fake:`) the chance of a wrong one, and the task's
 * `injection_resisted` check what an obeyed injection looks like. A wrong
 * answer is wrong the way models are: another enum member, a near miss, a
 * missing or extra field, prose around the JSON, an answer cut off at
 * `max_tokens`.
 *
 * @module
 */
import type { FakeErrorKind, TaskFake } from "../schema/task.ts";
import {
  type AnswerContext,
  clamp01,
  errorScale,
  injectionRate,
  MODIFIERS,
  type Style,
} from "./fake_profile.ts";
import { asRecord, stringLeaves } from "./fake_text.ts";

type Json = Record<string, unknown>;

/** The chance an answer is right per slice, for the reference model (accuracy 0.8). */
export const GENERIC_ACCURACY: Readonly<Record<string, number>> = {
  typical: 0.8,
  edge: 0.7,
  known_failure: 0.4,
  adversarial: 0.8,
};

/** How a wrong answer is wrong when the task's profile does not say. */
export const GENERIC_ERRORS: Readonly<Record<FakeErrorKind, number>> = {
  "wrong_enum": 5,
  "near_miss": 2,
  "missing_field": 1,
  "extra_field": 1,
  prose: 0.5,
  truncated: 0.5,
};

/** Zero-shot chance of obeying an injection without a guardrail (as the demo tasks). */
const INJECTION_BASE = 0.6;
/** Few-shot examples halve the remaining errors... */
const FEW_SHOT_ERRORS = 0.6;
/** ...and make an injection a little less likely. */
const FEW_SHOT_INJECTION = 0.75;

/**
 * The chance this call's answer is wrong: the task profile's slice accuracy
 * (or the defaults) for the reference model, scaled by the model's accuracy
 * and the prompt's techniques.
 */
export function genericErrorChance(
  fake: TaskFake | undefined,
  slice: string,
  style: Style,
  modelAccuracy: number,
): number {
  const accuracy = sliceAccuracy(fake, slice);
  const techniques = (style.fewShot ? FEW_SHOT_ERRORS : 1) *
    (style.chainOfThought ? MODIFIERS.chainOfThoughtErrors : 1);
  return clamp01(
    (1 - accuracy) * errorScale({ accuracy: modelAccuracy }) * techniques,
  );
}

function sliceAccuracy(fake: TaskFake | undefined, slice: string): number {
  const given = fake?.accuracy;
  if (typeof given === "number") return given;
  return (given as Record<string, number | undefined> | undefined)?.[slice] ??
    GENERIC_ACCURACY[slice] ?? GENERIC_ACCURACY.typical!;
}

interface Property {
  readonly name: string;
  readonly schema: Json;
  readonly required: boolean;
}

/** Answers one call of a task the fake has no behaviour for. */
export function answerGeneric(ctx: AnswerContext): string {
  const { hints, style, decide } = ctx;
  const schema = asRecord(hints.output_schema) ?? { type: "object" };
  const expected: Json = { ...(hints.expected ?? {}) };
  const properties = propertiesOf(schema);
  const matter = fieldsThatMatter(hints.fake, properties, expected);
  const answer: Json = {};
  for (const property of properties) {
    if (!property.required && !(property.name in expected)) continue;
    answer[property.name] = rightValue(property, ctx);
  }

  let error: FakeErrorKind | null = null;
  const wrong = decide.unit("wrong") <
    genericErrorChance(hints.fake, hints.slice, style, ctx.profile.accuracy);
  if (wrong) error = errorKind(hints.fake, ctx);
  // A negative effect makes a right answer wrong (a wrong one stays as it
  // is: rewriting it could make it better); a positive one repairs it.
  for (const delta of ctx.effects) {
    if (delta > 0) error = null;
    else error ??= "wrong_enum";
  }

  let rewritten: Json = answer;
  if (error !== null) {
    const made = makeWrong(error, answer, matter, ctx);
    rewritten = made.answer;
    error = made.kind;
  }
  const obeyed = ctx.effects.some((d) => d > 0)
    ? false
    : obeyInjection(rewritten, properties, ctx);
  if (obeyed) error = error === "prose" || error === "truncated" ? error : null;
  return render(rewritten, error, properties, ctx);
}

function propertiesOf(schema: Json): Property[] {
  const properties = asRecord(schema.properties) ?? {};
  const required = new Set(
    Array.isArray(schema.required)
      ? schema.required.filter((k): k is string => typeof k === "string")
      : [],
  );
  const names = [
    ...Object.keys(properties),
    ...[...required].filter((k) => !(k in properties)),
  ];
  return names.map((name) => ({
    name,
    schema: asRecord(properties[name]) ?? {},
    required: required.has(name),
  }));
}

/** The fields a wrong answer gets wrong: the profile's, else the ones the case's expected values name. */
function fieldsThatMatter(
  fake: TaskFake | undefined,
  properties: readonly Property[],
  expected: Json,
): Property[] {
  const named = fake?.fields ??
    properties.map((p) => p.name).filter((name) => name in expected);
  const found = properties.filter((p) => named.includes(p.name));
  return found.length > 0 ? found : properties.filter((p) => p.required);
}

/** The right value of a field: the expected value, else the input's field of that name, else one the schema allows. */
function rightValue(property: Property, ctx: AnswerContext): unknown {
  const expected = ctx.hints.expected ?? {};
  if (property.name in expected) return expected[property.name];
  const input = ctx.hints.input;
  if (property.name in input && fits(input[property.name], property.schema)) {
    return input[property.name];
  }
  return exampleOf(property.schema, property.name, ctx);
}

function typeOf(schema: Json): string | undefined {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  return typeof type === "string" ? type : undefined;
}

function fits(value: unknown, schema: Json): boolean {
  if (Array.isArray(schema.enum)) return schema.enum.includes(value);
  switch (typeOf(schema)) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return asRecord(value) !== null;
    default:
      return true;
  }
}

/** A plausible value the schema allows, worded from the case input. */
function exampleOf(schema: Json, name: string, ctx: AnswerContext): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return ctx.decide.pick(`enum:${name}`, schema.enum);
  }
  if ("const" in schema) return schema.const;
  switch (typeOf(schema)) {
    case "object": {
      const out: Json = {};
      for (const property of propertiesOf(schema)) {
        if (property.required) {
          out[property.name] = exampleOf(
            property.schema,
            `${name}.${property.name}`,
            ctx,
          );
        }
      }
      return out;
    }
    case "array":
      return [];
    case "integer":
    case "number": {
      const min = typeof schema.minimum === "number" ? schema.minimum : 0;
      const max = typeof schema.maximum === "number"
        ? schema.maximum
        : min + 10;
      const value = min + (max - min) * ctx.decide.unit(`number:${name}`);
      return typeOf(schema) === "integer" ? Math.round(value) : value;
    }
    case "boolean":
      return ctx.decide.unit(`boolean:${name}`) < 0.5;
    case "null":
      return null;
    default:
      return summary(ctx, name);
  }
}

/** A short sentence about the case, worded by the prompt. */
function summary(ctx: AnswerContext, name: string): string {
  const words = stringLeaves(ctx.hints.input).join(" ").split(/\s+/)
    .filter((w) => /^[\p{L}\p{N}'-]+$/u.test(w)).slice(0, 12);
  const opening = ctx.word.pick(`opening:${name}`, [
    "The request is about",
    "This concerns",
    "In short:",
  ]);
  return words.length === 0
    ? `${opening} the case.`
    : `${opening} ${words.join(" ")}.`;
}

function errorKind(
  fake: TaskFake | undefined,
  ctx: AnswerContext,
): FakeErrorKind {
  const weights = fake?.errors ?? GENERIC_ERRORS;
  const kinds = (Object.keys(GENERIC_ERRORS) as FakeErrorKind[])
    .filter((k) => (weights[k] ?? 0) > 0);
  const total = kinds.reduce((s, k) => s + (weights[k] ?? 0), 0);
  let u = ctx.decide.unit("error_kind") * total;
  for (const kind of kinds) {
    u -= weights[kind] ?? 0;
    if (u < 0) return kind;
  }
  return kinds.at(-1) ?? "wrong_enum";
}

/** Rewrites a right answer into a wrong one of the given kind (or the nearest kind that applies). */
function makeWrong(
  kind: FakeErrorKind,
  answer: Json,
  matter: readonly Property[],
  ctx: AnswerContext,
): { answer: Json; kind: FakeErrorKind } {
  const { decide } = ctx;
  const out: Json = { ...answer };
  // An output with no field to get wrong can still be wrapped or cut short.
  if (matter.length === 0 && kind !== "prose" && kind !== "truncated") {
    return makeWrong("prose", answer, matter, ctx);
  }
  const target = decide.pick("error_field", matter);
  switch (kind) {
    case "wrong_enum": {
      const members = Array.isArray(target.schema.enum)
        ? target.schema.enum.filter((v) => v !== out[target.name])
        : [];
      if (members.length === 0) {
        return makeWrong("near_miss", answer, matter, ctx);
      }
      out[target.name] = decide.pick("wrong_member", members);
      return { answer: out, kind };
    }
    case "near_miss":
      out[target.name] = nearMiss(out[target.name], target.name, ctx);
      return { answer: out, kind };
    case "missing_field":
      delete out[target.name];
      return { answer: out, kind };
    case "extra_field": {
      const extra = decide.pick("extra_name", [
        "confidence",
        "explanation",
        "notes",
      ]);
      if (extra in out) {
        return makeWrong("near_miss", answer, matter, ctx);
      }
      out[extra] = extra === "confidence"
        ? Math.round(60 + 39 * decide.unit("confidence")) / 100
        : summary(ctx, extra);
      return { answer: out, kind };
    }
    case "prose":
    case "truncated":
      if (kind === "truncated" && ctx.maxTokens === undefined) {
        return { answer: out, kind: "prose" };
      }
      return { answer: out, kind };
  }
}

/** A value close to the right one: a misspelt or reworded label, a number a little off, a flipped flag, a list one short. */
function nearMiss(value: unknown, name: string, ctx: AnswerContext): unknown {
  const u = ctx.decide.unit(`near:${name}`);
  if (typeof value === "string") {
    if (value.includes("_")) return value.replaceAll("_", " ");
    if (value.endsWith("s")) return value.slice(0, -1);
    return u < 0.5 ? `${value}s` : `${value}_issue`;
  }
  if (typeof value === "number") {
    const step = Math.max(1, Math.round(Math.abs(value) * 0.1));
    return value + (u < 0.5 ? -step : step);
  }
  if (typeof value === "boolean") return !value;
  if (Array.isArray(value)) return value.slice(0, -1);
  return null;
}

/**
 * On an adversarial case: what the injection asks for, read from the task's
 * `injection_resisted` check (its canary, strings or patterns found in the
 * input) or the case's `expected.injection.forbidden`; obeyed at a rate set
 * by the prompt's techniques and the profile, written where the check looks.
 */
function obeyInjection(
  answer: Json,
  properties: readonly Property[],
  ctx: AnswerContext,
): boolean {
  const { hints, style, decide } = ctx;
  if (hints.slice !== "adversarial") return false;
  const attack = attackOf(ctx);
  if (attack === null) return false;
  const base = (hints.fake?.injection ?? INJECTION_BASE) *
    (style.fewShot ? FEW_SHOT_INJECTION : 1);
  if (decide.unit("injection") >= injectionRate(base, style, ctx.profile)) {
    return false;
  }
  const field = attack.field ??
    properties.find((p) => typeOf(p.schema) === "string" && !p.schema.enum)
      ?.name ??
    properties.find((p) => typeOf(p.schema) === "string")?.name ??
    "note";
  const current = answer[field];
  answer[field] = typeof current === "string" && attack.field === undefined
    ? `${current} ${attack.payload}`
    : attack.payload;
  return true;
}

function attackOf(
  ctx: AnswerContext,
): { payload: string; field: string | undefined } | null {
  const expected = ctx.hints.expected ?? {};
  const inputText = stringLeaves(ctx.hints.input).join("\n");
  for (const spec of ctx.hints.checks ?? []) {
    if (spec.name !== "injection_resisted") continue;
    const config = spec.config;
    const field = typeof config.field === "string" ? config.field : undefined;
    const canary = typeof config.canary === "string"
      ? expected[config.canary]
      : undefined;
    if (typeof canary === "string" && canary !== "") {
      return { payload: canary, field };
    }
    const strings = Array.isArray(config.strings)
      ? config.strings.filter((s): s is string => typeof s === "string")
      : [];
    const inInput = strings.find((s) =>
      inputText.toLowerCase().includes(s.toLowerCase())
    );
    if (inInput) return { payload: inInput, field };
    const patterns = Array.isArray(config.patterns)
      ? config.patterns.filter((s): s is string => typeof s === "string")
      : [];
    for (const source of patterns) {
      const match = new RegExp(source, "iu").exec(inputText);
      if (match) return { payload: match[0], field };
    }
    if (strings[0]) return { payload: strings[0], field };
  }
  const forbidden = asRecord(expected.injection)?.forbidden;
  if (Array.isArray(forbidden) && typeof forbidden[0] === "string") {
    return { payload: forbidden[0], field: undefined };
  }
  return null;
}

/** The answer as text: JSON when the prompt asks for it, else the shapes models choose on their own. */
function render(
  answer: Json,
  error: FakeErrorKind | null,
  properties: readonly Property[],
  ctx: AnswerContext,
): string {
  const { word, style } = ctx;
  const json = JSON.stringify(answer, null, 2);
  if (error === "truncated") {
    // A rambling preamble that runs past max_tokens before the JSON.
    const reason = `Let me think about this carefully before answering. ${
      summary(ctx, "preamble")
    } `;
    return `${
      reason.repeat(Math.ceil(((ctx.maxTokens ?? 0) * 4) / reason.length) + 1)
    }\n${json}`;
  }
  if (error === "prose") {
    return `${
      word.pick("prose", [
        "Sure! Here is my answer:",
        "Based on the input, this is the result:",
      ])
    }\n\n${json}\n\n${
      word.pick("prose_end", [
        "Let me know if you need anything else.",
        "I hope this helps.",
      ])
    }`;
  }
  if (style.json) return json;
  const shape = word.unit("shape");
  if (shape < 0.3) {
    return `Here is the answer:\n\n\`\`\`json\n${json}\n\`\`\``;
  }
  if (shape < 0.4) return json;
  const lines = properties.filter((p) => p.name in answer).map((p) => {
    const value = answer[p.name];
    const label = p.name.replace(/_/g, " ");
    return `**${label.charAt(0).toUpperCase()}${label.slice(1)}:** ${
      typeof value === "string" ? value : JSON.stringify(value)
    }`;
  });
  return lines.join("\n");
}
