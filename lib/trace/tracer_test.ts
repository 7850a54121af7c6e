import assert from "node:assert/strict";
import { open } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import { GENESIS_HASH, verifyChain } from "./event.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { Tracer } from "./tracer.ts";

const WORKFLOW = {
  schema_version: 1 as const,
  name: "pipeline",
  steps: [{ id: "a" }, { id: "b", after: ["a"] }],
};

async function traced(): Promise<TraceEvent[]> {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW, { traceId: "trace_t" });
  await tracer.emit("step_started", { step: "a" });
  await tracer.emit("step_finished", { step: "a", data: { out: "x" } });
  await tracer.emit("step_started", { step: "b" });
  return await listTraceEvents(store, tracer.traceId);
}

Deno.test("Tracer records a hash chain that verifyChain() accepts", async () => {
  const events = await traced();
  assert.equal(events.length, 4);
  assert.equal(events[0]!.type, "workflow_started");
  assert.equal(events[0]!.prev_hash, GENESIS_HASH);
  assert.equal(events[1]!.prev_hash, events[0]!.hash);
  assert.equal(verifyChain(events), null);
});

Deno.test("verifyChain() detects an edited, removed, swapped or inserted event", async () => {
  const events = await traced();
  const edited = events.map((e, i) =>
    i === 2 ? { ...e, data: { out: "y" } } : e
  );
  assert.match(
    verifyChain(edited)!.reason,
    /event 2 .* does not match its hash/,
  );
  const removed = events.filter((_, i) => i !== 1);
  assert.match(verifyChain(removed)!.reason, /found where event 1 belongs/);
  const swapped = [events[0]!, events[2]!, events[1]!, events[3]!];
  assert.equal(verifyChain(swapped)!.position, 1);
  const forged = { ...events[3]!, index: 4, prev_hash: events[3]!.hash };
  assert.match(
    verifyChain([...events, forged])!.reason,
    /does not match its hash/,
  );
});

Deno.test("Tracer.resume() continues the chain of a stored trace", async () => {
  await using store = await open(":memory:");
  const first = await Tracer.start(store, WORKFLOW);
  await first.emit("step_started", { step: "a" });
  const second = await Tracer.resume(store, first.traceId);
  await second.emit("step_finished", { step: "a" });
  const events = await listTraceEvents(store, first.traceId);
  assert.deepEqual(events.map((e) => e.index), [0, 1, 2]);
  assert.equal(verifyChain(events), null);
});

Deno.test("Tracer refuses an invalid workflow and an undeclared step", async () => {
  await using store = await open(":memory:");
  await assert.rejects(
    () =>
      Tracer.start(store, {
        schema_version: 1,
        name: "loop",
        steps: [{ id: "a", after: ["b"] }, { id: "b", after: ["a"] }],
      }),
    /the steps form a cycle/,
  );
  await assert.rejects(
    () =>
      Tracer.start(store, {
        schema_version: 1,
        name: "x",
        steps: [{ id: "a", after: ["zz"] }],
      }),
    /unknown step 'zz'/,
  );
  const tracer = await Tracer.start(store, WORKFLOW);
  assert.throws(
    () => tracer.next("step_started", { step: "c" }),
    /Unknown step 'c'/,
  );
});

Deno.test("Tracer.emit() chains after an event another writer appended, and a resumed step returns its recorded outputs in order", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  let runs = 0;
  const once = () => Promise.resolve(++runs);
  assert.equal(await tracer.step("a", once), 1);
  assert.equal(await tracer.step("a", once), 2); // a loop runs the step again
  // Another writer (another process) appends to the same trace.
  const other = await Tracer.resume(store, tracer.traceId);
  await other.emit("note", { data: { by: "other" } });
  await tracer.emit("note", { data: { by: "first" } });
  const events = await listTraceEvents(store, tracer.traceId);
  assert.equal(verifyChain(events), null);
  assert.deepEqual(events.slice(-2).map((e) => e.data.by), ["other", "first"]);
  const resumed = await Tracer.resume(store, tracer.traceId);
  assert.equal(await resumed.step("a", once), 1);
  assert.equal(await resumed.step("a", once), 2);
  assert.equal(await resumed.step("a", once), 3); // a third run is new
  assert.equal(runs, 3);
});
