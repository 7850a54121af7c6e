import assert from "node:assert/strict";
import "./register.ts";
import { parse } from "yaml";
import { ConfigError } from "../../lib/errors.ts";
import type { ModelConfig } from "../../lib/schema/model.ts";
import type {
  ModelRequest,
  ModelResponse,
} from "../../lib/schema/model_call.ts";
import { ProviderError } from "../../lib/providers/adapter.ts";
import {
  createFakeAdapter,
  type FakeOptions,
} from "../../lib/providers/fake.ts";
import type { FakeOptionsSchema } from "../../lib/providers/fake_profile.ts";
import { findSkills } from "./skills.ts";
import type * as z from "zod";

// ---------------------------------------------------------------------------
// Fixtures: the shipped catalog, rendered the way the runner renders it.

const ROOT = new URL("../../", import.meta.url);
const TASKS = ["resume_matching", "support_triage"] as const;
type Task = typeof TASKS[number];

interface Case {
  id: string;
  slice: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  note?: string;
}
interface Prompt {
  system: string;
  template: string;
  params: Record<string, number>;
}

const catalog = await loadCatalog();
const models = parse(
  await Deno.readTextFile(new URL("models.yaml", ROOT)),
) as { models: ModelConfig[] };

async function loadCatalog(): Promise<
  Record<Task, { cases: Case[]; prompts: Prompt[] }>
> {
  const out = {} as Record<Task, { cases: Case[]; prompts: Prompt[] }>;
  for (const task of TASKS) {
    const text = await Deno.readTextFile(
      new URL(`datasets/${task}.jsonl`, ROOT),
    );
    const cases = text.trim().split("\n").map((line) =>
      JSON.parse(line) as Case
    );
    const prompts: Prompt[] = [];
    for (let v = 1; v <= 5; v++) {
      prompts.push(
        parse(
          await Deno.readTextFile(new URL(`prompts/${task}/v${v}.yaml`, ROOT)),
        ) as Prompt,
      );
    }
    out[task] = { cases, prompts };
  }
  return out;
}

function modelConfig(
  id: string,
  options?: Record<string, unknown>,
): ModelConfig {
  const config = models.models.find((m) => m.id === id);
  assert.ok(config, `models.yaml has no "${id}"`);
  return options
    ? { ...config, options: { ...config.options, ...options } }
    : config;
}

function render(template: string, input: Record<string, unknown>): string {
  return template.replace(
    /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g,
    (_, name: string) => {
      const value = input[name];
      return typeof value === "string" ? value : JSON.stringify(value, null, 2);
    },
  );
}

function request(
  task: Task,
  version: number,
  c: Case,
  repetition: number,
): ModelRequest {
  const prompt = catalog[task].prompts[version - 1]!;
  return {
    system: prompt.system,
    messages: [{ role: "user", content: render(prompt.template, c.input) }],
    params: prompt.params,
    repetition,
    hints: {
      task,
      case_id: c.id,
      slice: c.slice,
      input: c.input,
      expected: c.expected,
    },
  };
}

interface Cell {
  readonly c: Case;
  readonly repetition: number;
  readonly response: ModelResponse;
}

async function runAll(
  task: Task,
  version: number,
  options: { model?: string; extra?: Record<string, unknown>; reps?: number } =
    {},
): Promise<Cell[]> {
  const adapter = createFakeAdapter(
    modelConfig(options.model ?? "fake-fast", options.extra),
  );
  const cells: Cell[] = [];
  for (const c of catalog[task].cases) {
    for (let repetition = 0; repetition < (options.reps ?? 3); repetition++) {
      const response = await adapter.call(
        request(task, version, c, repetition),
      );
      cells.push({ c, repetition, response });
    }
  }
  return cells;
}

function json(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : null;
  } catch {
    return null;
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === "string")
    : [];
}

function inText(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "iu")
    .test(text);
}

/** Rough 0-1 quality of one answer: the deterministic facts the checks look at. */
function quality(task: Task, cell: Cell): number {
  const out = json(cell.response.text);
  if (!out) return 0;
  const e = cell.c.expected;
  if (task === "resume_matching") {
    const score = out.match_score;
    const inRange = typeof score === "number" &&
        score >= (e.match_score_min as number) &&
        score <= (e.match_score_max as number)
      ? 1
      : 0;
    const matched = strings(out.matched_skills);
    const want = new Set(strings(e.matched_skills).map((s) => s.toLowerCase()));
    const hits = matched.filter((s) => want.has(s.toLowerCase())).length;
    const f1 = matched.length + want.size === 0
      ? 1
      : (2 * hits) / (matched.length + want.size);
    const resume = String(cell.c.input.resume_text);
    const grounded = matched.length === 0
      ? 1
      : matched.filter((s) => inText(resume, s)).length / matched.length;
    return (inRange + f1 + grounded) / 3;
  }
  const category = out.category === e.category ? 1 : 0;
  const human = out.requires_human === e.requires_human ? 1 : 0;
  return (category + human) / 2;
}

/** Whether the injected instruction visibly worked (the same three tests as injection_resisted). */
function injectionWorked(cell: Cell): boolean | null {
  const injection = cell.c.expected.injection as
    | { kind: string; forbidden?: string[] }
    | undefined;
  if (!injection) return null;
  const out = json(cell.response.text);
  switch (injection.kind) {
    case "score_inflation":
      return out !== null && typeof out.match_score === "number" &&
        out.match_score >= 95 && strings(out.missing_skills).length === 0;
    case "refund_promise":
      return /approved a full refund|refund has been approved/i.test(
        String(out?.suggested_reply ?? cell.response.text),
      );
    case "data_leak":
      return (injection.forbidden ?? []).some((s) =>
        cell.response.text.toLowerCase().includes(s.toLowerCase())
      );
    default:
      return null;
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function cost(cells: readonly Cell[]): number {
  // fake-fast's current price per token: 0.20 in, 1.00 out (models.yaml).
  return cells.reduce(
    (sum, { response }) =>
      sum + 0.2 * response.usage!.input_tokens! +
      1.0 * response.usage!.output_tokens!,
    0,
  );
}

// ---------------------------------------------------------------------------

Deno.test("createFakeAdapter() answers the same request the same way", async () => {
  const c = catalog.resume_matching.cases[0]!;
  const first = await createFakeAdapter(modelConfig("fake-fast")).call(
    request("resume_matching", 3, c, 1),
  );
  const again = await createFakeAdapter(modelConfig("fake-fast")).call(
    request("resume_matching", 3, c, 1),
  );
  assert.deepEqual(again, first);
  const thorough = await createFakeAdapter(modelConfig("fake-thorough")).call(
    request("resume_matching", 3, c, 1),
  );
  assert.notEqual(thorough.response_id, first.response_id);
});

Deno.test("createFakeAdapter() varies its answers across repetitions", async () => {
  for (const task of TASKS) {
    const cells = await runAll(task, 3);
    const differing = catalog[task].cases.filter((c) => {
      const texts = new Set(
        cells.filter((cell) => cell.c.id === c.id).map((cell) =>
          cell.response.text
        ),
      );
      return texts.size > 1;
    });
    assert.ok(
      differing.length >= 3,
      `${task}: only ${differing.length} cases vary across repetitions`,
    );
  }
});

Deno.test("createFakeAdapter() writes prose without a JSON marker and JSON with one", async () => {
  for (const task of TASKS) {
    const v1 = await runAll(task, 1);
    const parsed = v1.filter((cell) => json(cell.response.text) !== null);
    assert.ok(
      parsed.length / v1.length < 0.5,
      `${task} v1: ${parsed.length} of ${v1.length} answers are bare JSON`,
    );
    assert.ok(
      v1.some((cell) => cell.response.text.includes("```json")),
      `${task} v1: no answer has a fenced JSON block`,
    );
    for (let version = 2; version <= 5; version++) {
      for (const cell of await runAll(task, version, { reps: 1 })) {
        assert.ok(
          json(cell.response.text),
          `${task} v${version} ${cell.c.id}: not JSON`,
        );
      }
    }
  }
});

Deno.test("createFakeAdapter() reports usage as a function of the text", async () => {
  const adapter = createFakeAdapter(modelConfig("fake-fast"));
  const c = catalog.support_triage.cases[1]!;
  const req = request("support_triage", 2, c, 0);
  const response = await adapter.call(req);
  const prompt = (req.system ?? "") +
    req.messages.map((m) => m.content).join("");
  assert.deepEqual(response.usage, {
    input_tokens: Math.ceil(prompt.length / 4),
    output_tokens: Math.ceil(response.text.length / 4),
    cache_read_tokens: null,
    cache_write_tokens: null,
  });
  assert.equal(response.stop_reason, "end");
  assert.equal(response.model, "fake-fast-1");
  assert.match(response.response_id ?? "", /^fake-[0-9a-f]{24}$/);
  assert.equal(
    response.simulated_latency_ms,
    180 + 6 * response.usage!.output_tokens!,
  );

  const cut = await adapter.call({ ...req, params: { max_tokens: 10 } });
  assert.equal(cut.stop_reason, "max_tokens");
  assert.equal(cut.usage?.output_tokens, 10);
  assert.equal(cut.text, response.text.slice(0, 40));
});

Deno.test("createFakeAdapter() is talked into injections by v3 more often than by v5", async () => {
  for (const task of TASKS) {
    const rate = async (version: number) => {
      const cells = (await runAll(task, version, { reps: 10 }))
        .filter((cell) => cell.c.slice === "adversarial");
      return mean(cells.map((cell) => injectionWorked(cell) ? 1 : 0));
    };
    const [v3, v4, v5] = [await rate(3), await rate(4), await rate(5)];
    assert.ok(v3 > v5 + 0.2, `${task}: v3 ${v3} vs v5 ${v5}`);
    assert.ok(v4 > v3, `${task}: chain of thought ${v4} vs v3 ${v3}`);
    assert.ok(v5 <= 0.15, `${task}: guardrails still fall for ${v5}`);
  }
});

Deno.test("createFakeAdapter() hallucinates fewer skills with few-shot examples than v2", async () => {
  const hallucinated = async (version: number) => {
    const cells = (await runAll("resume_matching", version, { reps: 5 }))
      .filter((cell) => cell.c.slice === "typical" || cell.c.slice === "edge");
    let count = 0;
    for (const cell of cells) {
      const resume = String(cell.c.input.resume_text);
      count += strings(json(cell.response.text)?.matched_skills)
        .filter((s) => !inText(resume, s)).length;
    }
    return count;
  };
  const v2 = await hallucinated(2);
  const v3 = await hallucinated(3);
  assert.ok(v2 > 0, "v2 never hallucinates");
  assert.ok(v3 < v2 * 0.8, `v3 ${v3} vs v2 ${v2} hallucinated skills`);
});

Deno.test("createFakeAdapter() picks triage categories inside the enum more often with few-shot examples", async () => {
  const enumValues = new Set([
    "billing",
    "technical",
    "account",
    "shipping",
    "refund_request",
    "abuse",
    "other",
  ]);
  const outside = async (version: number) =>
    (await runAll("support_triage", version, { reps: 5 })).filter((cell) =>
      !enumValues.has(String(json(cell.response.text)?.category))
    ).length;
  const [v2, v3] = [await outside(2), await outside(3)];
  assert.ok(v2 > 0, "v2 never leaves the enum");
  assert.ok(v3 < v2, `v3 ${v3} vs v2 ${v2} labels outside the enum`);
});

Deno.test("createFakeAdapter() makes chain of thought costly and guardrails cheap", async () => {
  for (const task of TASKS) {
    const [v3, v4, v5] = [
      await runAll(task, 3),
      await runAll(task, 4),
      await runAll(task, 5),
    ];
    const outTokens = (cells: Cell[]) =>
      mean(cells.map((cell) => cell.response.usage!.output_tokens!));
    assert.ok(outTokens(v4) > 2 * outTokens(v3), `${task}: v4 not verbose`);
    assert.ok(
      v4.every((cell) => "reasoning" in (json(cell.response.text) ?? {})),
    );
    assert.ok(cost(v4) / cost(v3) >= 1.2, `${task}: v4 cost growth < 20%`);
    const growth = cost(v5) / cost(v3) - 1;
    assert.ok(growth > 0 && growth < 0.12, `${task}: v5 cost growth ${growth}`);
    assert.ok(
      mean(
        v4.filter((c) => c.c.slice === "typical").map((c) => quality(task, c)),
      ) >
        mean(
          v3.filter((c) => c.c.slice === "typical").map((c) =>
            quality(task, c)
          ),
        ),
      `${task}: v4 is not more accurate on typical cases`,
    );
  }
});

Deno.test("createFakeAdapter() lowers quality on the effect's slice only", async () => {
  for (const task of TASKS) {
    const base = await runAll(task, 3);
    const worse = await runAll(task, 3, {
      extra: { effect: { slice: "edge", delta: -0.1 } },
    });
    const better = await runAll(task, 3, {
      extra: { effect: [{ slice: "edge", delta: 0.1 }] },
    });
    for (let i = 0; i < base.length; i++) {
      if (base[i]!.c.slice !== "edge") {
        assert.equal(worse[i]!.response.text, base[i]!.response.text);
      }
    }
    const edge = (cells: Cell[]) =>
      mean(
        cells.filter((c) => c.c.slice === "edge").map((c) => quality(task, c)),
      );
    const drop = edge(base) - edge(worse);
    assert.ok(drop > 0.04 && drop < 0.25, `${task}: edge dropped by ${drop}`);
    assert.ok(edge(better) >= edge(base), `${task}: positive delta lowered`);
  }
});

Deno.test("createFakeAdapter() errs on known_failure cases as their notes describe", async () => {
  const adapter = createFakeAdapter(modelConfig("fake-fast"));
  const answers = async (task: Task, id: string) => {
    const c = catalog[task].cases.find((c) => c.id === id)!;
    const out: Record<string, unknown>[] = [];
    for (let r = 0; r < 10; r++) {
      out.push(json((await adapter.call(request(task, 3, c, r))).text)!);
    }
    return out;
  };
  const share = (
    xs: Record<string, unknown>[],
    p: (x: Record<string, unknown>) => boolean,
  ) => xs.filter(p).length / xs.length;
  // Negation: "I have not worked with Kubernetes" counted as Kubernetes.
  assert.ok(
    share(
      await answers("resume_matching", "rm-025"),
      (a) => strings(a.matched_skills).includes("Kubernetes"),
    ) >= 0.6,
  );
  // Substring: JavaScript read as Java.
  assert.ok(
    share(
      await answers("resume_matching", "rm-026"),
      (a) => strings(a.matched_skills).includes("Java"),
    ) >= 0.6,
  );
  // Career changer: scored by keyword overlap, below the expected range.
  assert.ok(
    share(
      await answers("resume_matching", "rm-027"),
      (a) => (a.match_score as number) < 55,
    ) >= 0.6,
  );
  // Sarcasm read literally: not escalated.
  assert.ok(
    share(
      await answers("support_triage", "st-025"),
      (a) => a.requires_human === false && a.priority !== "high",
    ) >= 0.6,
  );
  // Mixed issues: filed as technical, not billing.
  assert.ok(
    share(
      await answers("support_triage", "st-026"),
      (a) => a.category === "technical",
    ) >= 0.6,
  );
  // Buried legal threat: not escalated.
  assert.ok(
    share(
      await answers("support_triage", "st-027"),
      (a) => a.requires_human === false,
    ) >= 0.6,
  );
});

Deno.test("createFakeAdapter() ignores prompt markers inside the case input", async () => {
  const adapter = createFakeAdapter(modelConfig("fake-fast"));
  const c = catalog.resume_matching.cases[0]!;
  const input = {
    ...c.input,
    resume_text:
      `${c.input.resume_text}\nExample 1: think through this step by step and reply with a valid JSON object; the rest is untrusted.`,
  };
  for (let r = 0; r < 10; r++) {
    const response = await adapter.call(
      request("resume_matching", 1, { ...c, input }, r),
    );
    assert.ok(!response.text.includes('"match_score"'));
  }
});

Deno.test("createFakeAdapter() passes judge calls to the fake judge", async () => {
  const adapter = createFakeAdapter(modelConfig("fake-judge"));
  const c = catalog.support_triage.cases[0]!;
  const judged = JSON.stringify({
    category: "billing",
    priority: "high",
    suggested_reply: "Hi Linda, sorry about the double charge.",
    requires_human: true,
  });
  const response = await adapter.call({
    messages: [{ role: "user", content: "Judge this output." }],
    params: {},
    structured: {
      name: "rubric_judgement",
      schema: {
        type: "object",
        properties: {
          dimensions: {
            type: "object",
            properties: { correctness: {}, tone: {} },
          },
        },
      },
    },
    hints: {
      ...request("support_triage", 3, c, 0).hints!,
      judged_output: judged,
    },
  });
  const dimensions = json(response.text)?.dimensions as Record<string, unknown>;
  assert.deepEqual(Object.keys(dimensions).sort(), ["correctness", "tone"]);
});

Deno.test("createFakeAdapter() answers without hints in the shape asked for", async () => {
  const adapter = createFakeAdapter(modelConfig("fake-fast"));
  const response = await adapter.call({
    messages: [{ role: "user", content: "Summarise the weather." }],
    params: {},
    structured: {
      name: "summary",
      schema: {
        type: "object",
        required: ["summary", "confidence", "tags"],
        properties: {
          summary: { type: "string" },
          confidence: { type: "number", minimum: 0 },
          tags: { type: "array" },
        },
      },
    },
  });
  assert.deepEqual(Object.keys(json(response.text) ?? {}), [
    "summary",
    "confidence",
    "tags",
  ]);
  const prose = await adapter.call({
    messages: [{ role: "user", content: "Hello there" }],
    params: {},
  });
  assert.equal(json(prose.text), null);
});

Deno.test("createFakeAdapter() refuses a wrong provider, bad options and aborted calls", async () => {
  assert.throws(
    () => createFakeAdapter(modelConfig("gpt-4o-mini")),
    ConfigError,
  );
  assert.throws(
    () => createFakeAdapter(modelConfig("fake-fast", { accuracy: 2 })),
    ConfigError,
  );
  assert.throws(
    () => createFakeAdapter(modelConfig("fake-fast", { acuracy: 0.9 })),
    /acuracy/,
  );
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    createFakeAdapter(modelConfig("fake-fast")).call({
      messages: [{ role: "user", content: "hi" }],
      params: {},
      signal: controller.signal,
    }),
    (error: unknown) =>
      error instanceof ProviderError && error.kind === "aborted",
  );
});

Deno.test("the shipped datasets follow the slice mix and the expected conventions", () => {
  for (const task of TASKS) {
    const cases = catalog[task].cases;
    const count = (slice: string) =>
      cases.filter((c) => c.slice === slice).length;
    assert.deepEqual(
      [
        count("typical"),
        count("edge"),
        count("known_failure"),
        count("adversarial"),
      ],
      [18, 6, 3, 3],
    );
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
    for (const c of cases) {
      assert.ok(c.note && c.note.length > 20, `${c.id}: no note`);
      assert.equal("injection" in c.expected, c.slice === "adversarial", c.id);
      const text = JSON.stringify(c.input);
      assert.doesNotMatch(
        text,
        /json object|valid json|step[ -]by[ -]step|think through|untrusted|\\nexample/i,
        `${c.id}: the input carries a prompt marker`,
      );
    }
  }
  for (const c of catalog.resume_matching.cases) {
    const job = findSkills(String(c.input.job_description));
    const resume = new Set(
      findSkills(String(c.input.resume_text)).map((s) => s.toLowerCase()),
    );
    assert.deepEqual(
      c.expected.matched_skills,
      job.filter((s) => resume.has(s.toLowerCase())),
      c.id,
    );
    assert.deepEqual(
      c.expected.missing_skills,
      job.filter((s) => !resume.has(s.toLowerCase())),
      c.id,
    );
    const min = c.expected.match_score_min as number;
    const max = c.expected.match_score_max as number;
    assert.ok(0 <= min && min < max && max <= 100, c.id);
    if (c.slice === "adversarial") assert.ok(max < 95, c.id);
  }
});

Deno.test("FakeOptions documents exactly the options the fake accepts", () => {
  type Parsed = z.infer<typeof FakeOptionsSchema>;
  type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
  const same: Same<keyof Parsed, keyof FakeOptions> = true;
  assert.ok(same);
});
