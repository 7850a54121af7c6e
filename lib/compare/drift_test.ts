import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import {
  productionCatalog,
  productionStream,
} from "../production/_test_utils.ts";
import { experiment } from "../experiment/experiment.ts";
import { productionWindows } from "../production/production_windows.ts";
import { scoreTraces } from "../production/score_traces.ts";
import { open } from "../store/open.ts";
import { eachStore } from "../store/test_stores.ts";
import { listTraceEvents } from "../store/trace.ts";
import { drift } from "./drift.ts";

Deno.test("drift() approves a steady window and rejects the one where the adversarial share grew, naming that slice", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: await productionCatalog({ judge: true }) });
  // A reference day, then three windows whose adversarial share grows.
  await productionStream(store, [
    { day: "2026-11-02", calls: 300, adversarial: 0.1 },
    { day: "2026-11-03", calls: 300, adversarial: 0.1 },
    { day: "2026-11-04", calls: 300, adversarial: 0.4 },
    { day: "2026-11-05", calls: 300, adversarial: 0.8 },
  ], { prompt: "v4" });
  const scored = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-02",
    judge: "fake-judge",
  });
  assert.deepEqual(scored.windows.map((w) => w.window.id), [
    "2026-11-02",
    "2026-11-03",
    "2026-11-04",
    "2026-11-05",
  ]);

  const first = await drift(store, {
    task: "support_triage",
    baseline: "2026-11-02",
    window: "2026-11-03",
  });
  assert.equal(
    first.verdict,
    "APPROVED",
    first.checks.map((c) => c.text).join("\n"),
  );
  assert.deepEqual(first.moved, []);
  assert.equal(first.inference.basis, "independent samples of inputs");

  // At 40% the drop is undecided: its interval straddles the limit.
  const second = await drift(store, {
    task: "support_triage",
    baseline: "2026-11-02",
    window: "2026-11-04",
  });
  assert.equal(second.verdict, "INCONCLUSIVE");
  assert.equal(second.moved[0]?.slice, "adversarial");

  const third = await drift(store, {
    task: "support_triage",
    baseline: "2026-11-02",
    window: "2026-11-05",
  });
  assert.equal(
    third.verdict,
    "REJECTED",
    third.checks.map((c) => c.text).join("\n"),
  );
  const safety = third.moved.find((m) =>
    m.kind === "dimension" && m.name === "safety"
  );
  assert.ok(safety, JSON.stringify(third.moved));
  assert.equal(safety.slice, "adversarial");
  assert.match(safety.text, /slice 'adversarial': its share went 10% -> 8\d%/);
  assert.ok(third.reasons.some((r) => r.startsWith("dimension 'safety'")));
  assert.ok(third.window.slice_shares["adversarial"]! > 0.7);
  // The verdict is traced.
  const events = await listTraceEvents(store, third.trace_id);
  const checked = events.find((e) => e.type === "drift_checked");
  assert.equal(checked?.data["verdict"], "REJECTED");
  assert.equal(checked?.data["sha256"], third.sha256);
});

Deno.test("drift() refuses a window that was not scored and a run id given as the window", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: await productionCatalog() });
  await assert.rejects(
    drift(store, {
      task: "support_triage",
      baseline: "2026-11-02",
      window: "2026-11-03",
    }),
    (e: unknown) =>
      e instanceof NotFoundError &&
      /wb score-traces --task support_triage --since 2026-11-03/.test(
        e.message,
      ),
  );
  await assert.rejects(
    drift(store, {
      task: "support_triage",
      baseline: "2026-11-02",
      window: "run_123",
    }),
    (e: unknown) =>
      e instanceof ValidationError && /not a window/.test(e.message),
  );
});

eachStore.test("drift() reads the same windows and reaches the same verdict on both engines", async ({ openStore }) => {
  await using store = await openStore();
  await loadCatalog(store, { root: await productionCatalog({ judge: true }) });
  await productionStream(store, [
    { day: "2026-11-02", calls: 40, adversarial: 0.1 },
    { day: "2026-11-03", calls: 40, adversarial: 0.5 },
  ], { prompt: "v4" });
  await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-02",
    judge: "fake-judge",
  });
  assert.deepEqual(
    (await productionWindows(store, "support_triage")).map((w) => w.window),
    ["2026-11-02", "2026-11-03"],
  );
  const result = await drift(store, {
    task: "support_triage",
    baseline: "2026-11-02",
    window: "2026-11-03",
  });
  assert.equal(result.window.inputs, 40);
  assert.equal(result.baseline.slice_shares["adversarial"], 0.1);
  assert.equal(result.window.slice_shares["adversarial"], 0.5);
  // 40 inputs a day: the safety drop is measured but not decided.
  const safety = result.checks.find((c) => c.name === "safety")!;
  assert.ok(safety.delta! < 0, safety.text);
  assert.equal(result.verdict, "INCONCLUSIVE", safety.text);
});

Deno.test("drift() holds a window against the released version's suite run, each suite case one input", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: await productionCatalog({ judge: true }) });
  const { runs } = await experiment(store, {
    task: "support_triage",
    prompts: ["v4"],
    models: ["fake-fast"],
    judge: "fake-judge",
  });
  await productionStream(store, [
    { day: "2026-11-02", calls: 60, adversarial: 0.1 },
  ], { prompt: "v4" });
  await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-02",
    judge: "fake-judge",
  });
  const result = await drift(store, {
    task: "support_triage",
    baseline: runs[0]!.run_id,
    window: "2026-11-02",
  });
  assert.equal(result.baseline.window, null);
  assert.equal(result.baseline.run_id, runs[0]!.run_id);
  assert.equal(result.baseline.inputs, 30);
  assert.deepEqual(result.baseline.slice_shares, {
    typical: 0.6,
    edge: 0.2,
    known_failure: 0.1,
    adversarial: 0.1,
  });
  // Checks needing expected values ran on the suite only: left out of both.
  assert.deepEqual(result.checks_left_out, [
    "category_match",
    "escalation_match",
    "injection_resisted",
  ]);
  assert.match(result.caveats[0]!, /judge saw each case's expected values/);
  await assert.rejects(
    scoreTraces(store, {
      task: "support_triage",
      since: "2026-11-02",
      judge: "fake-judge-strict",
    }).then(() =>
      drift(store, {
        task: "support_triage",
        baseline: runs[0]!.run_id,
        window: "2026-11-02",
      })
    ),
    (e: unknown) =>
      e instanceof ValidationError && /the judge differs/.test(e.message),
  );
});
