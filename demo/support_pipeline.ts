/**
 * The demo's support pipeline (demo content, kept out of lib/; the pipeline
 * tests run it too): classify a support message, then draft the reply, on
 * the fake provider; a review gate holds every reply that mentions a refund
 * for a person before it is sent. Two versions differ in the classifier's
 * prompt (zero-shot v2, then few-shot v3 of support_triage); both draft with
 * v5 (guardrails).
 *
 * @module
 */
import type { Pipeline, PipelineContext } from "../mod.ts";

/** The pipeline's workflow: classify -> draft -> review (a gate) -> send. */
export const SUPPORT_STEPS: Pipeline["steps"] = [
  { id: "classify", description: "category, priority and escalation" },
  {
    id: "draft",
    description: "the reply to the customer",
    after: ["classify"],
  },
  {
    id: "review",
    description: "a person reads replies that mention a refund",
    after: ["draft"],
    gate: {
      subject: "draft",
      approvals: 1,
      not_approvers: ["support-bot"],
      check: "refund_hold",
    },
  },
  { id: "send", description: "the reply goes out", after: ["review"] },
];

function answer(text: string): Record<string, unknown> {
  const value = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("the model's answer is not a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Holds a reply to a refund request, or one that mentions a refund, for a person. */
function holdRefunds(
  subject: unknown,
): { decision: "hold" | "approve"; reason: string } {
  const draft = subject as { category?: unknown; suggested_reply?: unknown };
  if (draft.category === "refund_request") {
    return { decision: "hold", reason: "a reply to a refund request" };
  }
  return /refund/i.test(String(draft.suggested_reply))
    ? { decision: "hold", reason: "the reply mentions a refund" }
    : { decision: "approve", reason: "no refund in it" };
}

function support(version: string, classifier: string): Pipeline {
  return {
    name: "support",
    version,
    module: import.meta.url,
    steps: SUPPORT_STEPS,
    models: ["fake-fast"],
    prompts: { classify: classifier, reply: "v5" },
    gateChecks: {
      review: (draft) => holdRefunds(draft),
    },
    stepChecks: {
      classify: (labels, testCase) =>
        (labels as { category?: unknown }).category ===
          testCase.expected.category,
    },
    async run(_input, ctx: PipelineContext) {
      const labels = await ctx.step("classify", async (step) => {
        const a = answer(
          await step.call({ model: "fake-fast", prompt: "classify" }),
        );
        return {
          category: a.category,
          priority: a.priority,
          requires_human: a.requires_human,
        };
      });
      const draft = await ctx.step("draft", async (step) => {
        const a = answer(
          await step.call({ model: "fake-fast", prompt: "reply" }),
        );
        return {
          category: labels.category,
          suggested_reply: a.suggested_reply,
        };
      });
      if (await ctx.gate("review", draft) === "approved") {
        await ctx.step("send", () => Promise.resolve({ sent: true }));
      }
      return { ...labels, suggested_reply: draft.suggested_reply };
    },
  };
}

/** Version 1: the zero-shot JSON classifier (support_triage v2). */
export const supportPipelineV1: Pipeline = support("1", "v2");
/** Version 2: the few-shot classifier (support_triage v3). */
export const supportPipelineV2: Pipeline = support("2", "v3");
