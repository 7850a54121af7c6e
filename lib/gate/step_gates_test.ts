import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import { capture } from "../cli/_test_io.ts";
import { gateCommand } from "../cli/gate.ts";
import { gatesCommand } from "../cli/gates.ts";
import { main } from "../cli/main.ts";
import { GateHaltError } from "../errors.ts";
import { open } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import { eachStore } from "../store/test_stores.ts";
import { verifyChain } from "../trace/event.ts";
import { Tracer } from "../trace/tracer.ts";
import type { WorkflowInput } from "../trace/workflow.ts";
import { decideStepGate, listStepGates } from "./step_gates.ts";
import { DENO_RUN_NET } from "../_deno_run.ts";

const SUPPORT: WorkflowInput = {
  schema_version: 1,
  name: "support",
  steps: [
    { id: "classify" },
    { id: "draft", after: ["classify"] },
    {
      id: "review",
      after: ["draft"],
      gate: { subject: "draft", not_approvers: ["owner"], check: "refunds" },
    },
    { id: "send", after: ["review"] },
  ],
};

/** Holds replies that mention a refund for a person; passes the rest. */
function refunds(subject: unknown) {
  return /refund/i.test(JSON.stringify(subject))
    ? { decision: "hold" as const, reason: "the reply mentions a refund" }
    : { decision: "approve" as const, reason: "no refund mentioned" };
}

/** `wb gate approve|reject` in another process. */
async function decideInChild(
  url: string,
  gateId: string,
  verb: "approve" | "reject",
  actor: string,
): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      ...DENO_RUN_NET,
      new URL("../cli/main.ts", import.meta.url).pathname,
      "gate",
      verb,
      gateId,
      "--actor",
      actor,
      "--reason",
      `${actor} read the reply`,
      "--db",
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text);
}

/** Waits until the store lists a pending gate (the pipeline is halted on it). */
async function pendingGate(url: string): Promise<string> {
  await using watcher = await open(url);
  for (let i = 0; i < 400; i++) {
    const [gate] = await listStepGates(watcher, { status: "pending" });
    if (gate) return gate.gate_id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no gate became pending");
}

/** The support pipeline: classify, draft, the review gate, send. */
async function support(
  tracer: Tracer,
  ticket: string,
  calls: string[],
  waitMs = 60_000,
): Promise<{ sent: boolean; status: string }> {
  const label = await tracer.step("classify", () => {
    calls.push("classify");
    return Promise.resolve(ticket.includes("money") ? "billing" : "other");
  });
  const draft = await tracer.step("draft", () => {
    calls.push("draft");
    return Promise.resolve({
      label,
      reply: label === "billing"
        ? "We will refund your order."
        : "Thanks, we are on it.",
    });
  });
  const gate = await tracer.gate("review", draft, {
    check: refunds,
    pollMs: 20,
    waitMs,
    context: { ticket },
  });
  if (gate.status !== "approved") return { sent: false, status: gate.status };
  await tracer.step("send", () => {
    calls.push("send");
    return Promise.resolve({ sent: true });
  });
  return { sent: true, status: gate.status };
}

eachStore.test("a pipeline halts at a gate, another process approves it, and it continues", async ({ databaseUrl }) => {
  const url = await databaseUrl();
  await using store = await open(url);
  const tracer = await Tracer.start(store, SUPPORT);
  const calls: string[] = [];
  const running = support(tracer, "I want my money back", calls);
  const gateId = await pendingGate(url);
  assert.deepEqual(calls, ["classify", "draft"]); // halted: send waits
  await decideInChild(url, gateId, "approve", "bob");
  assert.deepEqual(await running, { sent: true, status: "approved" });
  assert.deepEqual(calls, ["classify", "draft", "send"]);

  const events = await listTraceEvents(store, tracer.traceId);
  assert.equal(verifyChain(events), null);
  const types = events.map((e) => `${e.type}:${e.step ?? ""}`);
  assert.deepEqual(types.slice(-5), [
    "gate_requested:review",
    "policy_gate_evaluated:review",
    "human_gate_resolved:review",
    "step_started:send",
    "step_finished:send",
  ]);
  const request = events.find((e) => e.type === "gate_requested")!;
  const decision = events.find((e) => e.type === "human_gate_resolved")!;
  assert.equal(decision.data.subject_sha256, request.data.subject_sha256);
  assert.equal(decision.data.actor, "bob");
  assert.ok(request.index < decision.index);

  const { text } = await bundle(store, { trace: tracer.traceId });
  const verified = await verifyBundle(text!);
  assert.equal(verified.ok, true, JSON.stringify(verified.problems));
  const bundled = JSON.parse(text!);
  const gateEvents = bundled.sections.trace_events.filter((
    e: { type: string },
  ) => e.type.includes("gate"));
  assert.deepEqual(gateEvents.map((e: { step: string }) => e.step), [
    "review",
    "review",
    "review",
  ]);
  assert.equal(gateEvents[0].data.context.ticket, "I want my money back");
  assert.deepEqual(gateEvents[0].data.context.after, ["draft"]);
  assert.equal(gateEvents[2].data.decision, "approve");
});

eachStore.test("a rejected gate stops the steps after it; the bundle shows the decision beside its step", async ({ databaseUrl }) => {
  const url = await databaseUrl();
  await using store = await open(url);
  const tracer = await Tracer.start(store, SUPPORT);
  const calls: string[] = [];
  const running = support(tracer, "refund my money", calls);
  const gateId = await pendingGate(url);
  await decideInChild(url, gateId, "reject", "carol");
  assert.deepEqual(await running, { sent: false, status: "rejected" });
  await assert.rejects(
    tracer.step("send", () => {
      calls.push("send");
      return Promise.resolve(null);
    }),
    (e) => e instanceof GateHaltError && e.status === "rejected",
  );
  assert.deepEqual(calls, ["classify", "draft"]);
  const events = await listTraceEvents(store, tracer.traceId);
  assert.ok(!events.some((e) => e.step === "send"));
  const { text } = await bundle(store, { trace: tracer.traceId });
  assert.equal((await verifyBundle(text!)).ok, true);
  const rejected = JSON.parse(text!).sections.trace_events.find((e: {
    type: string;
  }) => e.type === "human_gate_resolved");
  assert.equal(rejected.step, "review");
  assert.equal(rejected.data.decision, "reject");
  assert.equal(rejected.data.actor, "carol");
});

Deno.test("the check passes a reply with no refund without a person", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, SUPPORT);
  const calls: string[] = [];
  assert.deepEqual(await support(tracer, "where is my parcel", calls, 0), {
    sent: true,
    status: "approved",
  });
  assert.deepEqual(calls, ["classify", "draft", "send"]);
});

Deno.test("a step after a gate is refused before the gate is requested or while it is pending", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, SUPPORT);
  await assert.rejects(
    tracer.emit("step_started", { step: "send" }),
    (e) => e instanceof GateHaltError && e.status === "not_requested",
  );
  await assert.rejects(
    tracer.gate("review", { reply: "refund" }, { check: refunds, waitMs: 0 }),
    (e) => e instanceof GateHaltError && e.status === "pending",
  );
  await assert.rejects(
    tracer.step("send", () => Promise.resolve(1)),
    /gate step 'review' is pending/,
  );
});

Deno.test("a pipeline that exits while waiting resumes after the decision without repeating its steps", async () => {
  await using store = await open(":memory:");
  const first = await Tracer.start(store, SUPPORT);
  const calls: string[] = [];
  const halted = await support(first, "money please", calls, 0).catch((
    e,
  ) => e);
  assert.ok(halted instanceof GateHaltError);
  const gateId = halted.gateId!;
  await assert.rejects(
    decideStepGate(store, gateId, {
      actor: "owner",
      decision: "approve",
      reason: "mine",
    }),
    /may not decide/,
  );
  await decideStepGate(store, gateId, {
    actor: "dan",
    decision: "approve",
    reason: "fine",
  });
  await assert.rejects(
    decideStepGate(store, gateId, {
      actor: "eve",
      decision: "reject",
      reason: "late",
    }),
    /already approved/,
  );
  const resumed = await Tracer.resume(store, first.traceId);
  assert.deepEqual(await support(resumed, "money please", calls, 0), {
    sent: true,
    status: "approved",
  });
  assert.deepEqual(calls, ["classify", "draft", "send"]);
  const events = await listTraceEvents(store, first.traceId);
  assert.equal(verifyChain(events), null);
  assert.equal(events.filter((e) => e.type === "gate_requested").length, 1);
});

Deno.test("wb gates pending lists a held gate with its subject and step; --json and wb gate approve --json print StepGateState records", async () => {
  const dir = await Deno.makeTempDir();
  const url = `file:${dir}/wb.db`;
  try {
    {
      await using store = await open(url);
      const tracer = await Tracer.start(store, SUPPORT);
      await support(tracer, "money", [], 0).catch(() => {});
    }
    const c = capture();
    assert.equal(
      await main(["gates", "pending", "--db", url], c.io, [gatesCommand]),
      0,
    );
    const text = c.out.join("\n");
    assert.match(text, /PENDING/);
    assert.match(text, /step review judges the output of draft/);
    assert.match(text, /refund your order/);
    assert.match(text, /needs 1 more approval/);
    // --json: the StepGateState records docs/cli-json.md gives for wb gates.
    const commands = [gatesCommand, gateCommand];
    const gatesJson = async (action: string) => {
      const j = capture();
      assert.equal(
        await main(["gates", action, "--json", "--db", url], j.io, commands),
        0,
        j.err.join("\n"),
      );
      assert.equal(j.out.length, 1);
      return JSON.parse(j.out[0]!);
    };
    const pending = await gatesJson("pending");
    assert.equal(pending.length, 1);
    const [held] = pending;
    assert.deepEqual(Object.keys(held).sort(), [
      "approvals",
      "context",
      "decisions",
      "event_index",
      "gate_id",
      "policy",
      "reasons",
      "requested_at",
      "requested_by",
      "status",
      "step",
      "subject",
      "subject_sha256",
      "subject_step",
      "trace_id",
    ]);
    assert.equal(held.status, "pending");
    assert.equal(held.step, "review");
    assert.equal(held.subject_step, "draft");
    assert.match(held.subject_sha256, /^[0-9a-f]{64}$/);
    assert.match(held.subject.reply, /refund your order/);
    assert.deepEqual(held.policy, {
      subject: "draft",
      approvals: 1,
      not_approvers: ["owner"],
      check: "refunds",
    });
    assert.deepEqual(Object.keys(held.decisions[0]).sort(), [
      "actor",
      "at",
      "decision",
      "decision_id",
      "event_index",
      "kind",
      "reason",
      "subject_sha256",
    ]);
    assert.equal(held.decisions[0].kind, "policy");
    assert.equal(held.decisions[0].decision, "hold");
    // wb gate approve --json on a gate step prints its StepGateState.
    const approved = capture();
    assert.equal(
      await main(
        [
          "gate",
          "approve",
          held.gate_id,
          "--actor",
          "sam",
          "--reason",
          "refund agreed",
          "--json",
          "--db",
          url,
        ],
        approved.io,
        commands,
      ),
      0,
      approved.err.join("\n"),
    );
    assert.equal(approved.out.length, 1);
    const decided = JSON.parse(approved.out[0]!);
    assert.equal(decided.gate_id, held.gate_id);
    assert.equal(decided.status, "approved");
    assert.deepEqual(decided.approvals, ["sam"]);
    assert.equal(decided.decisions.at(-1).kind, "human");
    assert.deepEqual(await gatesJson("pending"), []);
    const all = await gatesJson("list");
    assert.deepEqual(all.map((g: { status: string }) => g.status), [
      "approved",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
