import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { canonicalize } from "../content/canonicalize.ts";
import { sha256Hex } from "../content/sha256.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { scoreRun } from "../scoring/score_run.ts";
import type { Store } from "../store/open.ts";
import { latestScorecard } from "../store/scores.ts";
import { bundle } from "./bundle.ts";
import { importBundle } from "./import_bundle.ts";
import { replayBundle } from "./replay_bundle.ts";
import { rerunBundle } from "./rerun_bundle.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function scoredRun(
  openStore: () => Promise<Store>,
): Promise<{ store: Store; runId: string }> {
  const store = await openStore();
  await loadCatalog(store, { root: ROOT });
  const result = await experiment(store, {
    task: "support_triage",
    prompts: ["v1"],
    models: ["fake-fast"],
    repetitions: 3,
    cases: ["st-001", "st-002", "st-003", "st-004"],
  });
  const runId = result.runs[0]!.run_id;
  await scoreRun(store, runId);
  return { store, runId };
}

eachStore.test("replayBundle() re-scores a real run's receipts without a model and finds the same scorecard", async ({ openStore }) => {
  const { store, runId } = await scoredRun(openStore);
  try {
    const { text } = await bundle(store, { runs: [runId] });
    const replay = await replayBundle(text!);
    assert.equal(replay.runs.length, 1);
    const [run] = replay.runs;
    assert.equal(run!.runId, runId);
    assert.equal(run!.changedCells, 0);
    assert.deepEqual(run!.figures, []);
    assert.equal(run!.replayedSha256, run!.storedSha256);
    assert.equal(replay.identical, true);
  } finally {
    await store.close();
  }
});

eachStore.test("importBundle() of a scored run gives a database that recomputes the same scorecard", async ({ openStore }) => {
  const { store, runId } = await scoredRun(openStore);
  try {
    const stored = await latestScorecard(store, runId);
    const { text } = await bundle(store, { runs: [runId] });
    await using copy = await openStore();
    await importBundle(copy, text!);
    const rescored = await scoreRun(copy, runId);
    assert.equal(rescored.sha256, stored!.sha256);
  } finally {
    await store.close();
  }
});

eachStore.test("replayBundle() shows a result whose checks were edited after scoring", async ({ openStore }) => {
  const { store, runId } = await scoredRun(openStore);
  try {
    const { text } = await bundle(store, { runs: [runId] });
    // A careful forger flips a check and recomputes every hash: the bundle
    // verifies, but replaying the receipts gives other figures.
    const doc = JSON.parse(text!);
    const result = doc.sections.results.find((
      r: { checks: Record<string, { pass: boolean }> },
    ) => Object.values(r.checks).some((c) => !c.pass)) ??
      doc.sections.results[0];
    const index = doc.sections.results.indexOf(result);
    const key = Object.keys(result.checks)[0]!;
    result.checks[key] = {
      ...result.checks[key],
      pass: !result.checks[key].pass,
    };
    doc.toc.results[index].sha256 = sha256Hex(canonicalize(result));
    const { integrity, ...payload } = doc;
    integrity.sha256 = sha256Hex(canonicalize(payload));
    const forged = `${canonicalize(payload).slice(0, -1)},"integrity":${
      canonicalize(integrity)
    }}`;
    const replay = await replayBundle(forged);
    assert.equal(replay.runs[0]!.changedCells, 1);
  } finally {
    await store.close();
  }
});

eachStore.test("rerunBundle() executes a bundled run again on the fake model and compares the scorecards", async ({ openStore }) => {
  const { store, runId } = await scoredRun(openStore);
  try {
    const { text } = await bundle(store, { runs: [runId] });
    const rerun = await rerunBundle(text!);
    assert.equal(rerun.runs.length, 1);
    const [run] = rerun.runs;
    assert.equal(run!.originalRunId, runId);
    assert.notEqual(run!.rerunRunId, runId);
    assert.equal(run!.model, "fake-fast");
    assert.match(run!.rerunScorecardSha256 ?? "", /^[0-9a-f]{64}$/);
    // The fake provider is deterministic: the same snapshot, the same figures.
    assert.deepEqual(run!.figures, []);
  } finally {
    await store.close();
  }
});
