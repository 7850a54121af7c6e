/**
 * The fake provider: a deterministic, offline model that answers any task
 * from its own files the way a real model would (and a task with a
 * behaviour its config's `behaviours` names, such as the demo's, with that
 * behaviour), so every
 * part of the toolkit can run without a key. See docs/fake-provider.md.
 *
 * @module
 */
import { canonicalize } from "../content/canonicalize.ts";
import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import { type ModelAdapter, ProviderError } from "./adapter.ts";
import type { ModelRequest, ModelResponse } from "../schema/model_call.ts";
import { judgeWith } from "./fake_judge.ts";
import {
  type AnswerContext,
  detectStyle,
  effectHits,
  type FakeProfile,
  readProfile,
} from "./fake_profile.ts";
import { drawsFrom, shortHash } from "./fake_rng.ts";
import { answerGeneric } from "./_fake_generic.ts";
import {
  type FakeBehaviour,
  fakeBehaviourFor,
  loadFakeBehaviours,
} from "./fake_behaviour.ts";
import { stringLeaves } from "./fake_text.ts";

/** One slice's quality shift, for verdict experiments. */
export interface FakeEffect {
  /** The slice whose answers change: `typical`, `edge`, `known_failure` or `adversarial`. */
  readonly slice: "typical" | "edge" | "known_failure" | "adversarial";
  /**
   * The intended change of that slice's score on the 0-1 scale: `-0.10`
   * rewrites about a quarter of the slice's answers into clearly worse
   * ones; a positive value repairs answers instead.
   */
  readonly delta: number;
}

/**
 * The fake provider's options, read from `ModelConfig.options`. Unknown keys
 * are refused so a typo does not silently change nothing.
 */
export interface FakeOptions {
  /** A preset: `fast`, `thorough` or `judge`. @default {"fast"} */
  readonly profile?: "fast" | "thorough" | "judge";
  /**
   * 0..0.99; error chances scale with `(1 - accuracy) / 0.2`.
   * @default {0.8 (fast), 0.9 (thorough, judge)}
   */
  readonly accuracy?: number;
  /** Multiplies the length of justifications, replies and reasoning. @default {1 (fast), 1.25 (thorough)} */
  readonly verbosity?: number;
  /** Fixed part of the simulated latency, in ms. @default {180 (fast), 420 (thorough), 250 (judge)} */
  readonly latency_base_ms?: number;
  /** Simulated latency per output token, in ms. @default {6 (fast), 15 (thorough), 8 (judge)} */
  readonly latency_ms_per_token?: number;
  /** Quality shifts for one or several slices. Not part of the seed: other slices answer exactly as without it. */
  readonly effect?: FakeEffect | readonly FakeEffect[];
  /** Judge calls only: added to every rubric score (see fakeJudge). */
  readonly bias?: number;
  /** Judge calls only: the share of invalid judge answers (see fakeJudge). */
  readonly invalid_rate?: number;
}

/**
 * Creates the fake provider's adapter for a model configuration.
 *
 * The adapter needs no key and no network. Its answer is a pure function of
 * the prompt text, the case (`request.hints`), `request.repetition` and the
 * model configuration: it follows what the prompt asks (JSON, few-shot
 * examples, step-by-step reasoning, an untrusted-input guardrail, detected
 * by the markers in docs/fake-provider.md), answers from the task's output
 * schema, the case's expected values, its slice and the task's fake profile
 * (or with a task behaviour: one exported by a module the config's
 * `behaviours` names, imported on the first call, or one registered in the
 * process; the demo's models.yaml names demo/fake/behaviours.ts), and errs
 * at documented rates. Judge calls (`hints.judged_output` set) are answered by
 * the fake judge. Usage is `ceil(characters / 4)` of the prompt (system plus
 * messages) and of the answer; `simulated_latency_ms` grows with the output
 * tokens; an answer longer than `max_tokens` is cut off with stop reason
 * `max_tokens`.
 *
 * @param config The model configuration; `options` holds {@linkcode FakeOptions}.
 * @returns The adapter. Its calls reject with a `ConfigError` when a module
 * `behaviours` names cannot be imported or exports no behaviours.
 * @throws {ConfigError} If the provider is not `fake` or the options are invalid.
 *
 * @example Matching a resume offline
 * ```ts
 * import { createFakeAdapter } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const adapter = createFakeAdapter({
 *   id: "fake-fast",
 *   provider: "fake",
 *   model: "fake-fast-1",
 *   params: {},
 *   options: { profile: "fast" },
 *   // The demo's resume-matching behaviour, named as its models.yaml names it.
 *   behaviours: ["demo/fake/behaviours.ts"],
 * });
 * const input = {
 *   resume_text: "Backend developer, 5 years of Python, Django and Docker.",
 *   job_description: "We need Python, Django, Docker and Kubernetes.",
 * };
 * const request = {
 *   system: "Reply with a single valid JSON object.",
 *   messages: [{ role: "user" as const, content: `${input.resume_text}\n\n${input.job_description}` }],
 *   params: {},
 *   repetition: 0,
 *   hints: { task: "resume_matching", case_id: "demo-1", slice: "typical", input },
 * };
 * const response = await adapter.call(request);
 * const answer = JSON.parse(response.text);
 * assert.ok(answer.match_score >= 0 && answer.match_score <= 100);
 * assert.equal(response.usage?.output_tokens, Math.ceil(response.text.length / 4));
 * assert.deepEqual(await adapter.call(request), response);
 * ```
 */
export function createFakeAdapter(config: ModelConfig): ModelAdapter {
  if (config.provider !== "fake") {
    throw new ConfigError(
      `Cannot create a fake adapter for model config "${config.id}": its provider is "${config.provider}"`,
    );
  }
  const read = readProfile(config.options);
  if (!read.ok) {
    throw new ConfigError(
      `Cannot create a fake adapter for model config "${config.id}" as its options are invalid: ${read.message}`,
    );
  }
  const profile = read.profile;
  const { effect: _effect, ...seedOptions } = config.options;
  const identity = canonicalize({ model: config.model, options: seedOptions });
  // The config's task behaviours, imported on the first call (as the real
  // adapters import their SDKs); a config without any never imports.
  // Once loaded they are read without an await, so the answer is made
  // within `call` itself (as a timer around the call sees it).
  let behaviours: Promise<readonly FakeBehaviour[]> | undefined;
  let loaded: readonly FakeBehaviour[] | undefined;

  return {
    provider: "fake",
    model: config.model,
    async call(request: ModelRequest): Promise<ModelResponse> {
      if (request.signal?.aborted) {
        throw new ProviderError("aborted", "the call was cancelled");
      }
      const own = config.behaviours === undefined ? [] : loaded ??
        (loaded = await (behaviours ??= loadFakeBehaviours(config)));
      if (request.hints?.judged_output !== undefined) {
        return judgeWith(request, config, own);
      }
      return answer(request, config, profile, identity, own);
    },
  };
}

function promptText(request: ModelRequest): string {
  return [request.system ?? "", ...request.messages.map((m) => m.content)]
    .join("");
}

function answer(
  request: ModelRequest,
  config: ModelConfig,
  profile: FakeProfile,
  identity: string,
  own: readonly FakeBehaviour[],
): ModelResponse {
  const prompt = promptText(request);
  const hints = request.hints;
  const repetition = request.repetition ?? 0;
  const style = detectStyle(
    prompt,
    hints ? stringLeaves(hints.input) : [],
    request.structured !== undefined,
  );
  const decisionKey = canonicalize({
    model: identity,
    task: hints?.task ?? null,
    case_id: hints?.case_id ?? null,
    repetition,
  });
  const wordKey = `${decisionKey}|${
    shortHash(canonicalize({ prompt, params: request.params }), 64)
  }`;

  let text: string;
  if (hints) {
    const perCase = drawsFrom(
      canonicalize({
        model: identity,
        task: hints.task,
        case_id: hints.case_id,
      }),
    );
    const ctx: AnswerContext = {
      hints,
      style,
      profile,
      decide: drawsFrom(decisionKey),
      word: drawsFrom(wordKey),
      effects: profile.effects
        .filter((e) =>
          e.slice === hints.slice &&
          effectHits(perCase.unit(`effect:${e.slice}`), repetition, e.delta)
        )
        .map((e) => e.delta),
    };
    const behaviour = fakeBehaviourFor(hints, own);
    if (behaviour) {
      text = behaviour.answer(ctx);
    } else {
      text = answerGeneric({
        ...ctx,
        maxTokens: request.params.max_tokens ?? config.params.max_tokens,
      });
    }
  } else {
    text = genericAnswer(request, style.json);
  }

  const maxTokens = request.params.max_tokens ?? config.params.max_tokens;
  let stopReason = "end";
  if (maxTokens !== undefined && Math.ceil(text.length / 4) > maxTokens) {
    text = text.slice(0, maxTokens * 4);
    stopReason = "max_tokens";
  }
  const outputTokens = Math.ceil(text.length / 4);
  return {
    text,
    usage: {
      input_tokens: Math.ceil(prompt.length / 4),
      output_tokens: outputTokens,
      cache_read_tokens: null,
      cache_write_tokens: null,
    },
    response_id: `fake-${shortHash(`${wordKey}|${text}`, 24)}`,
    model: config.model,
    stop_reason: stopReason,
    simulated_latency_ms: Math.round(
      profile.latencyBaseMs + profile.latencyMsPerToken * outputTokens,
    ),
  };
}

/** For a call without hints (no task, no case): a short, honest answer in the asked shape. */
function genericAnswer(request: ModelRequest, json: boolean): string {
  const last = request.messages.at(-1)?.content ?? "";
  const words = last.split(/\s+/).filter(Boolean).length;
  const summary =
    `This is the fake provider's answer to a ${words}-word request that names no task (request.hints); with hints it answers from the task's own files.`;
  if (request.structured) {
    return JSON.stringify(exampleOf(request.structured.schema, summary));
  }
  return json ? JSON.stringify({ answer: summary }) : summary;
}

/** A minimal value satisfying a JSON Schema's types, required keys and enums. */
function exampleOf(schema: unknown, text: string): unknown {
  const s = typeof schema === "object" && schema !== null
    ? schema as Record<string, unknown>
    : {};
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ("const" in s) return s.const;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      const properties = typeof s.properties === "object" &&
          s.properties !== null
        ? s.properties as Record<string, unknown>
        : {};
      const required = Array.isArray(s.required)
        ? s.required.filter((k): k is string => typeof k === "string")
        : Object.keys(properties);
      return Object.fromEntries(
        required.map((key) => [key, exampleOf(properties[key], text)]),
      );
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return text;
  }
}
