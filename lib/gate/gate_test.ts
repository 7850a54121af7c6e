import { sql } from "kysely";
import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { contentHash } from "../content/sha256.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { Verdict } from "../compare/verdict.ts";
import { insertComparison } from "../store/comparisons.ts";
import { getGate, insertDecision, listAliasMoves } from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import {
  insertTestPromptVersion,
  insertTestRun,
  rescoreTestCell,
  tamperTestPromptVersion,
} from "../store/test_fixtures.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import { Tracer } from "../trace/tracer.ts";
import { decideGate } from "./decide_gate.ts";
import { evaluateGate } from "./evaluate_gate.ts";
import { parseGatePolicy } from "./policy.ts";
import { promote } from "./promote.ts";
import { requestGate } from "./request_gate.ts";
import { resolve } from "./resolve.ts";

const CELLS = [
  { case_key: "c1", slice: "typical", repetition: 0, checks: { a: 1 } },
  { case_key: "c2", slice: "edge", repetition: 0, checks: { a: 0.5 } },
];

/** A store with t@v1 (baseline run r1), t@v2 (candidate run r2) and a comparison. */
async function setup(
  openStore: () => Promise<Store>,
  verdict: Verdict = "APPROVED",
): Promise<Store> {
  const store = await openStore();
  const v1 = await insertTestPromptVersion(store, "t", 1);
  const v2 = await insertTestPromptVersion(store, "t", 2);
  await insertTestRun(store, {
    id: "r1",
    task: "t",
    prompt_version_id: v1,
    cells: CELLS,
  });
  await insertTestRun(store, {
    id: "r2",
    task: "t",
    prompt_version_id: v2,
    cells: CELLS,
  });
  const body = { verdict, reasons: [] };
  await insertComparison(store, {
    id: "cmp_1",
    task: "t",
    baseline_run_id: "r1",
    candidate_run_id: "r2",
    mode: "confident",
    limits: {},
    verdict,
    body,
    baseline_scorecard_sha256: "b".repeat(64),
    candidate_scorecard_sha256: "c".repeat(64),
    sha256: contentHash(body),
    trace_id: null,
    created_at: "2026-01-01T00:00:00.000Z",
  }, []);
  return store;
}

function request(store: Store, extra: Record<string, unknown> = {}) {
  return requestGate(store, {
    task: "t",
    version: 2,
    comparison: "cmp_1",
    actor: "alice",
    ...extra,
  });
}

eachStore.test("requestGate() records the subject and evaluates the policy gate from the verdict", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate, status, reasons } = await request(store);
  assert.equal(status, "pending");
  assert.equal(gate.subject.prompt_version.id, "t@v2");
  assert.equal(gate.subject.comparison?.verdict, "APPROVED");
  assert.equal(gate.subject_sha256, contentHash(gate.subject));
  assert.deepEqual(gate.policy.accepted_verdicts, ["APPROVED"]);
  assert.equal(gate.policy.approvals, 1);
  assert.match(reasons.join("\n"), /verdict APPROVED .* is accepted/);
  assert.match(reasons.join("\n"), /needs 1 more approval/);
});

eachStore.test("requestGate() refuses a comparison of another prompt version or a missing verdict", async ({ openStore }) => {
  await using store = await setup(openStore);
  await assert.rejects(
    requestGate(store, {
      task: "t",
      version: 1,
      comparison: "cmp_1",
      actor: "alice",
    }),
    (e: unknown) =>
      e instanceof ConflictError && /ran prompt version 't@v2'/.test(e.message),
  );
  await assert.rejects(
    requestGate(store, { task: "t", version: 2, actor: "alice" }),
    (e: unknown) =>
      e instanceof ValidationError && /requires a verdict/.test(e.message),
  );
  await assert.rejects(
    requestGate(store, { task: "t", version: 9, actor: "a", comparison: "x" }),
    NotFoundError,
  );
  await assert.rejects(
    request(store, { actor: " " }),
    /actor is required/,
  );
});

eachStore.test("decideGate() resolves a gate once", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  const after = await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "looks good",
  });
  assert.equal(after.status, "approved");
  assert.deepEqual(after.approvals, ["bob"]);
  for (const decision of ["approve", "reject"] as const) {
    await assert.rejects(
      decideGate(store, gate.id, { actor: "carol", decision, reason: "late" }),
      (e: unknown) =>
        e instanceof ConflictError &&
        new RegExp(
          `Cannot ${decision} gate '${gate.id}' as it is already approved`,
        )
          .test(e.message),
    );
  }
  await assert.rejects(
    decideGate(store, "gate_nope", {
      actor: "bob",
      decision: "approve",
      reason: "x",
    }),
    NotFoundError,
  );
});

eachStore.test("decideGate() refuses self-approval by default and a second decision by the same person", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store, { policy: { approvals: 2 } });
  await assert.rejects(
    decideGate(store, gate.id, {
      actor: "alice",
      decision: "approve",
      reason: "mine",
    }),
    /requested it and the policy does not allow self-approval/,
  );
  await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  await assert.rejects(
    decideGate(store, gate.id, {
      actor: "bob",
      decision: "approve",
      reason: "again",
    }),
    /'bob' already decided/,
  );
  // A person is one person whatever the case or spacing of their name.
  await assert.rejects(
    decideGate(store, gate.id, {
      actor: " Alice",
      decision: "approve",
      reason: "mine, capitalised",
    }),
    /requested it and the policy does not allow self-approval/,
  );
  await assert.rejects(
    decideGate(store, gate.id, {
      actor: "BOB",
      decision: "approve",
      reason: "a second approval by the same person",
    }),
    /'BOB' already decided/,
  );
  const allowed = await request(store, {
    policy: { allow_self_approval: true },
  });
  const self = await decideGate(store, allowed.gate.id, {
    actor: "alice",
    decision: "approve",
    reason: "policy allows it",
  });
  assert.equal(self.status, "approved");
});

eachStore.test("evaluateGate() lets one rejection block unless the policy says otherwise", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store, { policy: { approvals: 2 } });
  await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  const rejected = await decideGate(store, gate.id, {
    actor: "carol",
    decision: "reject",
    reason: "adversarial slice looks worse",
  });
  assert.equal(rejected.status, "rejected");
  assert.deepEqual(rejected.rejections, ["carol"]);
  assert.match(rejected.reasons.join("\n"), /rejected by carol: adversarial/);

  const lenient = await request(store, {
    policy: { approvals: 2, rejection_blocks: false },
  });
  await decideGate(store, lenient.gate.id, {
    actor: "carol",
    decision: "reject",
    reason: "not sure",
  });
  await decideGate(store, lenient.gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  const approved = await decideGate(store, lenient.gate.id, {
    actor: "dan",
    decision: "approve",
    reason: "ok",
  });
  assert.equal(approved.status, "approved");
  assert.match(approved.reasons.join("\n"), /rejections do not block/);
});

eachStore.test("evaluateGate() rejects when the verdict is not accepted", async ({ openStore }) => {
  await using store = await setup(openStore, "REJECTED");
  const { gate, status, reasons } = await request(store);
  assert.equal(status, "rejected");
  assert.match(reasons.join("\n"), /verdict REJECTED .* is not accepted/);
  await assert.rejects(
    decideGate(store, gate.id, {
      actor: "bob",
      decision: "approve",
      reason: "x",
    }),
    /already rejected/,
  );
  const inconclusive = await request(store, {
    policy: { accepted_verdicts: ["APPROVED", "REJECTED"] },
  });
  assert.equal(inconclusive.status, "pending");
});

eachStore.test("evaluateGate() does not count a decision once the judged content changed", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  assert.equal((await evaluateGate(store, gate.id)).status, "approved");
  await rescoreTestCell(store, "r2", "c2", { a: 1 });
  const rescored = await evaluateGate(store, gate.id);
  assert.equal(rescored.status, "rejected");
  assert.notEqual(rescored.current_sha256, gate.subject_sha256);
  assert.match(
    rescored.reasons.join("\n"),
    /results of candidate run 'r2' changed/,
  );
  await assert.rejects(
    promote(store, {
      task: "t",
      alias: "production",
      version: 2,
      gate: gate.id,
      actor: "bob",
    }),
    /is rejected: the subject changed/,
  );
});

eachStore.test("evaluateGate() detects a prompt version edited behind the append-only guard", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  await promote(store, {
    task: "t",
    alias: "production",
    version: 2,
    gate: gate.id,
    actor: "bob",
  });
  await tamperTestPromptVersion(store, "t@v2", "an edited template");
  const after = await evaluateGate(store, gate.id);
  assert.equal(after.status, "rejected");
  assert.match(after.reasons.join("\n"), /prompt version 't@v2' is now/);
  await assert.rejects(
    resolve(store, "t", "production"),
    /no longer matches the content gate/,
  );
});

eachStore.test("promote() moves an alias only through an approved gate for that version and alias", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  const move = {
    task: "t",
    alias: "production",
    version: 2,
    gate: gate.id,
    actor: "bob",
  };
  await assert.rejects(promote(store, move), /is pending: .*needs 1 more/);
  await assert.rejects(resolve(store, "t", "production"), NotFoundError);
  await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  await assert.rejects(
    promote(store, { ...move, alias: "staging" }),
    /the gate judges t@v2 as 'production'/,
  );
  await assert.rejects(
    promote(store, { ...move, version: 1 }),
    /the gate judges t@v2/,
  );
  await assert.rejects(
    promote(store, { ...move, gate: "gate_x" }),
    NotFoundError,
  );
  await assert.rejects(
    promote(store, { ...move, alias: "Prod!" }),
    /invalid alias 'Prod!'/,
  );
  const moved = await promote(store, move);
  assert.equal(moved.prompt_version_id, "t@v2");
  assert.equal(moved.previous_prompt_version_id, null);
  await assert.rejects(promote(store, move), /a gate allows one move/);
  const resolved = await resolve(store, "t", "production");
  assert.equal(resolved.version, 2);
  assert.equal(resolved.gate_id, gate.id);
  await assert.rejects(resolve(store, "t", "staging"), NotFoundError);
});

/** Inserts an alias move with raw SQL, as a script bypassing `promote` would. */
function rawMove(
  store: Store,
  gateId: string,
  move: { alias?: string; version?: number } = {},
) {
  return sql`INSERT INTO alias_moves (task, alias, prompt_version_id, gate_id, moved_by, created_at)
    VALUES ('t', ${move.alias ?? "production"}, ${`t@v${
    move.version ?? 2
  }`}, ${gateId}, 'mallory', '2026-01-02T00:00:00.000Z')`
    .execute(store.db);
}

/**
 * Records a human decision straight through the store, on the gate's trace
 * and subject hash, skipping `decideGate`'s checks (self-approval, a gate
 * already rejected).
 */
async function forgeDecision(
  store: Store,
  gateId: string,
  actor: string,
  decision: "approve" | "reject",
): Promise<void> {
  const gate = await getGate(store, gateId);
  const tracer = await Tracer.resume(store, gate.trace_id);
  const id = `dec_forged_${actor.trim()}_${decision}`;
  await insertDecision(store, {
    id,
    gate_id: gate.id,
    kind: "human",
    actor,
    decision,
    reason: "forged",
    subject_sha256: gate.subject_sha256,
    comparison_id: null,
    created_at: "2026-01-02T00:00:00.000Z",
  }, [
    tracer.next("human_gate_resolved", {
      step: "human",
      data: { gate_id: gate.id, decision_id: id, actor, decision },
    }),
  ]);
}

const NOT_APPROVED =
  /its gate .*is not approved by the decisions recorded on it/;
const OTHER_MOVE =
  /its gate .*does not exist or judges another task, alias or prompt version/;

eachStore.test("the database refuses an alias move through a pending gate or an untraced decision", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  await assert.rejects(rawMove(store, gate.id), NOT_APPROVED);
  // An approval written without its trace event does not count.
  await store.db.insertInto("gate_decisions").values({
    id: "dec_untraced",
    gate_id: gate.id,
    kind: "human",
    actor: "bob",
    decision: "approve",
    reason: "untraced",
    subject_sha256: gate.subject_sha256,
    comparison_id: null,
    created_at: "2026-01-02T00:00:00.000Z",
  }).execute();
  await assert.rejects(rawMove(store, gate.id), NOT_APPROVED);
  assert.deepEqual(await listAliasMoves(store, "t"), []);
});

eachStore.test("the database refuses an alias move on self-approval, a blocking rejection or a rejected verdict", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  // The requester is alice: her approval (any case, any spaces) does not count.
  await forgeDecision(store, gate.id, " Alice ", "approve");
  await assert.rejects(rawMove(store, gate.id), NOT_APPROVED);
  const blocked = await request(store);
  await forgeDecision(store, blocked.gate.id, "bob", "approve");
  await forgeDecision(store, blocked.gate.id, "carol", "reject");
  await assert.rejects(rawMove(store, blocked.gate.id), NOT_APPROVED);
  await using rejected = await setup(openStore, "REJECTED");
  const verdict = await request(rejected);
  await forgeDecision(rejected, verdict.gate.id, "bob", "approve");
  await assert.rejects(rawMove(rejected, verdict.gate.id), NOT_APPROVED);
  assert.deepEqual(await listAliasMoves(store, "t"), []);
  assert.deepEqual(await listAliasMoves(rejected, "t"), []);
});

eachStore.test("the database lets an approved gate move the alias it judges, once", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  await assert.rejects(rawMove(store, gate.id, { version: 1 }), OTHER_MOVE);
  await assert.rejects(
    rawMove(store, gate.id, { alias: "staging" }),
    OTHER_MOVE,
  );
  await assert.rejects(rawMove(store, "gate_missing"), OTHER_MOVE);
  await rawMove(store, gate.id);
  await assert.rejects(
    rawMove(store, gate.id),
    /its gate .*was already used for a move/,
  );
  const moves = await listAliasMoves(store, "t");
  assert.deepEqual(
    moves.map((m) => [m.alias, m.prompt_version_id, m.gate_id]),
    [["production", "t@v2", gate.id]],
  );
});

eachStore.test("a gate's events are on a valid hash chain", async ({ openStore }) => {
  await using store = await setup(openStore);
  const { gate } = await request(store);
  await decideGate(store, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "ok",
  });
  await promote(store, {
    task: "t",
    alias: "production",
    version: 2,
    gate: gate.id,
    actor: "bob",
  });
  const events = await listTraceEvents(store, gate.trace_id);
  assert.deepEqual(events.map((e) => [e.type, e.step]), [
    ["workflow_started", null],
    ["gate_requested", "request"],
    ["policy_gate_evaluated", "policy"],
    ["human_gate_resolved", "human"],
    ["alias_moved", "promote"],
  ]);
  assert.equal(verifyChain(events), null);
  const human = events[3]!.data;
  assert.equal(human.actor, "bob");
  assert.equal(human.decision, "approve");
  assert.equal(human.reason, "ok");
  assert.equal(human.subject_sha256, gate.subject_sha256);
  assert.equal(typeof human.at, "string");
  const requested = events[1]!.data as Record<string, unknown>;
  assert.equal(requested.requested_by, "alice");
  assert.deepEqual(requested.subject, gate.subject);
});

Deno.test("parseGatePolicy() fills defaults and names a bad field", () => {
  assert.deepEqual(parseGatePolicy(undefined), {
    schema_version: 1,
    accepted_verdicts: ["APPROVED"],
    approvals: 1,
    rejection_blocks: true,
    allow_self_approval: false,
  });
  assert.throws(
    () => parseGatePolicy({ approvals: -1 }, "policy.yaml"),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.issues[0]?.field === "policy.approvals" &&
      e.issues[0]?.file === "policy.yaml",
  );
  assert.throws(() => parseGatePolicy({ aprovals: 2 }), ValidationError);
  assert.throws(
    () => parseGatePolicy({ accepted_verdicts: [], approvals: 0 }),
    /must require a verdict or at least one approval/,
  );
});
