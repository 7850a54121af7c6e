/**
 * A two-step support pipeline for the pipeline experiment tests: classify
 * with one prompt version, draft the reply with another, a review gate
 * that holds replies mentioning refunds, then send.
 */
import type {
  Pipeline,
  PipelineContext,
} from "../pipeline.ts";

const STEPS: Pipeline["steps"] = [
  { id: "classify", description: "category, priority, escalation" },
  { id: "draft", description: "the reply", after: ["classify"] },
  {
    id: "review",
    after: ["draft"],
    gate: { subject: "draft", approvals: 1, check: "refund_hold" },
  },
  { id: "send", after: ["review"] },
];

function parse(text: string): Record<string, unknown> {
  const value = JSON.parse(text);
  if (typeof value !== "object" || value === null) {
    throw new Error("the answer is not a JSON object");
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

function support(
  version: string,
  classifyWith: string,
): Pipeline {
  return {
    name: "support",
    version,
    module: import.meta.url,
    steps: STEPS,
    models: ["fake-fast"],
    prompts: { classify: classifyWith, reply: "v5" },
    gateChecks: {
      review: (subject) => holdRefunds(subject),
    },
    stepChecks: {
      classify: (output, testCase) =>
        (output as { category?: unknown }).category ===
          testCase.expected.category,
    },
    async run(_input, ctx: PipelineContext) {
      const labels = await ctx.step("classify", async (step) => {
        const answer = parse(
          await step.call({ model: "fake-fast", prompt: "classify" }),
        );
        return {
          category: answer.category,
          priority: answer.priority,
          requires_human: answer.requires_human,
        };
      });
      const draft = await ctx.step("draft", async (step) => {
        const answer = parse(
          await step.call({ model: "fake-fast", prompt: "reply" }),
        );
        return {
          category: labels.category,
          suggested_reply: answer.suggested_reply,
        };
      });
      if (await ctx.gate("review", draft) === "approved") {
        await ctx.step("send", () => Promise.resolve({ sent: true }));
      }
      return { ...labels, suggested_reply: draft.suggested_reply };
    },
  };
}

/** Classifies with the zero-shot JSON prompt (v2). */
export const supportV1: Pipeline = support("1", "v2");
/** Classifies with the few-shot prompt (v3). */
export const supportV2: Pipeline = support("2", "v3");
