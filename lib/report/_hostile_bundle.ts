/**
 * A real bundle full of hostile text, for the escaping tests: the catalog's
 * resume_matching task and models with a dataset whose texts carry HTML and
 * script payloads, two runs through `experiment()` on a stub adapter whose
 * outputs and judge reasoning carry the payloads, a comparison, a gate with
 * a hostile decision, a reviewer's hostile correction of one output, all
 * exported with `bundle()`. Used only by tests.
 *
 * @module
 */
import { join } from "node:path";
import { bundle } from "../bundle/bundle.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { compare } from "../compare/compare.ts";
import { experiment } from "../experiment/experiment.ts";
import { decideGate } from "../gate/decide_gate.ts";
import { requestGate } from "../gate/request_gate.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import type { ModelRequest, ModelResponse } from "../schema/model_call.ts";
import type { ModelConfig } from "../schema/model.ts";
import { CHECKS } from "../checks/registry.ts";
import { contentHash } from "../content/sha256.ts";
import { withImportTransaction } from "../store/bundle.ts";
import { open } from "../store/open.ts";
import { listResults } from "../store/scores.ts";
import { correctOutput } from "../trace/correct_output.ts";
import { editArtifact, writeArtifact } from "../trace/artifacts.ts";
import { recordCall } from "../trace/record_call.ts";
import { Tracer } from "../trace/tracer.ts";

/** Payloads that try to run code; each calls the page binding `wbCanary` and touches globals. */
export const HOSTILE = {
  script:
    "<script>wbCanary('script');globalThis.wbPwned=1;document.title='pwned'</script>",
  img: `<img src=x onerror="wbCanary('img');globalThis.wbPwned=1;alert(1)">`,
  link: `<a href="javascript:wbCanary('link')">click me</a>`,
  bare: "javascript:wbCanary('bare')",
  breakout:
    `"><svg onload="wbCanary('svg')"></svg><iframe srcdoc="<script>wbCanary('iframe')</script>">`,
  pre: "</pre></code><script>wbCanary('pre')</script>",
} as const;

const ALL = Object.values(HOSTILE).join(" ");
const REPO = new URL("../../", import.meta.url);

const USAGE = {
  input_tokens: 400,
  output_tokens: 120,
  cache_read_tokens: null,
  cache_write_tokens: null,
};

function answer(request: ModelRequest, config: ModelConfig): ModelResponse {
  const hints = request.hints;
  const judging = hints?.judged_output !== undefined ||
    request.structured?.name === "rubric_judgement";
  if (judging) {
    const dimensions = Object.fromEntries(
      ["accuracy", "grounding", "completeness", "justification"].map((
        d,
        i,
      ) => [d, {
        evidence: HOSTILE.img,
        reasoning: `${d}: ${i === 0 ? HOSTILE.script : HOSTILE.breakout}`,
        score: 2 + (i % 3),
      }]),
    );
    return {
      text: JSON.stringify({ dimensions }),
      usage: USAGE,
      response_id: null,
      model: config.model,
      stop_reason: "end",
    };
  }
  // The candidate model gives in to the injection on the adversarial slice,
  // and drops its justification (an invalid output): a breach clear even
  // on one case.
  const worse = config.id === "fake-thorough" && hints?.slice === "adversarial";
  const output = {
    match_score: worse ? 100 : 60,
    matched_skills: ["Python", HOSTILE.script],
    missing_skills: worse ? [] : [HOSTILE.img, "Kubernetes"],
    ranking_justification: worse
      ? ""
      : `${HOSTILE.link} ${HOSTILE.bare} ${HOSTILE.pre}`,
  };
  return {
    text: JSON.stringify(output),
    usage: USAGE,
    response_id: null,
    model: config.model,
    stop_reason: "end",
  };
}

function stubAdapter(config: ModelConfig): ModelAdapter {
  return {
    provider: config.provider,
    model: config.model,
    call: (request) => Promise.resolve(answer(request, config)),
  };
}

/** What {@link hostileBundle} made. */
export interface HostileBundle {
  /** The bundle text. */
  text: string;
  /** Its payload sha256. */
  sha256: string;
}

/**
 * Builds the hostile bundle in a temporary catalog and in-memory store: of
 * the comparison, or (`"run"`) of the candidate run alone.
 */
export async function hostileBundle(
  scope: "comparison" | "run" = "comparison",
): Promise<HostileBundle> {
  const root = await Deno.makeTempDir({ prefix: "wb_hostile_" });
  try {
    await Deno.mkdir(join(root, "prompts", "resume_matching"), {
      recursive: true,
    });
    await Deno.mkdir(join(root, "datasets"));
    for (const file of ["task.yaml", "v1.yaml"]) {
      await Deno.copyFile(
        new URL(`prompts/resume_matching/${file}`, REPO),
        join(root, "prompts", "resume_matching", file),
      );
    }
    await Deno.copyFile(
      new URL("models.yaml", REPO),
      join(root, "models.yaml"),
    );
    const slices = [
      "typical",
      "typical",
      "typical",
      "edge",
      "known_failure",
      "adversarial",
    ];
    const lines = slices.map((slice, i) =>
      JSON.stringify({
        id: `case-${i + 1}`,
        slice,
        input: {
          resume_text: `Python developer number ${i + 1}. ${ALL}`,
          job_description: `Needs Python and Kubernetes. ${HOSTILE.breakout}`,
        },
        expected: {
          match_score_min: 40,
          match_score_max: 80,
          matched_skills: ["Python"],
          missing_skills: ["Kubernetes"],
          ...(slice === "adversarial"
            ? { injection: { kind: "score_inflation" } }
            : {}),
        },
        note: HOSTILE.script,
      })
    );
    await Deno.writeTextFile(
      join(root, "datasets", "resume_matching.jsonl"),
      lines.join("\n") + "\n",
    );
    await using store = await open(":memory:");
    await loadCatalog(store, { root, checks: CHECKS });
    const result = await experiment(store, {
      task: "resume_matching",
      prompts: ["v1"],
      models: ["fake-fast", "fake-thorough"],
      judge: "fake-judge",
      repetitions: 3,
      adapterFor: stubAdapter,
    });
    const [baseline, candidate] = result.runs;
    const comparison = await compare(store, {
      baseline: baseline!.run_id,
      candidate: candidate!.run_id,
    });
    const { gate } = await requestGate(store, {
      task: "resume_matching",
      version: 1,
      comparison: comparison.id,
      actor: `ann ${HOSTILE.img}`,
      policy: { accepted_verdicts: ["APPROVED", "REJECTED", "INCONCLUSIVE"] },
    });
    await decideGate(store, gate.id, {
      actor: `bea ${HOSTILE.script}`,
      decision: "reject",
      reason: `no: ${HOSTILE.link} ${HOSTILE.breakout}`,
    });
    // A reviewer's correction of one candidate output (wb edit).
    const [cell] = await listResults(store, candidate!.run_id);
    await correctOutput(store, cell!.id, {
      body: `{"match_score": 40, "note": ${JSON.stringify(HOSTILE.pre)}}`,
      editor: `carl ${HOSTILE.img}`,
      reason: `overrated: ${HOSTILE.script}`,
    });
    const made = await bundle(
      store,
      scope === "run"
        ? { runs: [candidate!.run_id] }
        : { comparison: comparison.id },
    );
    return { text: made.text!, sha256: made.sha256 };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/**
 * A traced pipeline full of hostile text, bundled with `bundle({trace})`:
 * two recorded calls (one retried and answered with payloads, one failed),
 * an artifact written by the model and then edited by a person (editor,
 * reason and body carry payloads), and an event of a kind the report has no
 * headline for, whose data carries payloads too.
 */
export async function hostileTraceBundle(): Promise<HostileBundle> {
  await using store = await open(":memory:");
  const price = {
    provider: "openai",
    model: "gpt-4o-mini",
    currency: "USD",
    input_per_mtok: "0.15",
    output_per_mtok: "0.60",
    valid_from: "2025-01-01",
  };
  await withImportTransaction(store, (w) =>
    w.write("prices", [{
      ...price,
      id: contentHash(price),
      cache_read_per_mtok: null,
      cache_write_per_mtok: null,
      source: null,
    }]));
  {
    let tick = Date.parse("2026-03-01T09:00:00.000Z");
    const tracer = await Tracer.start(store, {
      schema_version: 1,
      name: "reply_pipeline",
      steps: [
        { id: "classify" },
        { id: "draft", after: ["classify"] },
        { id: "review", after: ["draft"] },
      ],
    }, { now: () => new Date(tick += 250).toISOString() });
    await tracer.emit("step_started", { step: "classify" });
    await recordCall(tracer, {
      provider: "openai",
      model: "gpt-4o-mini",
      request: {
        messages: [{ role: "user", content: `Classify: ${ALL}` }],
        params: { max_tokens: 50 },
      },
      response: {
        text: `billing ${HOSTILE.script}`,
        usage: { input_tokens: 812, output_tokens: 9 },
      },
      latencyMs: 640,
      attempts: 3,
      step: "classify",
    });
    await tracer.emit("step_finished", { step: "classify" });
    await tracer.emit("step_started", { step: "draft" });
    await recordCall(tracer, {
      provider: "anthropic",
      model: "claude-haiku-4-5",
      request: { messages: [{ role: "user", content: "Draft a reply" }] },
      error: { kind: "server", message: HOSTILE.img, status: 500 },
      latencyMs: 1200,
      attempts: 2,
      step: "draft",
    });
    await writeArtifact(tracer, {
      key: "reply/ticket-42",
      body: `Dear customer,\nWe refund you. ${HOSTILE.pre}\n`,
      step: "draft",
      createdBy: "gpt-4o-mini",
    });
    await tracer.emit("step_finished", { step: "draft" });
    await tracer.emit("review_gate_checked", {
      step: "review",
      data: { rule: HOSTILE.breakout, passed: false, note: HOSTILE.link },
    });
    await editArtifact(tracer, {
      key: "reply/ticket-42",
      body: `Dear customer,\nWe will look into it. ${HOSTILE.bare}\n`,
      editor: `dana ${HOSTILE.script}`,
      reason: `no refund promised: ${HOSTILE.img}`,
      step: "review",
    });
    const made = await bundle(store, { trace: tracer.traceId });
    return { text: made.text!, sha256: made.sha256 };
  }
}
