import assert from "node:assert/strict";
import { open } from "../store/open.ts";
import { GOOD_MODEL, storeRun, WEAK_MODEL } from "./test_fixtures.ts";
import { leaderboard, rankScorecards } from "./leaderboard.ts";
import { scoreRun } from "./score_run.ts";

Deno.test("leaderboard() ranks completed runs by aggregate; a technical tie goes to the cheaper run", async () => {
  await using store = await open(":memory:");
  await storeRun(store, {
    id: "run_good_dear",
    answer: GOOD_MODEL,
    cost: "0.01",
    promptVersion: "resume_matching@v2",
  });
  await storeRun(store, {
    id: "run_good_cheap",
    answer: GOOD_MODEL,
    cost: "0.001",
    promptVersion: "resume_matching@v3",
  });
  await storeRun(store, { id: "run_weak", answer: WEAK_MODEL, cost: "0" });
  const rows = await leaderboard(store, "resume_matching");
  assert.deepEqual(rows.map((r) => r.run_id), [
    "run_good_cheap",
    "run_good_dear",
    "run_weak",
  ]);
  assert.deepEqual(rows.map((r) => r.tie_group), [1, 1, 2]);
  assert.deepEqual(rows.map((r) => r.rank), [1, 2, 3]);
  assert.equal(rows[0]!.generation_cost, "0.006000");
  assert.equal(rows[2]!.failure_rate, 0.666667);
  assert.ok(rows[0]!.latency_p95_ms! >= rows[0]!.latency_p50_ms!);
  await assert.rejects(
    leaderboard(store, "other_task"),
    /task 'other_task' not found; known tasks: resume_matching/,
  );
});

Deno.test("rankScorecards() separates runs whose intervals do not overlap, whatever their cost", async () => {
  await using store = await open(":memory:");
  await storeRun(store, { id: "run_good", answer: GOOD_MODEL, cost: "1" });
  await storeRun(store, { id: "run_weak", answer: WEAK_MODEL, cost: "0" });
  const cards = [
    await scoreRun(store, "run_weak"),
    await scoreRun(store, "run_good"),
  ];
  const rows = rankScorecards(cards);
  assert.deepEqual(rows.map((r) => r.run_id), ["run_good", "run_weak"]);
  assert.deepEqual(rows.map((r) => r.tie_group), [1, 2]);
});
