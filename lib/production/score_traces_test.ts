import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { ValidationError } from "../errors.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import { leaderboard } from "../scoring/leaderboard.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { open } from "../store/open.ts";
import { listRuns } from "../store/runs.ts";
import { eachStore } from "../store/test_stores.ts";
import { latestScorecard, listResults } from "../store/scores.ts";
import { productionCatalog, productionStream } from "./_test_utils.ts";
import { scoreTraces } from "./score_traces.ts";

eachStore.test("scoreTraces() scores each day's calls into a run whose results point at their receipts, listing invalid inputs", async ({ openStore }) => {
  await using store = await openStore();
  await loadCatalog(store, { root: await productionCatalog() });
  const stream = await productionStream(store, [
    { day: "2026-11-02", calls: 12, adversarial: 0.25 },
    { day: "2026-11-03", calls: 8, adversarial: 0 },
  ], { invalidEvery: 5 });
  const result = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-01",
  });
  assert.equal(result.source, "store");
  assert.deepEqual(result.sent_to_judge, []);
  const [a, b] = result.windows;
  assert.equal(a!.window.id, "2026-11-02");
  assert.equal(a!.calls, 12);
  // Calls 5 and 10 carry a field the input schema does not allow.
  assert.deepEqual(
    a!.invalid.map((i) => i.receipt_id),
    [stream[4]!.receipt_id, stream[9]!.receipt_id],
  );
  assert.equal(a!.invalid[0]!.issues[0]!.field, "input.channel");
  assert.equal(a!.scored, 10);
  assert.equal(a!.judged, 0);
  assert.equal(b!.calls, 8);
  assert.equal(b!.invalid.length, 2); // calls 15 and 20
  const results = await listResults(store, a!.run_id);
  const valid = stream.filter((s, i) => s.day === "2026-11-02" && (i + 1) % 5);
  assert.deepEqual(
    results.map((r) => r.generation_io_id).sort(),
    valid.map((s) => s.receipt_id).sort(),
  );
  // Only checks that need no expected values are kept.
  assert.ok(results.every((r) => !("category_match" in r.checks)));
  assert.ok(results.every((r) => "json_schema_valid" in r.checks));
  // Suggested slices follow the inputs' source cases.
  const bySlice = new Map(stream.map((s) => [s.receipt_id, s.slice]));
  const agreed =
    results.filter((r) => bySlice.get(r.generation_io_id!) === r.slice).length;
  assert.ok(agreed >= 8, `${agreed} of ${results.length}`);
  const stored = await latestScorecard(store, a!.run_id);
  assert.equal(stored?.sha256, a!.scorecard_sha256);
  assert.equal(stored?.scorecard.cells, 10);
  // Rescoring the run reads the same receipts and gives the same scorecard.
  assert.equal((await scoreRun(store, a!.run_id)).sha256, a!.scorecard_sha256);
  assert.ok(stored!.scorecard.latency_ms.generation !== null);
  // Windows are runs, but not suite runs: the leaderboard leaves them out.
  assert.deepEqual(await leaderboard(store, "support_triage"), []);
});

Deno.test("scoreTraces() refuses a judge for a task that has not opted in, and writes nothing", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: await productionCatalog() });
  await productionStream(store, [{
    day: "2026-11-02",
    calls: 3,
    adversarial: 0,
  }]);
  await assert.rejects(
    scoreTraces(store, {
      task: "support_triage",
      since: "2026-11-01",
      judge: "fake-judge",
    }),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.issues[0]!.field === "production.judge" &&
      /production: \{ judge: true \}/.test(e.message),
  );
  assert.deepEqual(await listRuns(store, { task: "support_triage" }), []);
});

Deno.test("scoreTraces() samples a count or a rate of each window, the same calls each time", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: await productionCatalog() });
  await productionStream(store, [{
    day: "2026-11-02",
    calls: 40,
    adversarial: 0.1,
  }]);
  const byCount = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-01",
    sample: 7,
  });
  assert.equal(byCount.windows[0]!.scored, 7);
  assert.equal(byCount.windows[0]!.sampled_out, 33);
  const again = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-01",
    sample: 7,
  });
  const keys = async (runId: string) =>
    (await listResults(store, runId)).map((r) => r.case_key).sort();
  assert.deepEqual(
    await keys(again.windows[0]!.run_id),
    await keys(byCount.windows[0]!.run_id),
  );
  const byRate = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-01",
    sample: 0.5,
  });
  const n = byRate.windows[0]!.scored;
  assert.ok(n > 10 && n < 30, `${n}`);
  await assert.rejects(
    scoreTraces(store, {
      task: "support_triage",
      since: "2026-11-01",
      until: "next tuesday",
    }),
    (e: unknown) =>
      e instanceof ValidationError && e.issues[0]!.field === "until",
  );
  for (const sample of [0, -1, 1.5]) {
    await assert.rejects(
      scoreTraces(store, {
        task: "support_triage",
        since: "2026-11-01",
        sample,
      }),
      ValidationError,
    );
  }
});

Deno.test("scoreTraces() groups calls into ISO weeks and keeps to the time range", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: await productionCatalog() });
  await productionStream(store, [
    { day: "2026-11-01", calls: 2, adversarial: 0 }, // a Sunday: week 44
    { day: "2026-11-02", calls: 2, adversarial: 0 }, // Monday: week 45
    { day: "2026-11-08", calls: 2, adversarial: 0 }, // Sunday: week 45
  ]);
  const weeks = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-10-01",
    window: "week",
  });
  assert.deepEqual(
    weeks.windows.map((w) => [w.window.id, w.calls]),
    [["2026-W44", 2], ["2026-W45", 4]],
  );
  const ranged = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-02",
    until: "2026-11-03",
  });
  assert.deepEqual(ranged.windows.map((w) => w.window.id), ["2026-11-02"]);
});

Deno.test("scoreTraces() redacts the task's production.redact fields before the judge sees anything, and says what left the store", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, {
    root: await productionCatalog({
      judge: true,
      redact: ["input.account_context"],
    }),
  });
  await productionStream(store, [{
    day: "2026-11-02",
    calls: 6,
    adversarial: 0,
  }]);
  const sent: string[] = [];
  const result = await scoreTraces(store, {
    task: "support_triage",
    since: "2026-11-01",
    judge: "fake-judge",
    adapter: (config) => {
      const inner = createAdapter(config);
      return {
        ...inner,
        provider: inner.provider,
        model: inner.model,
        call(request) {
          sent.push(JSON.stringify([request.system, request.messages]));
          return inner.call(request);
        },
      };
    },
  });
  assert.equal(result.windows[0]!.judged, 6);
  assert.ok(sent.length >= 6);
  assert.ok(sent.every((text) => !/AC-P\d+/.test(text)), sent[0] ?? "");
  assert.ok(sent.every((text) => text.includes("sha256:")));
  assert.deepEqual(result.sent_to_judge, [
    "input.account_context",
    "input.customer_message",
    "output",
  ]);
  assert.deepEqual(result.redacted, ["input.account_context"]);
});
