import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { GateHaltError } from "../errors.ts";
import { decideStepGate } from "../gate/step_gates.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { open } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import { runPipeline } from "./run_pipeline.ts";
import { supportV1, supportV2 } from "./testdata/two_step_pipeline.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function counting(calls: string[]): (config: ModelConfig) => ModelAdapter {
  return (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      call(request) {
        calls.push(request.system?.slice(0, 30) ?? "");
        return inner.call(request);
      },
    };
  };
}

Deno.test("runPipeline() halts at a held gate, and resumes after the decision without repeating a call", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const refund = {
    customer_message: "Please refund my camera, it arrived broken.",
    account_context: {
      account_id: "AC-1",
      customer_name: "Ann Lee",
      plan: "Plus",
    },
  };
  const calls: string[] = [];
  const options = {
    task: "support_triage",
    inputId: "ticket-1",
    expected: {
      category: "refund_request",
      priority: "medium",
      requires_human: true,
    },
    waitMs: 0,
    adapterFor: counting(calls),
  };
  const halted = await runPipeline(store, supportV1, refund, options).catch((
    e,
  ) => e);
  assert.ok(halted instanceof GateHaltError, JSON.stringify(halted));
  assert.equal(calls.length, 2); // classify and draft
  const traceId = (await store.db.selectFrom("workflows").select("trace_id")
    .executeTakeFirstOrThrow()).trace_id;
  // Another version of the pipeline cannot resume this trace.
  await assert.rejects(
    runPipeline(store, supportV2, refund, { ...options, traceId }),
    /was started by version 1/,
  );
  await decideStepGate(store, halted.gateId!, {
    actor: "bo",
    decision: "approve",
    reason: "fine",
  });
  const done = await runPipeline(store, supportV1, refund, {
    ...options,
    traceId,
  });
  assert.equal(done.trace_id, traceId);
  assert.equal(calls.length, 2); // nothing called again
  const events = await listTraceEvents(store, traceId);
  assert.equal(verifyChain(events), null);
  assert.equal(events.filter((e) => e.type === "model_call").length, 2);
  assert.ok(
    events.some((e) => e.step === "send" && e.type === "step_finished"),
  );
  const model = events.filter((e) => e.type === "model_call").map((e) =>
    e.step
  );
  assert.deepEqual(model, ["classify", "draft"]);
});
